"""図書館の自由に関する宣言 through the API: after a patron who did not opt in returns a book, no
API answer, stored Idempotency-Key answer, row or log line links them to it — while staff reads of
their account along the way left audit rows."""

from __future__ import annotations

import json
import logging

import pytest

from toshokan.circulation.tests import factories
from toshokan.circulation.tests.services.test_privacy import rows_linking
from toshokan.patrons.models import StaffAccess
from toshokan.patrons.tests import factories as patron_factories
from toshokan.patrons.tests.api_clients import patron_client, post, staff_client

pytestmark = pytest.mark.django_db


def test_after_a_return_no_api_answer_links_the_patron_to_the_copy(caplog, on_commit):
    caplog.set_level(logging.DEBUG)
    factories.branch("central")
    factories.branch("kita")
    desk = staff_client("desk")
    p = patron_factories.patron("秘密", given_name="守")
    item = factories.copy()
    me = patron_client(p)
    patron_marks = [p.card_number, p.display_name]
    item_marks = [item.barcode, item.record.title]

    with on_commit():
        lent = post(
            desk,
            "/api/v1/loans",
            {"barcode": item.barcode, "card_number": p.card_number, "branch": "central"},
            **{"Idempotency-Key": "k-lend"},
        )
        assert lent.status_code == 201
        loans = me.get("/api/v1/me/loans").json()
        assert item.barcode in json.dumps(loans, ensure_ascii=False)  # while lent, they see it
        assert desk.get(f"/api/v1/patrons/{p.card_number}/loans").json()[0]["barcode"] == item.barcode
        returned = post(
            desk,
            "/api/v1/returns",
            {"barcode": item.barcode, "branch": "kita"},
            **{"Idempotency-Key": "k-ret"},
        )
    assert returned.status_code == 200
    assert not any(m in returned.content.decode() for m in patron_marks), (
        "a return never says who returned it"
    )

    about_patron = {
        "staff: patron": desk.get(f"/api/v1/patrons/{p.card_number}"),
        "staff: loans": desk.get(f"/api/v1/patrons/{p.card_number}/loans"),
        "staff: holds": desk.get(f"/api/v1/patrons/{p.card_number}/holds"),
        "staff: history": desk.get(f"/api/v1/patrons/{p.card_number}/history"),
        "me": me.get("/api/v1/me"),
        "me: loans": me.get("/api/v1/me/loans"),
        "me: holds": me.get("/api/v1/me/holds"),
        "me: history": me.get("/api/v1/me/reading-history"),
    }
    about_item = {
        "record": desk.get(f"/api/v1/records/{item.record_id}"),
        "transits in": desk.get("/api/v1/branches/central/transits?direction=incoming"),
        "transits out": desk.get("/api/v1/branches/kita/transits?direction=outgoing"),
        "hold shelf": desk.get("/api/v1/branches/central/hold-shelf"),
        "pull list": desk.get("/api/v1/branches/central/pull-list"),
        "return retried": post(
            desk,
            "/api/v1/returns",
            {"barcode": item.barcode, "branch": "kita"},
            **{"Idempotency-Key": "k-ret"},
        ),
    }
    for name, response in about_patron.items():
        assert response.status_code == 200, name
        assert not any(m in response.content.decode() for m in item_marks), name
    for name, response in about_item.items():
        assert response.status_code == 200, name
        assert not any(m in response.content.decode() for m in patron_marks), name
    assert item.barcode in about_item["transits in"].content.decode()  # the check can see the copy

    assert rows_linking(p, item) == []
    assert not [
        r.getMessage()
        for r in caplog.records
        if any(m in r.getMessage() for m in patron_marks) and any(m in r.getMessage() for m in item_marks)
    ]
    kinds = set(StaffAccess.objects.filter(patron=p, via="api").values_list("kind", flat=True))
    assert kinds == {"profile", "loans", "holds", "history"}
