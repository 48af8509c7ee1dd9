"""Copies and their statuses from a MARC bibliographic record's holdings fields.

Two conventions are common in what SRU servers return:
- MARC 852 (MARC 21 Format for Holdings Data, "Location"): one field per location; `$b` is the
  sublocation or collection, `$a` the institution. It says where, not whether it is on the shelf,
  so a copy found there is 蔵書あり.
- 952, Koha's item field (Koha manual, "MARC bibliographic frameworks", items tag 952): `$b`
  holding branch (`$a` home branch), `$q` date due (present: on loan), `$7` not for loan (positive:
  library use only; negative: on order or in processing), `$1` lost, `$0` withdrawn (non-zero: the
  copy does not count).
"""

from __future__ import annotations

from dataclasses import dataclass

from pymarc import Record

from .availability import BranchStatus


@dataclass(frozen=True, slots=True)
class Copy:
    location: str  # the branch or location code as the record gives it
    status: BranchStatus


def _int(value: str | None) -> int:
    try:
        return int((value or "0").strip() or "0")
    except ValueError:
        return 1  # a text value ("Lost", "Reference") is set, and set means non-zero in Koha


def copies(record: Record) -> list[Copy]:
    """Every counted copy in the record's 852 and 952 fields (withdrawn and lost ones left out)."""
    out: list[Copy] = []
    for field in record.get_fields("852"):
        location = (field.get("b") or field.get("a") or "").strip()
        out.append(Copy(location, BranchStatus.HELD))
    for field in record.get_fields("952"):
        if _int(field.get("0")) or _int(field.get("1")):
            continue
        location = (field.get("b") or field.get("a") or "").strip()
        not_for_loan = _int(field.get("7"))
        if (field.get("q") or "").strip():
            status = BranchStatus.ON_LOAN
        elif not_for_loan > 0:
            status = BranchStatus.LIBRARY_USE_ONLY
        elif not_for_loan < 0:
            status = BranchStatus.PREPARING
        else:
            status = BranchStatus.AVAILABLE
        out.append(Copy(location, status))
    return out
