"""The demo archive: the validator's image under its identifier, the Edo pages with NDL's credit line,
and a second load that changes nothing."""

from __future__ import annotations

import pytest

from toshokan.archive import demo
from toshokan.archive.models import ArchiveImage, ArchiveItem

pytestmark = pytest.mark.django_db


def test_the_demo_archive_loads_once_and_serves_the_validator_image(client):
    messages: list[str] = []
    demo.load(messages.append)
    assert ArchiveImage.objects.count() == 5
    karakuri = ArchiveItem.objects.get(identifier="karakuri-zui")
    assert karakuri.credit == "国立国会図書館 NDL-DocLデータセット（PDM）より"
    assert karakuri.rights_content == "http://creativecommons.org/publicdomain/mark/1.0/"
    assert (karakuri.date_text, karakuri.year_start) == ("寛政8年", 1796)
    assert [i.identifier for i in karakuri.images.all()] == ["karakuri-zui-14", "karakuri-zui-15"]
    info = client.get("/iiif/3/67352ccc-d1b0-11e1-89ae-279075081939/info.json").json()
    assert (info["width"], info["height"], info["rights"]) == (
        1000,
        1000,
        "http://creativecommons.org/publicdomain/zero/1.0/",
    )
    assert client.get("/iiif/3/sanpo-shojo-8/full/max/0/default.jpg").status_code == 200

    pyramids = sorted(ArchiveImage.objects.values_list("pyramid_path", flat=True))
    demo.load(messages.append)
    assert sorted(ArchiveImage.objects.values_list("pyramid_path", flat=True)) == pyramids
    assert "0 images ingested" in messages[-1]
    assert demo.demo_fingerprint() == demo.demo_fingerprint()
