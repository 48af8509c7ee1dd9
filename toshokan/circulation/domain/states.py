"""The loan and hold lifecycles as transition tables (after invenio-circulation's, without its
hooks): a state and an action give the next state, or the move is refused. Services look a move up
here before they write; nothing else decides whether a move is allowed.

A loan or a hold that ends is *deleted*, not kept in a final state: what a patron borrowed or
asked for belongs to them (図書館の自由に関する宣言 第3 — 図書館は利用者の秘密を守る). The final
states below exist only as the outcome a service reports.
"""

from __future__ import annotations

from enum import StrEnum

from toshokan.core.domain import DomainError


class LoanState(StrEnum):
    ACTIVE = "active"  # 貸出中 (overdue is a matter of the due date, not a state)
    LOST = "lost"  # 紛失申告 — still the patron's until the copy is returned or replaced
    CLOSED = "closed"  # returned: the row is deleted


class LoanAction(StrEnum):
    RENEW = "renew"
    RETURN = "return"
    DECLARE_LOST = "declare_lost"


class HoldState(StrEnum):
    WAITING = "waiting"  # 予約待ち: in the queue
    SUSPENDED = "suspended"  # 保留: keeps its place, is passed over until resumed
    IN_TRANSIT = "in_transit"  # a copy is on its way to the pickup branch
    READY = "ready"  # 取置中: on the hold shelf until the pickup deadline
    FULFILLED = "fulfilled"  # lent to the patron: the row is deleted
    CANCELLED = "cancelled"  # by the patron or staff: deleted
    EXPIRED = "expired"  # not collected in time, or not needed any more: deleted


class HoldAction(StrEnum):
    SUSPEND = "suspend"
    RESUME = "resume"
    TRAP = "trap"  # a copy was assigned at the pickup branch
    SEND = "send"  # a copy was assigned elsewhere and sent
    ARRIVE = "arrive"
    CHECK_OUT = "check_out"
    CANCEL = "cancel"
    EXPIRE = "expire"


LOAN_MOVES: dict[tuple[LoanState, LoanAction], LoanState] = {
    (LoanState.ACTIVE, LoanAction.RENEW): LoanState.ACTIVE,
    (LoanState.ACTIVE, LoanAction.RETURN): LoanState.CLOSED,
    (LoanState.ACTIVE, LoanAction.DECLARE_LOST): LoanState.LOST,
    (LoanState.LOST, LoanAction.RETURN): LoanState.CLOSED,
}

HOLD_MOVES: dict[tuple[HoldState, HoldAction], HoldState] = {
    (HoldState.WAITING, HoldAction.SUSPEND): HoldState.SUSPENDED,
    (HoldState.SUSPENDED, HoldAction.RESUME): HoldState.WAITING,
    (HoldState.WAITING, HoldAction.TRAP): HoldState.READY,
    (HoldState.WAITING, HoldAction.SEND): HoldState.IN_TRANSIT,
    (HoldState.IN_TRANSIT, HoldAction.ARRIVE): HoldState.READY,
    (HoldState.READY, HoldAction.CHECK_OUT): HoldState.FULFILLED,
    (HoldState.WAITING, HoldAction.CANCEL): HoldState.CANCELLED,
    (HoldState.SUSPENDED, HoldAction.CANCEL): HoldState.CANCELLED,
    (HoldState.IN_TRANSIT, HoldAction.CANCEL): HoldState.CANCELLED,
    (HoldState.READY, HoldAction.CANCEL): HoldState.CANCELLED,
    (HoldState.READY, HoldAction.EXPIRE): HoldState.EXPIRED,
    (HoldState.WAITING, HoldAction.EXPIRE): HoldState.EXPIRED,
    (HoldState.SUSPENDED, HoldAction.EXPIRE): HoldState.EXPIRED,
}

# Holds that still wait for a copy (a copy can be assigned to them), and holds that hold one.
OPEN_HOLD_STATES = frozenset({HoldState.WAITING, HoldState.SUSPENDED, HoldState.IN_TRANSIT, HoldState.READY})
COPY_ASSIGNED_STATES = frozenset({HoldState.IN_TRANSIT, HoldState.READY})


class TransitionRefused(DomainError):
    code = "transition_refused"


def next_loan_state(state: LoanState, action: LoanAction) -> LoanState:
    try:
        return LOAN_MOVES[(state, action)]
    except KeyError:
        raise TransitionRefused(
            f"a loan that is {state} cannot {action}", code=f"loan_cannot_{action}"
        ) from None


def next_hold_state(state: HoldState, action: HoldAction) -> HoldState:
    try:
        return HOLD_MOVES[(state, action)]
    except KeyError:
        raise TransitionRefused(
            f"a hold that is {state} cannot {action}", code=f"hold_cannot_{action}"
        ) from None
