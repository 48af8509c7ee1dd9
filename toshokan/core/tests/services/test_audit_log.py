"""The audit log cannot be changed through the application — not through the model, its
querysets, the admin or raw SQL — and what is changed behind it (triggers disabled by a database
owner) is found by `manage.py verify_audit_log`."""

from __future__ import annotations

import threading

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, models, transaction

from toshokan.core import audit
from toshokan.core.models import AppendOnly, AuditChainHead, AuditEvent
from toshokan.core.tests.audit_triggers import suspended

pytestmark = pytest.mark.django_db

DESK = audit.By(user_id=7, username="desk1", via=audit.Via.DESK, client_address="192.0.2.10")


def some_events(n: int = 3) -> list[AuditEvent]:
    return [audit.record(by=DESK, action=audit.Action.VIEWED_LOANS, patron_id=40 + i) for i in range(n)]


def refused(statement) -> None:
    """`statement` fails in the database (inside a savepoint, so PostgreSQL's transaction goes on)."""
    with pytest.raises(DatabaseError), transaction.atomic():
        statement()


def test_each_event_is_chained_to_the_one_before():
    first, second, third = some_events()
    assert [first.seq, second.seq, third.seq] == [1, 2, 3]
    assert first.prev_hash == "0" * 64
    assert second.prev_hash == first.hash and third.prev_hash == second.hash
    assert (first.actor_username, first.via, first.client_address) == ("desk1", "desk", "192.0.2.10")
    head = AuditChainHead.objects.get()
    assert (head.seq, head.hash) == (3, third.hash)
    assert audit.verify().intact


def test_the_model_refuses_to_change_or_delete_a_saved_event():
    (event,) = some_events(1)
    event.reason = "書き換え"
    with pytest.raises(AppendOnly):
        event.save()
    with pytest.raises(AppendOnly):
        event.delete()
    with pytest.raises(AppendOnly):
        AuditEvent.objects.filter(pk=event.pk).update(reason="書き換え")
    with pytest.raises(AppendOnly):
        AuditEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(AppendOnly):
        AuditEvent.objects.all().delete()
    event.refresh_from_db()
    assert event.reason == ""


def test_the_database_refuses_updates_and_deletes_that_bypass_the_model():
    (event,) = some_events(1)
    plain: models.QuerySet[AuditEvent] = models.QuerySet(
        model=AuditEvent
    )  # Django's own queryset, without the model's refusal
    refused(lambda: plain.filter(pk=event.pk).update(reason="書き換え"))
    refused(lambda: plain.filter(pk=event.pk).delete())
    refused(lambda: models.Model.save(event, force_update=True))
    refused(lambda: models.Model.delete(event))
    with connection.cursor() as cursor:
        refused(lambda: cursor.execute("UPDATE core_auditevent SET reason = 'x' WHERE id = %s", [event.pk]))
        refused(lambda: cursor.execute("UPDATE core_auditevent SET patron_id = NULL"))
        refused(lambda: cursor.execute("DELETE FROM core_auditevent WHERE id = %s", [event.pk]))
        refused(lambda: cursor.execute("DELETE FROM core_auditevent"))
        if connection.vendor == "postgresql":
            refused(lambda: cursor.execute("TRUNCATE core_auditevent"))
    assert AuditEvent.objects.get(pk=event.pk).reason == ""
    assert audit.verify().intact


def test_deleting_the_staff_account_keeps_its_events():
    user = get_user_model().objects.create_user("temp-staff", password="x", is_staff=True)
    audit.record(by=audit.by_user(user, audit.Via.DESK), action=audit.Action.VIEWED_PROFILE, patron_id=5)
    user.delete()
    event = AuditEvent.objects.get()
    assert (event.actor_username, event.patron_id) == ("temp-staff", 5)


def _tamper(sql: str, params: list[int]) -> None:
    with suspended(connection), connection.cursor() as cursor:
        cursor.execute(sql, params)


def verify_command() -> tuple[bool, str]:
    from io import StringIO

    out, err = StringIO(), StringIO()
    try:
        call_command("verify_audit_log", stdout=out, stderr=err)
    except CommandError as exc:
        return False, err.getvalue() + str(exc)
    return True, out.getvalue()


def test_verify_audit_log_passes_an_untouched_log():
    events = some_events(4)
    ok, output = verify_command()
    assert ok, output
    assert f"4 event(s), last seq 4, hash {events[-1].hash}" in output
    call_command("verify_audit_log", "--expect", f"2:{events[1].hash}", stdout=__import__("io").StringIO())


def test_verify_audit_log_finds_a_row_altered_with_the_triggers_disabled():
    events = some_events(4)
    _tamper("UPDATE core_auditevent SET patron_id = %s WHERE id = %s", [999, events[1].pk])
    assert AuditEvent.objects.get(pk=events[1].pk).patron_id == 999  # the tampering did happen
    ok, output = verify_command()
    assert not ok
    assert "seq 2: content does not match its hash" in output


def test_verify_audit_log_finds_a_row_removed_with_the_triggers_disabled():
    events = some_events(4)
    _tamper("DELETE FROM core_auditevent WHERE id = %s", [events[2].pk])
    ok, output = verify_command()
    assert not ok
    assert "seq 4: sequence jumps from 2 to 4" in output


def test_verify_audit_log_finds_the_last_rows_removed():
    events = some_events(4)
    _tamper("DELETE FROM core_auditevent WHERE seq >= %s", [3])
    ok, output = verify_command()
    assert not ok
    assert "the log ends at 2 but the head says 4" in output
    assert events[-1].seq == 4


def test_verify_audit_log_starts_after_archived_rows_when_told_where():
    events = some_events(5)
    _tamper("DELETE FROM core_auditevent WHERE seq <= %s", [2])
    assert not verify_command()[0]
    out = __import__("io").StringIO()
    call_command("verify_audit_log", "--from", f"3:{events[1].hash}", stdout=out)
    assert "3 event(s), last seq 5" in out.getvalue()
    with pytest.raises(CommandError, match="SEQ:HASH"):
        call_command("verify_audit_log", "--from", "three")


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_never_fork_the_chain():
    errors: list[BaseException] = []

    def write(i: int) -> None:
        try:
            for _ in range(5):
                audit.record(by=DESK, action=audit.Action.VIEWED_HOLDS, patron_id=i)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True)) == list(range(1, 31))
    assert audit.verify().intact


def test_the_admin_shows_the_log_and_offers_no_way_to_change_it(admin_client):
    (event,) = some_events(1)
    listing = admin_client.get("/admin/core/auditevent/")
    assert listing.status_code == 200
    assert "貸出中資料の閲覧" in listing.content.decode()
    assert admin_client.get("/admin/core/auditevent/add/").status_code == 403
    assert admin_client.post(f"/admin/core/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    page = admin_client.get(f"/admin/core/auditevent/{event.pk}/change/")
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    admin_client.post(f"/admin/core/auditevent/{event.pk}/change/", {"reason": "書き換え"})
    assert AuditEvent.objects.get(pk=event.pk).reason == ""


def test_staff_logins_and_failed_logins_are_logged_with_the_address(client):
    get_user_model().objects.create_user("clerk", password="right-password-1", is_staff=True)
    client.post("/desk/login", {"username": "clerk", "password": "wrong"}, REMOTE_ADDR="198.51.100.7")
    client.post("/desk/login", {"username": "nobody-such", "password": "wrong"})
    client.post(
        "/desk/login", {"username": "clerk", "password": "right-password-1"}, REMOTE_ADDR="198.51.100.7"
    )
    rows = list(AuditEvent.objects.order_by("seq").values_list("action", "actor_username", "client_address"))
    assert rows == [
        ("staff_login_failed", "clerk", "198.51.100.7"),
        ("staff_login", "clerk", "198.51.100.7"),
    ]


def test_a_chain_rewritten_from_a_tampered_row_on_is_found_by_a_hash_kept_outside():
    from toshokan.core.domain.audit import EventContent, event_hash

    events = some_events(4)
    anchor = f"3:{events[2].hash}"  # printed by an earlier run and written down
    # Rewrite row 2 and re-chain every row after it, as someone with the table would.
    rows = list(AuditEvent.objects.order_by("seq"))
    prev = rows[0].hash
    with suspended(connection), connection.cursor() as cursor:
        for row in rows[1:]:
            content = EventContent(
                seq=row.seq,
                at=row.at,
                action=row.action,
                via=row.via,
                actor_id=row.actor_id,
                actor_username=row.actor_username,
                patron_id=999 if row.seq == 2 else row.patron_id,
                reason=row.reason,
                client_address=row.client_address,
                detail=row.detail,
            )
            digest = event_hash(content, prev)
            cursor.execute(
                "UPDATE core_auditevent SET patron_id = %s, prev_hash = %s, hash = %s WHERE id = %s",
                [content.patron_id, prev, digest, row.pk],
            )
            prev = digest
        cursor.execute("UPDATE core_auditchainhead SET hash = %s", [prev])
    assert verify_command()[0]  # the chain alone holds together again
    with pytest.raises(CommandError):
        call_command("verify_audit_log", "--expect", anchor, stderr=__import__("io").StringIO())
    with pytest.raises(CommandError, match="SEQ:HASH"):
        call_command("verify_audit_log", "--expect", "3")
