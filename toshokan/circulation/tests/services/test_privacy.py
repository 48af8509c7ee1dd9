"""図書館の自由に関する宣言 — 図書館は利用者の秘密を守る: after a return, nothing links the patron
to the copy or the work, unless they chose to keep a reading history.

The check is generic: every row of every table (and every log line written meanwhile) is searched
for anything that names the patron together with anything that names the item.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps
from django.db import models

from toshokan.catalog.models import Holding, Record
from toshokan.circulation import services
from toshokan.circulation.tests import factories
from toshokan.patrons.models import Patron
from toshokan.patrons.tests import factories as patron_factories

pytestmark = pytest.mark.django_db
DAY = date(2026, 12, 1)


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 10, tzinfo=ZoneInfo("Asia/Tokyo"))


def rows_linking(patron: Patron, holding: Holding) -> list[str]:
    """Rows anywhere in the database that point at both the patron and the copy (or its work)."""
    patron_marks = {patron.card_number, patron.family_name + " " + patron.given_name}
    item_marks = {holding.barcode, holding.record.title}
    found = []
    for model in apps.get_models():
        for row in model._default_manager.all():
            names_patron = names_item = False
            for field in model._meta.concrete_fields:
                value = getattr(row, field.attname)
                if isinstance(field, models.ForeignKey):
                    target = field.related_model
                    if target is Patron and value == patron.pk:
                        names_patron = True
                    if (target is Holding and value == holding.pk) or (
                        target is Record and value == holding.record_id
                    ):
                        names_item = True
                elif value is not None:
                    text = str(value)
                    names_patron |= any(m in text for m in patron_marks)
                    names_item |= any(m in text for m in item_marks)
            if model is Patron and row.pk == patron.pk:
                names_patron = True
            if names_patron and names_item:
                found.append(f"{model._meta.label} #{row.pk}")
    return found


def test_after_a_return_nothing_links_a_patron_who_did_not_opt_in_to_the_book(caplog, on_commit):
    caplog.set_level(logging.DEBUG)
    patron = patron_factories.patron("秘密", given_name="守", today=DAY)
    item = factories.copy()
    with on_commit():
        services.checkout(barcode=item.barcode, patron=patron, branch=item.branch, now=at(DAY))
    assert rows_linking(patron, item)  # while lent, the loan links them (the check can see a link)
    with on_commit():
        services.renew(barcode=item.barcode, patron=patron, now=at(DAY + timedelta(days=3)))
        services.checkin(barcode=item.barcode, branch=item.branch, now=at(DAY + timedelta(days=10)))

    assert rows_linking(patron, item) == []
    log_lines = [r.getMessage() for r in caplog.records]
    assert not [
        line
        for line in log_lines
        if patron.card_number in line and (item.barcode in line or item.record.title in line)
    ]


def test_an_opted_in_patron_keeps_exactly_the_history_they_chose(on_commit):
    patron = patron_factories.patron("記録", today=DAY, reading_history=True)
    item = factories.copy()
    with on_commit():
        services.checkout(barcode=item.barcode, patron=patron, branch=item.branch, now=at(DAY))
        services.checkin(barcode=item.barcode, branch=item.branch, now=at(DAY + timedelta(days=1)))
    assert [r.split(" #")[0] for r in rows_linking(patron, item)] == ["circulation.ReadingHistory"]
    services.set_reading_history(patron=patron, enabled=False)
    assert rows_linking(patron, item) == []


def test_a_hold_that_ends_leaves_no_link_either(on_commit):
    patron = patron_factories.patron("予約者", today=DAY)
    item = factories.copy()
    with on_commit():
        hold = services.place_hold(patron=patron, record=item.record, pickup_branch=item.branch, now=at(DAY))
        services.checkin(barcode=item.barcode, branch=item.branch, now=at(DAY))  # trapped from the shelf
        services.checkout(
            barcode=item.barcode, patron=patron, branch=item.branch, now=at(DAY + timedelta(days=1))
        )
        services.checkin(barcode=item.barcode, branch=item.branch, now=at(DAY + timedelta(days=5)))
    assert hold.pk is not None
    assert rows_linking(patron, item) == []
