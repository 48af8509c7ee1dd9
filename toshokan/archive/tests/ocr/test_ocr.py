"""OCR: boxes, the NDL-DocL ground truth, the line-detection scores, and Tesseract itself on a rendered page."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from toshokan.archive.ocr import tesseract
from toshokan.archive.ocr.boxes import Box, covered_fraction
from toshokan.archive.ocr.evaluate import score, score_page
from toshokan.archive.ocr.layout import read_layout

DATA = Path(__file__).parent / "data"
FONT = Path("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc")


def test_boxes_overlap_and_cover():
    a, b = Box(0, 0, 10, 10), Box(5, 0, 15, 10)
    assert a.intersection(b) == 50
    assert a.iou(b) == pytest.approx(50 / 150)
    assert Box(0, 0, 10, 10).iou(Box(20, 20, 30, 30)) == 0
    # Two halves cover the whole; overlapping parts are not counted twice.
    assert covered_fraction(a, [Box(0, 0, 6, 10), Box(4, 0, 10, 10)]) == 1.0
    assert covered_fraction(a, [Box(0, 0, 5, 5)]) == 0.25
    assert a.as_xywh() == "0,0,10,10"


def test_the_ndl_docl_annotation_gives_the_vertical_text_lines():
    layout = read_layout(DATA / "2568591_14.xml")
    assert (layout.width, layout.height) == (1600, 1200)
    kinds = [line.kind for line in layout.lines]
    assert kinds.count("handwritten") == 32 and kinds.count("typography") == 4
    first = layout.lines[0].box
    assert first.bottom - first.top > 5 * (first.right - first.left)  # tall and narrow: vertical text
    assert len(layout.other["4_illustration"]) == 2


def test_scores_count_matches_once_and_forgive_splits_only_in_coverage():
    truth = [Box(0, 0, 10, 100), Box(20, 0, 30, 100)]
    # The first line found whole (twice), the second in two pieces (IoU 0.45 each, 90 % covered).
    found = [
        Box(0, 0, 10, 100),
        Box(1, 0, 10, 100),
        Box(20, 0, 30, 45),
        Box(20, 55, 30, 100),
        Box(50, 0, 60, 10),
    ]
    s = score(truth, found)
    assert (s.truth, s.matched, s.covered, s.found, s.on_text) == (2, 1, 2, 5, 4)
    assert s.recall_matched == 0.5 and s.recall_covered == 1.0 and s.precision == 0.8


def test_page_scores_are_split_by_kind():
    layout = read_layout(DATA / "2568591_14.xml")
    perfect = score_page(layout, [line.box for line in layout.lines])
    assert perfect["all"].recall_matched == 1.0 and perfect["all"].precision == 1.0
    assert perfect["handwritten"].truth == 32 and perfect["typography"].matched == 4


def test_tsv_becomes_lines_of_words_with_boxes():
    tsv = (
        "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n"
        "1\t1\t0\t0\t0\t0\t0\t0\t800\t600\t-1\t\n"
        "4\t1\t1\t1\t1\t0\t700\t50\t40\t400\t-1\t\n"
        "5\t1\t1\t1\t1\t1\t700\t50\t40\t200\t91.5\t吾輩は\n"
        "5\t1\t1\t1\t1\t2\t700\t250\t40\t200\t88.0\t猫である\n"
        "4\t1\t1\t1\t2\t0\t600\t50\t40\t40\t-1\t\n"
    )
    page = tesseract.parse_tsv(tsv)
    assert (page.width, page.height) == (800, 600)
    assert len(page.lines) == 1  # the empty line is dropped
    line = page.lines[0]
    assert line.text == "吾輩は猫である"
    assert line.box == Box(700, 50, 740, 450)
    assert line.words[1].box == Box(700, 250, 740, 450)
    assert line.confidence == pytest.approx((91.5 * 3 + 88.0 * 4) / 7)


def test_tesseract_reads_vertical_modern_print(tmp_path):
    assert tesseract.available() is None, tesseract.available()
    text = ["吾輩は猫である", "名前はまだ無い"]
    image = Image.new("L", (400, 500), 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(str(FONT), 40, index=0)
    for column, line in enumerate(text):
        x = 300 - column * 90
        for row, ch in enumerate(line):
            draw.text((x, 40 + row * 46), ch, font=font, fill=0)
    path = tmp_path / "page.png"
    image.save(path)
    page = tesseract.recognise(path)
    read = "".join(line.text for line in sorted(page.lines, key=lambda ln: -ln.box.left))
    assert "吾輩は猫である" in read, read
    assert "名前" in read, read
    right_column = max(page.lines, key=lambda ln: ln.box.left)
    assert right_column.box.left >= 280 and right_column.box.bottom - right_column.box.top > 200


def test_a_file_that_is_not_an_image_is_a_clear_error(tmp_path):
    path = tmp_path / "not-an-image.png"
    path.write_text("hello")
    with pytest.raises(tesseract.OcrError, match=r"not-an-image\.png"):
        tesseract.recognise(path)
