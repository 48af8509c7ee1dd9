"""The demo archive: the IIIF validator's test image and a small collection of Edo-period page images.

- 「IIIF 検証用テスト画像」: the official validator's own test image (CC0), under the identifier the
  validator asks for, `67352ccc-d1b0-11e1-89ae-279075081939`, so anyone can validate a running toshokan
  (docs/iiif.md).
- 「江戸の版本」: two pages each of 算法少女 (1775) and 機巧図彙 (1796) from NDL's NDL-DocL dataset
  (Public Domain Mark), with NDL's credit line (data/archive/PROVENANCE.md).

Images go through the same ingest service as any upload; a second load changes nothing (an image whose
identifier already holds the same bytes is left alone).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings

from . import services
from .domain.kinds import ItemKind
from .domain.rights import CommonRights
from .models import ArchiveImage

Progress = Callable[[str], None]
VERSION = "archive-1"
DATA = Path(settings.BASE_DIR) / "data" / "archive"
VALIDATOR_ID = "67352ccc-d1b0-11e1-89ae-279075081939"
NDL_CREDIT = "国立国会図書館 NDL-DocLデータセット（PDM）より"
EDO = {"place_name": "江戸（出版地）", "latitude": 35.684, "longitude": 139.7745}
PDM = CommonRights.PUBLIC_DOMAIN_MARK.value

ITEMS: list[dict[str, Any]] = [
    {
        "identifier": "sanpo-shojo",
        "title": "算法少女",
        "title_reading": "さんぽうしょうじょ",
        "creator": "壺中隠者",
        "creator_reading": "こちゅういんじゃ",
        "date_text": "安永4年",
        "year_start": 1775,
        "year_end": 1775,
        "kind": ItemKind.BOOK.value,
        "subjects": ["和算", "数学", "江戸時代"],
        "call_number": "わ419-1",
        "source": "国立国会図書館デジタルコレクション https://dl.ndl.go.jp/pid/3508165",
        "description": "和算書。見開き2コマ（8・9）。くずし字と漢文の縦書き。",
        "pages": [
            "page_images/3508165_sanpo_shojo/3508165_8.jpg",
            "page_images/3508165_sanpo_shojo/3508165_9.jpg",
        ],
        **EDO,
    },
    {
        "identifier": "karakuri-zui",
        "title": "機巧図彙",
        "title_reading": "からくりずい",
        "creator": "細川半蔵頼直",
        "creator_reading": "ほそかわはんぞうよりなお",
        "date_text": "寛政8年",
        "year_start": 1796,
        "year_end": 1796,
        "kind": ItemKind.BOOK.value,
        "subjects": ["からくり", "時計", "機械"],
        "call_number": "863-214",
        "source": "国立国会図書館デジタルコレクション https://dl.ndl.go.jp/pid/2568591",
        "description": "からくり（機械仕掛け）の図解書。2巻首1巻の[1]、見開き2コマ（14・15）。時計の機構図と振り仮名付きの本文。",
        "pages": [
            "page_images/2568591_karakuri_zui/2568591_14.jpg",
            "page_images/2568591_karakuri_zui/2568591_15.jpg",
        ],
        **EDO,
    },
]


def _files() -> list[Path]:
    return [DATA / "iiif_test" / f"{VALIDATOR_ID}.png", *(DATA / p for item in ITEMS for p in item["pages"])]


def demo_fingerprint() -> str:
    digest = hashlib.sha256(VERSION.encode())
    for path in _files():
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _ingest(item: Any, path: Path, identifier: str, label: str, sequence: int) -> bool:
    data = path.read_bytes()
    existing = ArchiveImage.objects.filter(identifier=identifier).first()
    if existing is not None and existing.sha256 == hashlib.sha256(data).hexdigest():
        return False
    with path.open("rb") as stream:
        services.ingest_image(
            item=item, stream=stream, name=path.name, identifier=identifier, label=label, sequence=sequence
        )
    return True


def load(progress: Progress) -> None:
    test = services.save_collection(
        slug="iiif-validator",
        title="IIIF 検証用テスト画像",
        description="IIIF Image API の公式バリデータ（iiif-validator）用のテスト画像。",
        credit="IIIF image-validator (CC0)",
        published=True,
    )
    item = services.save_item(
        collection=test,
        identifier="iiif-validator-test-image",
        title="IIIF Image API validator test image",
        kind=ItemKind.OTHER.value,
        extent="1000 × 1000 px",
        source="https://github.com/IIIF/image-validator",
        rights_metadata=CommonRights.CC0.value,
        rights_thumbnail=CommonRights.CC0.value,
        rights_content=CommonRights.CC0.value,
        credit="IIIF image-validator (CC0)",
        published=True,
    )
    made = _ingest(item, DATA / "iiif_test" / f"{VALIDATOR_ID}.png", VALIDATOR_ID, "test image", 1)
    progress(
        f"archive: IIIF validator test image at /iiif/3/{VALIDATOR_ID}/info.json ({'new' if made else 'kept'})"
    )

    edo = services.save_collection(
        slug="edo-hanpon",
        title="江戸の版本",
        title_reading="えどのはんぽん",
        description="江戸時代の和算書とからくり書の見開き。",
        credit=NDL_CREDIT,
        published=True,
    )
    new = 0
    for spec in ITEMS:
        fields = {k: v for k, v in spec.items() if k not in ("identifier", "title", "pages")}
        item = services.save_item(
            collection=edo,
            identifier=spec["identifier"],
            title=spec["title"],
            extent=f"{len(spec['pages'])}コマ",
            rights_metadata=CommonRights.CC0.value,
            rights_thumbnail=PDM,
            rights_content=PDM,
            credit=NDL_CREDIT,
            published=True,
            **fields,
        )
        for sequence, page in enumerate(spec["pages"], start=1):
            frame = Path(page).stem.split("_")[-1]
            new += _ingest(item, DATA / page, f"{spec['identifier']}-{frame}", f"コマ {frame}", sequence)
    progress(f"archive: 江戸の版本, {len(ITEMS)} items, {new} images ingested")
