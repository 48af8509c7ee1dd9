"""Random sequences of checkouts, returns, renewals, holds, suspensions, cancellations, expiries and
days passing, checked after every step against the invariants of circulation:

- a copy is on loan if and only if it has exactly one loan, and the loans are the ones the steps
  made (a model kept beside the database says who has what);
- a copy is on the hold shelf iff exactly one ready hold holds it, there; in transit iff it has a
  transit; no copy fills two holds, and a hold is filled (lent) at most once;
- the queue order holds: each record's waiting holds have positions 1, 2, … in the order placed.
"""

from __future__ import annotations

import contextlib
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from toshokan.catalog.domain.enums import HoldingStatus
from toshokan.catalog.models import Holding
from toshokan.catalog.tests import factories as catalog_factories
from toshokan.circulation import selectors, services
from toshokan.circulation.domain.states import HoldState
from toshokan.circulation.models import CirculationRule, Hold, HoldShelfClearance, Loan, Transit
from toshokan.circulation.tests import factories
from toshokan.core.domain import DomainError
from toshokan.patrons.tests import factories as patron_factories

TZ = ZoneInfo("Asia/Tokyo")
START = date(2026, 12, 1)


class Circulation(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        CirculationRule.objects.create(
            max_loans=3, max_holds=3, max_renewals=1, loan_days=7, hold_pickup_days=3
        )
        self.branches = [factories.branch("central"), factories.branch("kita")]
        records = [catalog_factories.record(t) for t in ("こころ", "坊っちゃん", "草枕")]
        self.copies = [
            factories.copy(records[0], branch_code="central"),
            factories.copy(records[0], branch_code="kita"),
            factories.copy(records[1], branch_code="central"),
            factories.copy(records[2], branch_code="kita"),
        ]
        self.records = records
        self.patrons = [patron_factories.patron(f"利用者{i}", today=START, pin="") for i in range(4)]
        self.today = START
        self.lent: dict[int, int] = {}  # copy pk → patron pk, as the steps say
        self.filled_holds: set[int] = set()

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    def now(self) -> datetime:
        return datetime(self.today.year, self.today.month, self.today.day, 12, tzinfo=TZ)

    # -- steps ---------------------------------------------------------------------------------
    @rule(p=st.integers(0, 3), c=st.integers(0, 3), b=st.integers(0, 1))
    def checkout(self, p: int, c: int, b: int) -> None:
        copy, patron = self.copies[c], self.patrons[p]
        ready = Hold.objects.filter(assigned=copy, state=HoldState.READY, patron=patron).first()
        try:
            services.checkout(barcode=copy.barcode, patron=patron, branch=self.branches[b], now=self.now())
        except DomainError:
            return
        assert copy.pk not in self.lent, "a copy already lent was lent again"
        self.lent[copy.pk] = patron.pk
        if ready is not None:
            assert ready.pk not in self.filled_holds, "a hold was filled twice"
            self.filled_holds.add(ready.pk)

    @rule(c=st.integers(0, 3), b=st.integers(0, 1))
    def checkin(self, c: int, b: int) -> None:
        result = services.checkin(barcode=self.copies[c].barcode, branch=self.branches[b], now=self.now())
        assert result.was_on_loan == (self.copies[c].pk in self.lent)
        self.lent.pop(self.copies[c].pk, None)

    @rule(c=st.integers(0, 3))
    def renew(self, c: int) -> None:
        with contextlib.suppress(DomainError):
            services.renew(barcode=self.copies[c].barcode, now=self.now())

    @rule(p=st.integers(0, 3), r=st.integers(0, 2), b=st.integers(0, 1), specific=st.booleans())
    def place_hold(self, p: int, r: int, b: int, specific: bool) -> None:
        record = self.records[r]
        copy = next(c for c in self.copies if c.record_id == record.pk) if specific else None
        with contextlib.suppress(DomainError):
            services.place_hold(
                patron=self.patrons[p],
                record=record,
                pickup_branch=self.branches[b],
                holding=copy,
                now=self.now(),
            )

    @rule(i=st.integers(0, 50), action=st.sampled_from(["suspend", "resume", "cancel"]))
    def act_on_hold(self, i: int, action: str) -> None:
        holds = list(Hold.objects.order_by("pk"))
        if not holds:
            return
        hold = holds[i % len(holds)]
        with contextlib.suppress(DomainError):
            if action == "suspend":
                services.suspend_hold(hold=hold, patron=hold.patron)
            elif action == "resume":
                services.resume_hold(hold=hold, patron=hold.patron)
            else:
                services.cancel_hold(hold=hold, patron=hold.patron)

    @rule(days=st.integers(1, 10))
    def days_pass(self, days: int) -> None:
        self.today += timedelta(days=days)
        services.expire_holds(now=self.now())

    # -- invariants ----------------------------------------------------------------------------
    @invariant()
    def loans_match_the_copies_and_the_steps(self) -> None:
        loans = {loan.holding_id: loan.patron_id for loan in Loan.objects.all()}
        assert loans == self.lent
        for copy in Holding.objects.filter(pk__in=[c.pk for c in self.copies]):
            assert (copy.status == HoldingStatus.ON_LOAN) == (copy.pk in loans), (copy.barcode, copy.status)

    @invariant()
    def hold_shelf_and_transit_are_consistent(self) -> None:
        assigned = list(Hold.objects.filter(state__in=[HoldState.READY, HoldState.IN_TRANSIT]))
        copies = [h.assigned_id for h in assigned]
        assert len(copies) == len(set(copies)), "a copy fills two holds"
        by_copy = {h.assigned_id: h for h in assigned}
        for copy in Holding.objects.filter(pk__in=[c.pk for c in self.copies]):
            hold = by_copy.get(copy.pk)
            on_shelf = copy.status == HoldingStatus.ON_HOLD_SHELF
            cleared = HoldShelfClearance.objects.filter(holding=copy).exists()
            assert not (cleared and hold is not None), "a copy to take down is also held"
            assert on_shelf == ((hold is not None and hold.state == HoldState.READY) or cleared), (
                copy.barcode,
                copy.status,
            )
            in_transit = Transit.objects.filter(holding=copy).first()
            assert (copy.status == HoldingStatus.IN_TRANSIT) == (in_transit is not None)
            if hold is not None and hold.state == HoldState.IN_TRANSIT:
                assert in_transit is not None
                assert in_transit.to_branch_id == hold.pickup_branch_id
            if hold is not None and hold.state == HoldState.READY:
                # A ready hold is at its pickup branch, with a deadline (expired ones end each day).
                assert hold.pickup_by is not None and hold.pickup_by >= self.today
                assert in_transit is None

    @invariant()
    def queue_order_holds(self) -> None:
        for record in self.records:
            waiting = list(
                Hold.objects.filter(record=record, state=HoldState.WAITING).order_by("placed_at", "pk")
            )
            if not waiting:
                continue
            positions = [selectors.queue_position(h) for h in waiting]
            assert positions[0] == 1  # the earliest waiting hold is next
            # A hold for any copy waits behind every earlier hold on the record (and a hold for one
            # copy behind the earlier ones that could take that copy, so never further back).
            for index, (hold, position) in enumerate(zip(waiting, positions, strict=True)):
                if hold.holding_id is None:
                    assert position == index + 1
                else:
                    assert 1 <= position <= index + 1


@pytest.mark.django_db
def test_circulation_keeps_its_invariants_under_random_steps():
    run_state_machine_as_test(
        Circulation,
        settings=settings(
            max_examples=30,
            stateful_step_count=25,
            phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
