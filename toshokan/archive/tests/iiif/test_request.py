"""Image API 3.0 request parsing: regions, sizes, rotations, qualities and formats, and their errors."""

import pytest

from toshokan.archive.iiif.request import (
    BadRequest,
    Limits,
    NotImplementedFeature,
    resolve,
    resolve_region,
    resolve_rotation,
    resolve_size,
)

LIMITS = Limits(max_width=3000, max_height=3000, max_area=4_000_000)


@pytest.mark.parametrize(
    ("region", "box"),
    [
        ("full", (0, 0, 1600, 1200)),
        ("square", (200, 0, 1200, 1200)),
        ("0,0,512,512", (0, 0, 512, 512)),
        ("1536,1024,512,512", (1536, 1024, 64, 176)),  # cropped at the image's edge
        ("pct:50,50,50,50", (800, 600, 800, 600)),
        ("pct:10.5,0,10,100", (168, 0, 160, 1200)),
    ],
)
def test_regions(region, box):
    assert resolve_region(region, 1600, 1200) == box


@pytest.mark.parametrize(
    "region",
    ["", "0,0,0,10", "1600,0,10,10", "0,1200,1,1", "1,2,3", "-1,0,5,5", "pct:a,0,1,1", "Full", "0,0,1.5,2"],
)
def test_bad_regions_are_400(region):
    with pytest.raises(BadRequest):
        resolve_region(region, 1600, 1200)


@pytest.mark.parametrize(
    ("size", "region", "out"),
    [
        ("max", (1600, 1200), (1600, 1200)),
        ("max", (4000, 3000), (2309, 1732)),  # maxArea 4,000,000 keeps the aspect
        ("^max", (1000, 1000), (2000, 2000)),  # up to maxArea
        ("512,", (1024, 1024), (512, 512)),
        (",300", (1600, 1200), (400, 300)),
        ("pct:50", (1600, 1200), (800, 600)),
        ("^pct:150", (1000, 1000), (1500, 1500)),
        ("200,100", (1600, 1200), (200, 100)),  # distorted, as asked
        ("!400,400", (1600, 1200), (400, 300)),
        ("^!2000,500", (1000, 1000), (500, 500)),
        ("^!2000,3000", (1000, 1000), (2000, 2000)),
        ("^1352,", (1000, 1000), (1352, 1352)),
        ("64,176", (64, 176), (64, 176)),
    ],
)
def test_sizes(size, region, out):
    assert resolve_size(size, region[0], region[1], LIMITS) == out


@pytest.mark.parametrize(
    ("size", "region"),
    [
        ("1601,", (1600, 1200)),  # larger than the region without ^
        (",1201", (1600, 1200)),
        ("pct:101", (1600, 1200)),
        ("!2000,3000", (1000, 1000)),
        ("^3001,", (1000, 1000)),  # above maxWidth even with ^
        ("^2500,2500", (1000, 1000)),  # above maxArea
        ("0,", (100, 100)),
        ("pct:0", (100, 100)),
        (",", (100, 100)),
        ("!100,", (100, 100)),
        ("full", (100, 100)),  # Image API 2's word, gone in 3.0
        ("abc", (100, 100)),
        ("pct:1e3", (100, 100)),
    ],
)
def test_bad_sizes_are_400(size, region):
    with pytest.raises(BadRequest):
        resolve_size(size, region[0], region[1], LIMITS)


@pytest.mark.parametrize(
    ("rotation", "parsed"),
    [
        ("0", (False, 0)),
        ("90", (False, 90)),
        ("!180", (True, 180)),
        ("22.5", (False, 22.5)),
        ("360", (False, 0)),
    ],
)
def test_rotations(rotation, parsed):
    assert resolve_rotation(rotation) == parsed


@pytest.mark.parametrize("rotation", ["-90", "361", "!", "90!", "abc", ""])
def test_bad_rotations_are_400(rotation):
    with pytest.raises(BadRequest):
        resolve_rotation(rotation)


def _resolve(quality_format):
    return resolve(
        region="full",
        size="max",
        rotation="0",
        quality_format=quality_format,
        width=100,
        height=100,
        limits=LIMITS,
    )


@pytest.mark.parametrize("qf", ["default.jpg", "color.png", "gray.webp", "bitonal.gif", "default.tif"])
def test_qualities_and_formats_offered(qf):
    assert _resolve(qf).quality == qf.split(".")[0]


@pytest.mark.parametrize("qf", ["native.jpg", "grey.jpg", "default.bmp", "default", ".jpg", "default.JPG"])
def test_unknown_qualities_and_formats_are_400(qf):
    with pytest.raises(BadRequest):
        _resolve(qf)


@pytest.mark.parametrize("qf", ["default.jp2", "default.pdf"])
def test_known_formats_not_offered_are_501(qf):
    with pytest.raises(NotImplementedFeature):
        _resolve(qf)
