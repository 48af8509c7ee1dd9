"""Which Calil branch status a branch shows, from the copies it has.

Calil's statuses (https://calil.jp/doc/api_ref.html, /check): 貸出可 (on the shelf), 蔵書あり
(held; loan status unknown), 館内のみ (library use only), 貸出中 (on loan), 予約中 (reserved),
準備中 (being prepared), 休館中 (the library is closed), 蔵書なし (not held). A branch has one
status per ISBN; when it has several copies the one most useful to a patron who wants the book now
wins: one copy on the shelf makes the branch 貸出可 whatever its other copies are doing.

toshokan's copy statuses (CONTRACT.md, records API) map as the federation brief of issue 4 lays
down: available → 貸出可; on_loan → 貸出中, or 予約中 when patrons are waiting for the record (a
patron will queue behind them); on_hold_shelf → 予約中; in_transit and processing → 準備中;
reference_only → 館内のみ; missing and withdrawn copies are not counted (the branch does not
effectively hold them).
"""

from __future__ import annotations

from collections.abc import Iterable

from .availability import BranchStatus

# Most useful first: what a patron who wants the book now would rather find.
RANK: tuple[BranchStatus, ...] = (
    BranchStatus.AVAILABLE,
    BranchStatus.LIBRARY_USE_ONLY,
    BranchStatus.HELD,
    BranchStatus.PREPARING,
    BranchStatus.ON_LOAN,
    BranchStatus.RESERVED,
    BranchStatus.CLOSED,
)
_ORDER = {status: i for i, status in enumerate(RANK)}


def best(statuses: Iterable[BranchStatus]) -> BranchStatus | None:
    """The most useful of `statuses`, or None when there are none (the branch does not hold it)."""
    found = [s for s in statuses if s in _ORDER]
    return min(found, key=_ORDER.__getitem__) if found else None


def from_copy_status(status: str, *, holds_waiting: bool = False) -> BranchStatus | None:
    """The branch status one toshokan copy stands for; None for a copy that does not count."""
    if status == "available":
        return BranchStatus.AVAILABLE
    if status == "on_loan":
        return BranchStatus.RESERVED if holds_waiting else BranchStatus.ON_LOAN
    if status == "on_hold_shelf":
        return BranchStatus.RESERVED
    if status in ("in_transit", "processing"):
        return BranchStatus.PREPARING
    if status == "reference_only":
        return BranchStatus.LIBRARY_USE_ONLY
    if status in ("missing", "withdrawn"):
        return None
    # A status added later (CONTRACT.md: "more may be added") still means the branch holds it.
    return BranchStatus.HELD


_WORDS = {status.value: status for status in BranchStatus}


def from_calil(word: object) -> BranchStatus | None:
    """A branch status as a remote system words it in Calil's `libkey` (another toshokan, Calil).

    None for 蔵書なし and for anything that is not a word; a word this toshokan does not know yet (a
    status a newer peer adds) still says the branch holds the book: 蔵書あり.
    """
    if not isinstance(word, str) or word == BranchStatus.NOT_HELD.value:
        return None
    return _WORDS.get(word, BranchStatus.HELD)


def merge(into: dict[str, BranchStatus], libkey: str, status: BranchStatus) -> None:
    """Record `status` for `libkey`, keeping the more useful one when the branch already has one."""
    current = into.get(libkey)
    into[libkey] = status if current is None else (best((current, status)) or status)
