"""The two-approver export's rules: who may decide, who may download, and when requests lapse."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from toshokan.circulation.domain.record_export import (
    ExportRefused,
    ExportState,
    Request,
    Windows,
    check_decision,
    check_download,
    expires_at,
)

T0 = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
W = Windows(approval=timedelta(days=7), download=timedelta(hours=24))
REQUESTER, MANAGER = 1, 2


def req(state: ExportState, *, decided: datetime | None = None) -> Request:
    return Request(state=state, requested_by=REQUESTER, requested_at=T0, decided_at=decided)


@pytest.mark.parametrize(
    ("request_", "decider", "now", "code"),
    [
        (req(ExportState.PENDING), MANAGER, T0 + timedelta(days=1), None),
        (req(ExportState.PENDING), MANAGER, T0 + timedelta(days=7, seconds=-1), None),
        (req(ExportState.PENDING), REQUESTER, T0 + timedelta(hours=1), "export_same_person"),
        (req(ExportState.PENDING), MANAGER, T0 + timedelta(days=7), "export_expired"),
        (req(ExportState.APPROVED, decided=T0), MANAGER, T0, "export_already_decided"),
        (req(ExportState.REFUSED, decided=T0), MANAGER, T0, "export_already_decided"),
        (req(ExportState.DOWNLOADED, decided=T0), MANAGER, T0, "export_already_decided"),
    ],
)
def test_who_may_decide_and_when(request_, decider, now, code):
    if code is None:
        check_decision(request_, decider=decider, now=now, windows=W)
        return
    with pytest.raises(ExportRefused) as refused:
        check_decision(request_, decider=decider, now=now, windows=W)
    assert refused.value.code == code


DECIDED = T0 + timedelta(days=2)


@pytest.mark.parametrize(
    ("request_", "user", "now", "code"),
    [
        (req(ExportState.APPROVED, decided=DECIDED), REQUESTER, DECIDED + timedelta(hours=23), None),
        (
            req(ExportState.APPROVED, decided=DECIDED),
            REQUESTER,
            DECIDED + timedelta(hours=24),
            "export_expired",
        ),
        (req(ExportState.APPROVED, decided=DECIDED), MANAGER, DECIDED, "export_not_requester"),
        (req(ExportState.PENDING), REQUESTER, T0, "export_not_approved"),
        (req(ExportState.REFUSED, decided=DECIDED), REQUESTER, DECIDED, "export_not_approved"),
        (req(ExportState.DOWNLOADED, decided=DECIDED), REQUESTER, DECIDED, "export_downloaded"),
    ],
)
def test_only_the_requester_downloads_once_within_the_window(request_, user, now, code):
    if code is None:
        check_download(request_, user=user, now=now, windows=W)
        return
    with pytest.raises(ExportRefused) as refused:
        check_download(request_, user=user, now=now, windows=W)
    assert refused.value.code == code


def test_a_request_lapses_by_its_state():
    assert expires_at(req(ExportState.PENDING), W) == T0 + timedelta(days=7)
    assert expires_at(req(ExportState.APPROVED, decided=DECIDED), W) == DECIDED + timedelta(hours=24)
    assert expires_at(req(ExportState.REFUSED, decided=DECIDED), W) is None
