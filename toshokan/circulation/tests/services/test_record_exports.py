"""The two-approver export of a named patron's reading record (令状), through its services on a
real database: each step is audited, the requester cannot approve, requests lapse, the record is
downloaded once, and it holds that patron's record and no one else's."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta

import pytest
from django.utils import timezone

from toshokan.circulation import record_exports, services
from toshokan.circulation.models import ReadingHistory, ReadingRecordExport
from toshokan.circulation.tests import factories
from toshokan.circulation.tests.web.conftest import staff
from toshokan.core import audit
from toshokan.core.domain import DomainError, Forbidden
from toshokan.core.models import AuditEvent
from toshokan.patrons.tests import factories as patron_factories

pytestmark = pytest.mark.django_db

WARRANT = "令和8年(む)第1234号 捜索差押許可状 東京地方裁判所 (請求: 警視庁丸の内警察署)"


@pytest.fixture
def people(db):
    factories.branch("central")
    return {
        "clerk": staff("clerk", "desk"),
        "manager": staff("boss", "manager"),
        "manager2": staff("boss2", "manager"),
    }


def by(user) -> audit.By:
    return audit.by_user(user, audit.Via.DESK, "192.0.2.5")


def borrow_and_return(patron, title: str) -> None:
    from toshokan.catalog.tests import factories as catalog_factories

    item = factories.copy(catalog_factories.record(title))
    central = item.branch
    services.checkout(barcode=item.barcode, patron=patron, branch=central)
    services.checkin(barcode=item.barcode, branch=central)


def ask(people, patron, *, user=None, now=None) -> ReadingRecordExport:
    user = user or people["clerk"]
    return record_exports.request_export(
        card_number=patron.card_number, reason=WARRANT, by_user=user, by=by(user), now=now
    )


def approve(people, export, *, user=None, now=None, approve=True, note="令状を確認した"):
    user = user or people["manager"]
    return record_exports.decide_export(
        export_id=export.pk, approve=approve, note=note, by_user=user, by=by(user), now=now
    )


def download(people, export, *, user=None, now=None):
    user = user or people["clerk"]
    return record_exports.download_export(export_id=export.pk, by_user=user, by=by(user), now=now)


def unzip(file) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(file.content)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_request_approval_and_one_download_give_the_patrons_record_and_audit_every_step(people):
    reader = patron_factories.patron("読書", given_name="好子", reading_history=True)
    borrow_and_return(reader, "吾輩は猫である")
    borrow_and_return(reader, "草枕")
    assert ReadingHistory.objects.filter(patron=reader).count() == 2
    export = ask(people, reader)
    approve(people, export)
    file = download(people, export)

    files = unzip(file)
    assert set(files) == {"reading-record.json", "reading_history.csv", "loans.csv", "holds.csv"}
    data = json.loads(files["reading-record.json"])
    assert data["patron"]["card_number"] == reader.card_number
    assert sorted(h["title"] for h in data["reading_history"]) == ["吾輩は猫である", "草枕"]
    assert data["export"]["reason"] == WARRANT and data["export"]["approved_by"] == "boss"
    history_csv = files["reading_history.csv"].decode("utf-8-sig")
    assert history_csv.splitlines()[0] == "record_id,title,borrowed_on,returned_on"
    assert "草枕" in history_csv

    events = list(AuditEvent.objects.order_by("seq").filter(patron_id=reader.pk, action__startswith="export"))
    assert [(e.action, e.actor_username) for e in events] == [
        ("export_requested", "clerk"),
        ("export_approved", "boss"),
        ("export_downloaded", "clerk"),
    ]
    assert events[0].reason == WARRANT and events[1].reason == "令状を確認した"
    assert all(e.detail == {"export": export.pk} for e in events)
    assert all("草枕" not in json.dumps(e.detail, ensure_ascii=False) + e.reason for e in events)
    assert audit.verify().intact


def test_the_requester_cannot_approve_their_own_request_even_as_a_manager(people):
    patron = patron_factories.patron()
    export = ask(people, patron, user=people["manager"])
    with pytest.raises(DomainError) as refused:
        approve(people, export, user=people["manager"])
    assert refused.value.code == "export_same_person"
    export.refresh_from_db()
    assert export.state == "pending"
    approve(people, export, user=people["manager2"])  # a different manager may
    assert not AuditEvent.objects.filter(action="export_approved", actor_username="boss").exists()


def test_desk_staff_without_the_approval_permission_cannot_approve(people):
    export = ask(people, patron_factories.patron(), user=people["manager"])
    with pytest.raises(Forbidden):
        approve(people, export, user=people["clerk"])


def test_a_request_needs_a_reason(people):
    patron = patron_factories.patron()
    for reason in ("", "   ", "令状"):
        with pytest.raises(DomainError) as refused:
            record_exports.request_export(
                card_number=patron.card_number, reason=reason, by_user=people["clerk"], by=by(people["clerk"])
            )
        assert refused.value.code == "export_reason_required"
    assert not ReadingRecordExport.objects.exists()
    assert not AuditEvent.objects.filter(action="export_requested").exists()


def test_a_refusal_needs_a_note_and_ends_the_request(people):
    export = ask(people, patron_factories.patron())
    with pytest.raises(DomainError, match="却下の理由"):
        approve(people, export, approve=False, note="")
    approve(people, export, approve=False, note="令状の写しが添付されていない")
    with pytest.raises(DomainError) as refused:
        download(people, export)
    assert refused.value.code == "export_not_approved"
    assert (
        AuditEvent.objects.filter(action="export_refused", reason="令状の写しが添付されていない").count() == 1
    )


def test_an_unapproved_request_lapses_after_seven_days(people):
    asked = timezone.now() - timedelta(days=8)
    export = ask(people, patron_factories.patron(), now=asked)
    assert record_exports.is_expired(export)
    with pytest.raises(DomainError) as refused:
        approve(people, export)
    assert refused.value.code == "export_expired"


def test_an_expired_approval_cannot_be_downloaded(people):
    now = timezone.now()
    export = ask(people, patron_factories.patron(), now=now - timedelta(days=2))
    approve(people, export, now=now - timedelta(hours=25))
    with pytest.raises(DomainError) as refused:
        download(people, export, now=now)
    assert refused.value.code == "export_expired"
    assert not AuditEvent.objects.filter(action="export_downloaded").exists()


def test_a_second_download_is_refused(people):
    export = ask(people, patron_factories.patron())
    approve(people, export)
    download(people, export)
    with pytest.raises(DomainError) as refused:
        download(people, export)
    assert refused.value.code == "export_downloaded"
    assert AuditEvent.objects.filter(action="export_downloaded").count() == 1


def test_only_the_requester_downloads(people):
    export = ask(people, patron_factories.patron())
    approve(people, export)
    with pytest.raises(DomainError) as refused:
        download(people, export, user=people["manager"])
    assert refused.value.code == "export_not_requester"


def test_a_patron_who_never_opted_in_has_an_empty_history_not_someone_elses(people):
    keeper = patron_factories.patron("記録", given_name="残す", reading_history=True)
    private = patron_factories.patron("秘密", given_name="守")
    borrow_and_return(keeper, "こころ")
    borrow_and_return(private, "それから")  # returned: nothing kept for a patron who did not opt in
    from toshokan.catalog.tests import factories as catalog_factories

    lent = factories.copy(catalog_factories.record("門"))
    services.checkout(barcode=lent.barcode, patron=private, branch=lent.branch)

    export = ask(people, private)
    approve(people, export)
    data = json.loads(unzip(download(people, export))["reading-record.json"])
    assert data["patron"] == {
        "card_number": private.card_number,
        "name": "秘密 守",
        "reading_history_opt_in": False,
    }
    assert data["reading_history"] == []
    assert [loan["title"] for loan in data["loans"]] == ["門"]  # what they have now
    assert "こころ" not in json.dumps(data, ensure_ascii=False)
    assert "それから" not in json.dumps(data, ensure_ascii=False)
