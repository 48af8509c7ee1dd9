"""Aozora Bunko's catalogue (作家別作品一覧拡充版, list_person_all_extended_utf8.csv) → records.

The file has one row per work × person, 55 columns. A work (作品ID) becomes one record; the people
on its rows are merged into its creators, each with the role the 役割フラグ column gives
(著者, 翻訳者, 編者, 校訂者, その他). The year is the first year in 初出 (first appearance), else
the first-edition year of the source book (底本初版発行年1); both are kept as written in `extra`.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
from collections.abc import Iterator
from pathlib import Path

from ..domain.dates import parse_year
from ..domain.enums import CreatorRole, IdentifierScheme, MaterialType
from ..domain.records import BibRecord, CreatorEntry, IdentifierEntry, ImportProblem

COLUMNS = (
    "作品ID", "作品名", "作品名読み", "ソート用読み", "副題", "副題読み", "原題", "初出", "分類番号",
    "文字遣い種別", "作品著作権フラグ", "公開日", "最終更新日", "図書カードURL", "人物ID", "姓", "名",
    "姓読み", "名読み", "姓読みソート用", "名読みソート用", "姓ローマ字", "名ローマ字", "役割フラグ",
    "生年月日", "没年月日", "人物著作権フラグ",
    "底本名1", "底本出版社名1", "底本初版発行年1", "入力に使用した版1", "校正に使用した版1",
    "底本の親本名1", "底本の親本出版社名1", "底本の親本初版発行年1",
    "底本名2", "底本出版社名2", "底本初版発行年2", "入力に使用した版2", "校正に使用した版2",
    "底本の親本名2", "底本の親本出版社名2", "底本の親本初版発行年2",
    "入力者", "校正者", "テキストファイルURL", "テキストファイル最終更新日", "テキストファイル符号化方式",
    "テキストファイル文字集合", "テキストファイル修正回数", "XHTML/HTMLファイルURL",
    "XHTML/HTMLファイル最終更新日", "XHTML/HTMLファイル符号化方式", "XHTML/HTMLファイル文字集合",
    "XHTML/HTMLファイル修正回数",
)  # fmt: skip

ROLES = {
    "著者": CreatorRole.AUTHOR,
    "翻訳者": CreatorRole.TRANSLATOR,
    "編者": CreatorRole.EDITOR,
    "校訂者": CreatorRole.REVISER,
    "その他": CreatorRole.OTHER,
}
# Fields kept in `extra` as Aozora writes them (a catalogue of e-texts has more than a MARC record).
EXTRA_FIELDS = (
    "ソート用読み", "初出", "分類番号", "文字遣い種別", "作品著作権フラグ", "公開日", "最終更新日",
    "底本名1", "底本出版社名1", "底本初版発行年1", "入力に使用した版1", "校正に使用した版1",
    "底本の親本名1", "底本の親本出版社名1", "底本の親本初版発行年1", "底本名2", "底本出版社名2",
    "底本初版発行年2", "入力者", "校正者", "テキストファイルURL", "XHTML/HTMLファイルURL",
)  # fmt: skip
_NDC = re.compile(r"K?(\d{3}(?:\.\d+)?)")
_JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff々〆]")


def open_catalogue(path: Path) -> io.TextIOBase:
    if path.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8-sig", newline="")
    return open(path, encoding="utf-8-sig", newline="")


def _person_name(family: str, given: str) -> str:
    if not given:
        return family
    if _JAPANESE.search(family) and _JAPANESE.search(given) and "・" not in family + given:
        return family + given
    return f"{family} {given}"


def _creator(row: dict[str, str]) -> CreatorEntry:
    family, given = row["姓"].strip(), row["名"].strip()
    reading = " ".join(p for p in (row["姓読み"].strip(), row["名読み"].strip()) if p)
    romanized = " ".join(p for p in (row["姓ローマ字"].strip(), row["名ローマ字"].strip()) if p)
    born, died = row["生年月日"].strip(), row["没年月日"].strip()
    return CreatorEntry(
        name=_person_name(family, given),
        role=ROLES.get(row["役割フラグ"].strip(), CreatorRole.OTHER),
        reading=reading,
        romanized=romanized,
        dates=f"{born}/{died}" if born or died else "",
        authority_id=f"aozora:{row['人物ID'].strip().zfill(6)}",
    )


def _record(work_id: str, rows: list[dict[str, str]], position: int) -> BibRecord:
    first = rows[0]
    ndc_match = _NDC.search(first["分類番号"])
    year = parse_year(first["初出"]) or parse_year(first["底本初版発行年1"])
    extra: dict[str, object] = {k: first[k] for k in EXTRA_FIELDS if first.get(k)}
    if first["分類番号"].strip().startswith("NDC K"):
        extra["children"] = True  # Aozora marks children's books with K before the NDC number
    creators = [_creator(r) for r in rows]
    return BibRecord(
        source="aozora",
        source_key=work_id,
        title=first["作品名"].strip(),
        title_reading=first["作品名読み"].strip(),
        subtitle=first["副題"].strip(),
        subtitle_reading=first["副題読み"].strip(),
        original_title=first["原題"].strip(),
        creators=creators,
        publisher=first["底本出版社名1"].strip(),
        year=year,
        date_text=first["初出"].strip() or first["底本初版発行年1"].strip(),
        edition=first["入力に使用した版1"].strip(),
        ndc=ndc_match.group(1) if ndc_match else "",
        language="jpn",
        material_type=MaterialType.BOOK,
        identifiers=[IdentifierEntry(IdentifierScheme.AOZORA, work_id)],
        etext_url=first["図書カードURL"].strip(),
        extra=extra,
        provenance=f"青空文庫 作家別作品一覧拡充版, row {position}",
    )


def read_catalogue(stream: io.TextIOBase) -> Iterator[BibRecord | ImportProblem]:
    """Records (one per work) and problems (malformed rows, with their row number), in file order."""
    reader = csv.reader(stream)
    header = next(reader, None)
    if header is None:
        yield ImportProblem(position=0, reason="empty file")
        return
    header = [h.strip().lstrip("\ufeff") for h in header]
    missing = [c for c in ("作品ID", "作品名", "人物ID", "姓", "役割フラグ") if c not in header]
    if missing:
        yield ImportProblem(position=1, reason=f"not an Aozora catalogue: missing columns {missing}")
        return
    works: dict[str, list[dict[str, str]]] = {}
    first_row: dict[str, int] = {}
    for number, values in enumerate(reader, start=2):
        if len(values) != len(header):
            yield ImportProblem(
                position=number, reason=f"row has {len(values)} fields, the header {len(header)}"
            )
            continue
        row = dict(zip(header, values, strict=True))
        for column in COLUMNS:
            row.setdefault(column, "")
        work_id = row["作品ID"].strip()
        if not work_id.isdigit() or not row["作品名"].strip():
            yield ImportProblem(position=number, reason="row without a numeric 作品ID or a 作品名")
            continue
        work_id = work_id.zfill(6)
        works.setdefault(work_id, []).append(row)
        first_row.setdefault(work_id, number)
    for work_id, rows in works.items():
        # The author first, then translators and the rest, as a title page lists them.
        rows.sort(
            key=lambda r: (
                list(ROLES).index(r["役割フラグ"].strip()) if r["役割フラグ"].strip() in ROLES else 9
            )
        )
        yield _record(work_id, rows, first_row[work_id])
