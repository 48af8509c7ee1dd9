"""Every staff read of a patron's loans, holds or details — at the desk's pages, through the JSON
API, in the admin, at a self-check terminal without the patron's PIN — and every change staff make
on a patron's behalf appears in the append-only audit log, with who, whom, through what and from
where; the log names no title and no barcode."""

from __future__ import annotations

import pytest
from django.urls import reverse

from toshokan.circulation import services
from toshokan.circulation.sip2 import gateway as g
from toshokan.circulation.sip2.services_gateway import ServicesGateway
from toshokan.core import audit
from toshokan.core.models import AuditEvent
from toshokan.patrons.models import Patron, PatronBlock
from toshokan.patrons.tests.api_clients import post, staff_client
from toshokan.staff.testing import sign_in

from .conftest import staff

pytestmark = pytest.mark.django_db


def events(patron, *, action: str | None = None, via: str | None = None):
    qs = AuditEvent.objects.filter(patron_id=patron.pk)
    if action:
        qs = qs.filter(action=action)
    if via:
        qs = qs.filter(via=via)
    return list(qs.order_by("seq"))


def no_titles_or_barcodes(library) -> None:
    marks = [library.kokoro.title, library.botchan.title, *(c.barcode for c in library.copies)]
    for e in AuditEvent.objects.all():
        text = f"{e.reason} {e.detail}"
        assert not any(m in text for m in marks), e


def test_every_desk_page_that_shows_a_patrons_loans_is_in_the_audit_log(client, library):
    clerk = staff("clerk", "desk")
    sign_in(client, clerk)
    services.checkout(barcode=library.copies[0].barcode, patron=library.patron, branch=library.central)

    page = client.get(reverse("desk:patron", args=[library.patron.pk]), REMOTE_ADDR="203.0.113.9")
    assert library.copies[0].barcode in page.content.decode()  # the loans were shown
    (loans,) = events(library.patron, action="viewed_loans")
    assert (loans.actor_id, loans.actor_username, loans.via, loans.client_address) == (
        clerk.pk,
        "clerk",
        "desk",
        "203.0.113.9",
    )
    assert {e.action for e in events(library.patron)} >= {"viewed_profile", "viewed_loans", "viewed_holds"}

    # The checkout page, after the card is scanned, shows the patron too.
    client.post(reverse("desk:checkout"), {"card": library.other.card_number})
    assert [e.action for e in events(library.other)] == ["viewed_profile"]
    assert not events(library.other, action="viewed_loans")  # the checkout page lists no earlier loans
    no_titles_or_barcodes(library)
    assert audit.verify().intact


def test_every_api_read_of_a_patrons_account_is_in_the_audit_log(library):
    desk = staff_client("api-desk")
    card = library.patron.card_number
    services.checkout(barcode=library.copies[2].barcode, patron=library.patron, branch=library.central)
    for path, action in [
        (f"/api/v1/patrons/{card}", "viewed_profile"),
        (f"/api/v1/patrons/{card}/loans", "viewed_loans"),
        (f"/api/v1/patrons/{card}/holds", "viewed_holds"),
        (f"/api/v1/patrons/{card}/history", "viewed_history"),
    ]:
        before = len(events(library.patron, action=action))
        assert desk.get(path, REMOTE_ADDR="198.51.100.23").status_code == 200
        after = events(library.patron, action=action, via="api")
        assert len(after) == before + 1, path
        assert (after[-1].actor_username, after[-1].client_address) == ("api-desk", "198.51.100.23")
    loans = desk.get(f"/api/v1/patrons/{card}/loans").json()
    assert loans[0]["barcode"] == library.copies[2].barcode
    assert len(events(library.patron, action="viewed_loans", via="api")) == 2
    no_titles_or_barcodes(library)


def test_a_refused_api_read_leaves_no_event(library):
    cataloguer = staff_client("cat", perms=("catalog.view_record",))
    assert cataloguer.get(f"/api/v1/patrons/{library.patron.card_number}/loans").status_code == 403
    assert not AuditEvent.objects.filter(patron_id=library.patron.pk).exists()


def test_staff_changes_at_the_desk_are_in_the_audit_log(client, library):
    manager = staff("boss", "manager")
    sign_in(client, manager)
    p = library.patron
    client.post(reverse("desk:reset_pin", args=[p.pk]), {"pin": "8642"})
    client.post(reverse("desk:add_block", args=[p.pk]), {"reason": "conduct", "note": "館内で大声"})
    block = PatronBlock.objects.get(patron=p)
    client.post(reverse("desk:lift_block", args=[p.pk, block.pk]))
    client.post(
        reverse("desk:place_hold", args=[p.pk]), {"item": library.copies[0].barcode, "pickup_branch": "kita"}
    )
    hold = p.holds.get()
    client.post(reverse("desk:cancel_hold", args=[p.pk, hold.pk]))
    client.post(
        reverse("desk:register"),
        {
            "family_name": "新井",
            "category": "adult",
            "residency": "resident",
            "home_branch": "kita",
            "notice_channel": "account",
        },
    )
    new = Patron.objects.get(family_name="新井")
    written = [e.action for e in events(p) if not e.action.startswith("viewed")]
    assert written == ["pin_reset", "blocked", "unblocked", "hold_placed", "hold_cancelled"]
    blocked = events(p, action="blocked")[0]
    assert blocked.reason == "館内で大声" and blocked.detail["block_reason"] == "conduct"
    assert [e.action for e in events(new)] == ["registered"]
    assert all(
        e.actor_username == "boss" and e.via == "desk"
        for e in AuditEvent.objects.exclude(action__startswith="staff_")
    )
    no_titles_or_barcodes(library)


def test_a_refused_change_leaves_no_event(client, library):
    sign_in(client, staff("clerk", "desk"))
    client.post(reverse("desk:reset_pin", args=[library.patron.pk]), {"pin": "12"})  # not a valid PIN
    client.post(reverse("desk:renew_registration", args=[library.patron.pk]))  # too early to renew
    assert not events(library.patron, action="pin_reset")
    assert not events(library.patron, action="registration_renewed")


def test_staff_changes_through_the_api_are_in_the_audit_log(library):
    desk = staff_client(
        "api-manager",
        perms=(
            "circulation.add_loan",
            "patrons.change_patron",
            "patrons.add_patronblock",
            "patrons.view_patron",
        ),
    )
    card = library.patron.card_number
    assert (
        desk.patch(
            f"/api/v1/patrons/{card}/preferences", {"phone": "03-1234-5678"}, content_type="application/json"
        ).status_code
        == 200
    )
    assert (
        desk.put(f"/api/v1/patrons/{card}/pin", {"pin": "2468"}, content_type="application/json").status_code
        == 204
    )
    assert post(desk, f"/api/v1/patrons/{card}/blocks", {"reason": "lost_card"}).status_code == 201
    changed = events(library.patron, action="changed", via="api")
    assert changed[0].detail == {"fields": "phone"}
    assert "03-1234-5678" not in str(changed[0].detail)
    assert [e.action for e in events(library.patron, via="api") if not e.action.startswith("viewed")] == [
        "changed",
        "pin_reset",
        "blocked",
    ]


def test_the_admins_patron_page_and_its_changes_are_in_the_audit_log(client, library):
    sign_in(client, staff("root", "admin"))
    url = f"/admin/patrons/patron/{library.patron.pk}/change/"
    assert client.get(url).status_code == 200
    assert events(library.patron, action="viewed_profile", via="admin")


def test_deleting_a_patron_keeps_their_audit_events(client, library):
    sign_in(client, staff("clerk", "desk"))
    client.get(reverse("desk:patron", args=[library.other.pk]))
    pk = library.other.pk
    library.other.delete()
    assert AuditEvent.objects.filter(patron_id=pk).count() == 3


def test_a_self_check_listing_a_patrons_items_without_their_pin_is_a_staff_read(library):
    kiosk = staff("kiosk", "desk")
    gateway = ServicesGateway()
    # The method itself, without the worker wrapper that closes this thread's connection (the
    # server's threads do that; here it would end the test's transaction).
    information = ServicesGateway.patron_information.__wrapped__  # type: ignore[attr-defined]
    terminal = g.Terminal(user=kiosk.username, location="central")
    summary = g.Summary.from_field("Y         ")
    information(gateway, library.patron.card_number, "4321", summary, terminal=terminal)  # with the PIN
    assert not events(library.patron)
    information(gateway, library.patron.card_number, None, summary, terminal=terminal)
    assert {(e.action, e.via, e.actor_username) for e in events(library.patron)} == {
        ("viewed_loans", "sip2", "kiosk"),
        ("viewed_holds", "sip2", "kiosk"),
    }
