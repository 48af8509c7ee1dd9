"""Circulation and patrons in Django's admin: managers edit rules and calendars, the desk does not,
and nothing there keeps or logs a link between a patron and what they borrowed."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse

from toshokan.circulation import services
from toshokan.circulation.models import CirculationRule, Hold, Loan, PatronSuspension, ReadingHistory
from toshokan.patrons.models import StaffAccess
from toshokan.staff.testing import sign_in

from .conftest import staff

pytestmark = pytest.mark.django_db


def test_loans_holds_and_reading_history_are_not_in_the_admin():
    for model in (Loan, Hold, ReadingHistory, PatronSuspension):
        assert not admin.site.is_registered(model), model


def test_a_manager_edits_rules_in_the_admin_and_the_desk_may_only_read_them(client, library):
    sign_in(client, staff("m", "manager"))
    response = client.post(
        reverse("admin:circulation_circulationrule_add"),
        {
            "patron_category": "child",
            "material_type": "",
            "branch": library.kita.pk,
            "loan_days": 7,
            "max_loans": 5,
            "max_renewals": 1,
            "max_holds": 5,
            "hold_pickup_days": 7,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    rule = CirculationRule.objects.get()
    assert rule.loan_days == 7 and rule.branch == library.kita
    sign_in(client, staff("d", "desk"))
    change = reverse("admin:circulation_circulationrule_change", args=[rule.pk])
    assert client.get(change).status_code == 200  # view permission
    client.post(change, {"loan_days": 30})
    rule.refresh_from_db()
    assert rule.loan_days == 7
    assert client.get(reverse("admin:circulation_closedday_add")).status_code == 403


def test_opening_a_patron_in_the_admin_is_audited_and_shows_nothing_they_borrowed(client, library):
    p = library.patron
    item = library.copies[0]
    services.checkout(barcode=item.barcode, patron=p, branch=library.central)
    sign_in(client, staff("m", "manager"))
    page = client.get(reverse("admin:patrons_patron_change", args=[p.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "pin_hash" not in html and item.barcode not in html and "こころ" not in html
    access = StaffAccess.objects.get(patron=p)
    assert (access.kind, access.via, access.actor.username) == ("profile", "admin", "m")


def test_patrons_are_registered_at_the_desk_not_added_in_the_admin(client, library):
    sign_in(client, staff("a", "admin"))
    assert client.get(reverse("admin:patrons_patron_add")).status_code == 403
