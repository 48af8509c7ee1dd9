"""The demo library's catalogue: NDC labels, branches, the Aozora catalogue, MARC records, print copies.

Everything comes from the repository's data/ folder (data/README.md lists sources and licences),
so a fresh machine needs nothing else. The copies are drawn with a fixed seed: the same data gives
the same barcodes, shelf marks and statuses on every machine. Loans and holds are circulation's
(toshokan.circulation.demo), made through its services, so no copy here starts on loan.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction

from . import services
from .domain.enums import HoldingStatus, MaterialType
from .importers.registry import READERS
from .models import Branch, Holding, NdcClass, Record

log = logging.getLogger(__name__)
Progress = Callable[[str], None]

SEED = 20261126


@dataclass(frozen=True)
class BranchSpec:
    code: str
    name: str
    name_en: str
    address: str
    barcode_prefix: str


BRANCHES = (
    BranchSpec("central", "デモ市立中央図書館", "Demo City Central Library", "東京都千代田区丸の内1-1", "11"),
    BranchSpec("ekimae", "デモ市立駅前分館", "Ekimae Branch", "東京都千代田区神田1-2", "12"),
    BranchSpec("kita", "デモ市立北分館", "Kita Branch", "東京都千代田区北の丸3-4", "13"),
    BranchSpec("minami", "デモ市立南分館", "Minami Branch", "東京都千代田区南平河町5-6", "14"),
)

# How copies stand before anyone borrows them. Statuses that a loan, a hold or a transit must back
# (on_loan, on_hold_shelf, in_transit) are never drawn: the circulation demo (toshokan.circulation.demo)
# lends, holds and returns copies through its services. One draw per copy, as before, so the same
# data still gives the same barcodes and shelf marks.
STATUS_WEIGHTS = (
    (HoldingStatus.AVAILABLE, 96),
    (HoldingStatus.PROCESSING, 2),
    (HoldingStatus.MISSING, 1),
    (HoldingStatus.WITHDRAWN, 1),
)
AOZORA_WORKS_WITH_COPIES = 3000


def data_dir() -> Path:
    return Path(settings.TOSHOKAN_DATA_DIR)


def fingerprint(*paths: Path, version: str = "1") -> str:
    digest = hashlib.sha256(version.encode())
    for path in paths:
        for file in sorted(path.rglob("*")) if path.is_dir() else [path]:
            if file.is_file():
                digest.update(file.name.encode())
                digest.update(str(file.stat().st_size).encode())
    return digest.hexdigest()[:16]


def load_ndc(progress: Progress) -> int:
    """NDC 9 classes with Japanese and English labels (JLA NDC9 LOD, CC BY)."""
    path = data_dir() / "ndc" / "ndc9_all_concepts.csv.gz"
    rows = []
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            rows.append(
                NdcClass(
                    notation=row["notation"][:32],
                    label_ja=row["label_ja"][:255],
                    label_en=row["label_en"][:255],
                    broader=row["broader"].split("|")[0][:32],
                )
            )
    with transaction.atomic():
        NdcClass.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["notation"],
            update_fields=["label_ja", "label_en", "broader"],
        )
    progress(f"NDC: {len(rows)} classes")
    return len(rows)


def load_branches(progress: Progress) -> list[Branch]:
    branches = []
    for position, spec in enumerate(BRANCHES):
        branch, _ = Branch.objects.update_or_create(
            code=spec.code,
            defaults={
                "name": spec.name,
                "name_en": spec.name_en,
                "address": spec.address,
                "position": position,
            },
        )
        branches.append(branch)
    progress(f"branches: {', '.join(b.name for b in branches)}")
    return branches


def load_aozora(progress: Progress) -> int:
    reader = READERS["aozora"]
    summary = services.import_records(reader(data_dir() / "aozora" / "list_person_all_extended_utf8.csv.gz"))
    _attach_texts()
    progress(f"Aozora Bunko: {summary.imported} works")
    return summary.imported


def _attach_texts() -> None:
    """Mark the works whose e-texts the repository ships (data/aozora/texts)."""
    manifest = data_dir() / "aozora" / "texts_manifest.csv"
    with open(manifest, encoding="utf-8") as f:
        files = {row["作品ID"].zfill(6): row["file"] for row in csv.DictReader(f)}
    for record in Record.objects.filter(source="aozora", source_key__in=list(files)):
        record.extra = {**record.extra, "etext_file": f"aozora/texts/{files[record.source_key]}"}
        record.save(update_fields=["extra"])


def load_marc(progress: Progress) -> int:
    if "marc" not in READERS:
        progress("MARC: no reader registered; skipped")
        return 0
    total = 0
    marc_dir = data_dir() / "marc"
    for path in _demo_marc_files(marc_dir):
        fmt = "marcxml" if path.suffix == ".xml" else "marc"
        summary = services.import_records(READERS[fmt](path))
        total += summary.imported
    progress(f"MARC: {total} records")
    return total


def _demo_marc_files(marc_dir: Path) -> list[Path]:
    """The good MARC files (BROKEN.csv lists the deliberately broken ones, kept for tests only)."""
    broken: set[str] = set()
    broken_list = marc_dir / "BROKEN.csv"
    if broken_list.exists():
        with open(broken_list, encoding="utf-8") as f:
            broken = {row["file"] for row in csv.DictReader(f)}
    wanted = ["solrmarc/uva_001_2000.mrc", "japanese/japanese_880_records.mrc", "traject/test_data.utf8.mrc"]
    return [marc_dir / w for w in wanted if (marc_dir / w).exists() and w not in broken]


def _check_digit(digits: str) -> str:
    """Luhn (mod 10) check digit, as many library barcode ranges use."""
    total = 0
    for i, d in enumerate(reversed(digits)):
        n = int(d) * (2 if i % 2 == 0 else 1)
        total += n - 9 if n > 9 else n
    return str((10 - total % 10) % 10)


def author_mark(reading: str, name: str) -> str:
    """The 著者記号 of a shelf mark: the first kana of the author's reading in katakana, or, for a
    name in Latin script, its first letter."""
    for char in reading:
        if "ぁ" <= char <= "ゖ":
            return chr(ord(char) + 0x60)
        if "ァ" <= char <= "ヺ":
            return char
    for char in name:
        if char.isascii() and char.isalpha():
            return char.upper()
        if "ァ" <= char <= "ヺ":
            return char
        if "ぁ" <= char <= "ゖ":
            return chr(ord(char) + 0x60)
    return "ア"


def shelf_mark(record: Record) -> str:
    """請求記号: NDC class / author mark / volume (913/ナ/2); without an NDC, the author mark alone."""
    links = list(record.record_creators.all())
    creator = links[0].creator if links else None
    mark = author_mark(creator.reading or creator.reading_auto, creator.name) if creator else "ア"
    parts = [record.ndc, mark, record.volume[:16]]
    return "/".join(p for p in parts if p)[:64]


def load_holdings(progress: Progress, branches: list[Branch]) -> int:
    """Print copies of a few thousand Aozora works and of every MARC record (1–3 per record)."""
    rng = random.Random(SEED)
    aozora_ids = list(
        Record.objects.filter(source="aozora").order_by("source_key").values_list("pk", flat=True)
    )
    with open(data_dir() / "aozora" / "texts_manifest.csv", encoding="utf-8") as f:
        shipped = {row["作品ID"].zfill(6) for row in csv.DictReader(f)}
    famous = set(Record.objects.filter(source="aozora", source_key__in=shipped).values_list("pk", flat=True))
    chosen = set(famous) | set(rng.sample(aozora_ids, min(AOZORA_WORKS_WITH_COPIES, len(aozora_ids))))
    chosen |= set(Record.objects.filter(source="marc").values_list("pk", flat=True))
    already = set(Holding.objects.values_list("record_id", flat=True).distinct())
    todo = sorted(chosen - already)
    statuses = [s for s, _ in STATUS_WEIGHTS]
    weights = [w for _, w in STATUS_WEIGHTS]
    counters = {b.code: Holding.objects.filter(branch=b).count() for b in branches}
    spec = {s.code: s for s in BRANCHES}
    created = 0
    for start in range(0, len(todo), 500):
        batch = list(
            Record.objects.filter(pk__in=todo[start : start + 500]).prefetch_related(
                "record_creators__creator"
            )
        )
        new: list[Holding] = []
        for record in batch:
            copies = 3 if record.pk in famous else rng.choice((1, 1, 1, 2, 2, 3))
            for branch in rng.sample(branches, min(copies, len(branches))):
                counters[branch.code] += 1
                body = f"{spec[branch.code].barcode_prefix}{counters[branch.code]:07d}"
                children = bool(record.extra.get("children"))
                reference = record.material_type == MaterialType.SERIAL or rng.random() < 0.02
                new.append(
                    Holding(
                        record=record,
                        branch=branch,
                        barcode=body + _check_digit(body),
                        shelf_mark=shelf_mark(record),
                        location="参考図書" if reference else ("児童開架" if children else "一般開架"),
                        material_type=record.material_type,
                        status=HoldingStatus.REFERENCE_ONLY
                        if reference
                        else rng.choices(statuses, weights)[0],
                    )
                )
        with transaction.atomic():
            Holding.objects.bulk_create(new)
        created += len(new)
    progress(f"holdings: {created} new copies ({Holding.objects.count()} in all)")
    return created


def load(progress: Progress) -> None:
    """The whole demo catalogue. Safe to run again: nothing is duplicated."""
    load_ndc(progress)
    branches = load_branches(progress)
    load_aozora(progress)
    load_marc(progress)
    load_holdings(progress, branches)


def demo_fingerprint() -> str:
    return fingerprint(data_dir() / "aozora", data_dir() / "marc", data_dir() / "ndc", version="catalog-2")
