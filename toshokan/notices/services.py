"""Sending notices: the log row in the caller's transaction, the e-mail by a task after commit.

`send_notice` writes the patron's Notice (generic text: a count, a branch, a date) and, for patrons
who chose e-mail, the e-mail as it will be sent (it may list titles) in OutboundEmail; the task
that sends it is enqueued with `transaction.on_commit`, so a rolled-back checkin or return sends
nothing and no mail is ever sent inside a transaction. The worker (`deliver_email`) takes the
e-mail out of the outbox — deleting it — before it talks to the SMTP server, and records the
outcome on the Notice: *delivered* when the SMTP server accepted the message for the recipient,
*sent* when the configured mail backend is not SMTP and cannot say, *failed* with the server's
answer or the connection error. See docs/notices.md.
"""

from __future__ import annotations

import email.message
import logging
import smtplib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.header import Header
from email.utils import formataddr, parseaddr
from functools import partial
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from toshokan.patrons.domain.enums import NoticeChannel
from toshokan.patrons.models import Patron

from .domain.enums import NoticeKind, NoticeStatus
from .domain.messages import (
    Message,
    NoticeContext,
    NoticeError,
    NoticeItem,
    check,
    compose,
    format_date,
    language_of,
)
from .models import Notice, OutboundEmail

logger = logging.getLogger(__name__)

# A queued notice whose task has not run by then is looked at again by `retry_stalled`.
STALLED_AFTER = timedelta(minutes=15)


def library_name(language: str) -> str:
    names: dict[str, str] = getattr(settings, "TOSHOKAN_LIBRARY_NAME", {})
    return names.get(language) or names.get("ja") or "toshokan"


def from_address(language: str) -> str:
    """DEFAULT_FROM_EMAIL, shown with the library's name unless it already carries a name."""
    configured = str(settings.DEFAULT_FROM_EMAIL)
    name, address = parseaddr(configured)
    return configured if name else formataddr((library_name(language), address))


@transaction.atomic
def send_notice(
    *,
    patron: Patron,
    kind: NoticeKind | str,
    items: Sequence[NoticeItem] = (),
    context: NoticeContext | None = None,
    now: datetime | None = None,
) -> Notice:
    """Tell a patron something: a Notice in their log (always — it is their account's お知らせ) and,
    if they chose e-mail, an e-mail sent after the caller's transaction commits.

    `items` are the titles the e-mail lists (never stored); `context` the day and branch the
    notice is about. A notice that would say nothing useful raises NoticeError.
    """
    try:
        kind = NoticeKind(kind)
    except ValueError:
        raise NoticeError(f"unknown notice kind {kind!r}", code="unknown_notice_kind") from None
    context = context or NoticeContext()
    check(kind, items=items, context=context)
    now = now or timezone.now()
    language = language_of(patron.language)
    message = compose(kind, count=len(items), context=context, language=language)
    row = Notice(
        patron=patron,
        kind=kind.value,
        channel=patron.notice_channel,
        language=language,
        subject=message.subject,
        body=message.body,
        created_at=now,
    )
    if patron.notice_channel != NoticeChannel.EMAIL:
        # The account is the mailbox: the notice is there as soon as this transaction commits.
        row.status = NoticeStatus.DELIVERED
        row.sent_at = now
        row.save()
        return row
    if not patron.email:
        row.status = NoticeStatus.FAILED
        row.error = "メールアドレスが登録されていません (no e-mail address on file)"
        row.save()
        return row
    row.address = patron.email
    row.save()
    OutboundEmail.objects.create(
        notice=row,
        to=patron.email,
        subject=email_subject(message, language),
        body=render_email(patron=patron, kind=kind, message=message, items=items, language=language),
    )
    transaction.on_commit(partial(_enqueue, row.pk), robust=True)
    return row


@transaction.atomic
def resend(*, notice: Notice, now: datetime | None = None) -> Notice:
    """Send a failed e-mail notice again — after staff corrected the address, or the mail server
    is back — as a new notice in the log (the failure stays there). The titles were never kept, so
    the e-mail says what the notice says, without its list of items."""
    failed = Notice.objects.select_for_update().select_related("patron").get(pk=notice.pk)
    patron = failed.patron
    if failed.status != NoticeStatus.FAILED or failed.channel != NoticeChannel.EMAIL:
        raise NoticeError("送信に失敗したメールのお知らせだけを再送できます", code="notice_not_failed")
    if patron.notice_channel != NoticeChannel.EMAIL or not patron.email:
        raise NoticeError(
            "この利用者はメールでのお知らせを受け取る設定ではありません (no e-mail address or channel)",
            code="notice_no_email",
        )
    message = Message(failed.subject, failed.body)
    row = Notice.objects.create(
        patron=patron,
        kind=failed.kind,
        channel=NoticeChannel.EMAIL.value,
        language=failed.language,
        address=patron.email,
        subject=failed.subject,
        body=failed.body,
        created_at=now or timezone.now(),
    )
    OutboundEmail.objects.create(
        notice=row,
        to=patron.email,
        subject=email_subject(message, failed.language),
        body=render_email(
            patron=patron, kind=NoticeKind(failed.kind), message=message, items=(), language=failed.language
        ),
    )
    transaction.on_commit(partial(_enqueue, row.pk), robust=True)
    return row


def email_subject(message: Message, language: str) -> str:
    name = library_name(language)
    return f"[{name}] {message.subject}" if language == "en" else f"【{name}】{message.subject}"


def render_email(
    *,
    patron: Patron,
    kind: NoticeKind,
    message: Message,
    items: Sequence[NoticeItem],
    language: str,
) -> str:
    """The e-mail body from templates/notices/email/<language>.txt: greeting, the notice's own
    text, the items by title (with due dates where they matter) and the library's footer."""
    return (
        render_to_string(
            f"notices/email/{language}.txt",
            {
                "kind": kind.value,
                "patron_name": patron.display_name,
                "card_number": patron.card_number,
                "message": message,
                "items": [
                    {"title": i.title, "due_on": format_date(i.due_on, language) if i.due_on else ""}
                    for i in items
                ],
                "library": library_name(language),
                "account_url": getattr(settings, "TOSHOKAN_ACCOUNT_URL", ""),
            },
        ).strip()
        + "\n"
    )


def _enqueue(notice_id: int) -> None:
    from . import tasks  # tasks call back into this module

    tasks.deliver_notice.enqueue(notice_id)


@dataclass(frozen=True, slots=True)
class _Taken:
    to: str
    subject: str
    body: str
    language: str


def deliver_email(*, notice_id: int, now: datetime | None = None) -> NoticeStatus | None:
    """Send one queued notice's e-mail (the background task's work) and record the outcome.

    The outbox row is deleted before the SMTP conversation starts: it is how a worker claims the
    message (a second run finds nothing and does nothing) and it means the text that may list
    titles is gone from the database whatever happens next. Returns the new status, or None when
    there was nothing to send.
    """
    with transaction.atomic():
        mail = (
            OutboundEmail.objects.select_for_update()
            .select_related("notice")
            .filter(notice_id=notice_id, notice__status=NoticeStatus.QUEUED)
            .first()
        )
        if mail is None:
            return None
        taken = _Taken(mail.to, mail.subject, mail.body, mail.notice.language)
        deleted, _ = OutboundEmail.objects.filter(pk=mail.pk).delete()
        if not deleted:
            return None
    status, error = _send(taken)
    Notice.objects.filter(pk=notice_id, status=NoticeStatus.QUEUED).update(
        status=status,
        sent_at=(now or timezone.now()) if status != NoticeStatus.FAILED else None,
        error=error,
    )
    if status == NoticeStatus.FAILED:
        logger.warning("notice %s: e-mail failed: %s", notice_id, error)
    return status


class _NoticeEmail(EmailMessage):
    """Django 5.2's email API (compat32) encodes a Japanese subject without knowing the header's
    name, so the folded subject starts on a continuation line and readers see a leading space.
    A Header that knows it is the Subject folds where it should."""

    def message(self, **kwargs: Any) -> Any:
        msg = super().message(**kwargs)
        subject = str(self.subject)
        if not subject.isascii():
            del msg["Subject"]
            # Past Django's __setitem__, which would encode the Header's text a second time.
            email.message.Message.__setitem__(msg, "Subject", Header(subject, "utf-8", header_name="Subject"))
        return msg


def _send(mail: _Taken) -> tuple[NoticeStatus, str]:
    connection = get_connection(fail_silently=False)
    message = _NoticeEmail(
        subject=mail.subject,
        body=mail.body,
        from_email=from_address(mail.language),
        to=[mail.to],
        headers={"Auto-Submitted": "auto-generated"},  # RFC 3834: no auto-replies, please
        connection=connection,
    )
    try:
        accepted = message.send()
    except smtplib.SMTPRecipientsRefused as e:
        return NoticeStatus.FAILED, "; ".join(
            f"{address}: {code} {_text(reply)}" for address, (code, reply) in e.recipients.items()
        )
    except smtplib.SMTPResponseException as e:
        return NoticeStatus.FAILED, f"{e.smtp_code} {_text(e.smtp_error)}"
    except (smtplib.SMTPException, OSError) as e:
        where = f"{settings.EMAIL_HOST}:{settings.EMAIL_PORT}"
        return NoticeStatus.FAILED, f"{where}: {type(e).__name__}: {e}"
    if accepted != 1:
        return NoticeStatus.FAILED, "the mail backend did not take the message"
    # Django's SMTP backend raises unless the server accepted our only recipient and the data.
    return (NoticeStatus.DELIVERED if isinstance(connection, SMTPBackend) else NoticeStatus.SENT), ""


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


@transaction.atomic
def mark_read(*, patron: Patron, notice_ids: Iterable[int] | None = None, now: datetime | None = None) -> int:
    """The patron has seen these notices (all of theirs when `notice_ids` is None)."""
    qs = Notice.objects.filter(patron=patron, read_at__isnull=True)
    if notice_ids is not None:
        qs = qs.filter(pk__in=list(notice_ids))
    return qs.update(read_at=now or timezone.now())


def retry_stalled(*, now: datetime | None = None) -> tuple[int, int]:
    """Look after queued e-mails whose task never ran or never finished (a worker that was down,
    a process that died after commit): enqueue those still in the outbox again; mark failed those
    a worker took but never reported on. Returns (enqueued again, marked failed)."""
    cutoff = (now or timezone.now()) - STALLED_AFTER
    stalled = Notice.objects.filter(status=NoticeStatus.QUEUED, created_at__lt=cutoff)
    waiting = list(stalled.filter(outbound__isnull=False).values_list("pk", flat=True))
    for pk in waiting:
        _enqueue(pk)
    lost = stalled.filter(outbound__isnull=True).update(
        status=NoticeStatus.FAILED,
        error="送信処理が中断されました (interrupted: the worker stopped while sending; it may not have arrived)",
    )
    return len(waiting), lost


def prune(*, now: datetime | None = None, days: int | None = None) -> int:
    """Delete notices older than the retention period (TOSHOKAN_NOTICE_RETENTION_DAYS, 365 by
    default): a patron's log is for following up, not an archive of their borrowing."""
    keep = days if days is not None else int(getattr(settings, "TOSHOKAN_NOTICE_RETENTION_DAYS", 365))
    if keep <= 0:
        raise NoticeError("the retention period must be at least one day", code="notice_retention")
    _, by_model = Notice.objects.filter(
        created_at__lt=(now or timezone.now()) - timedelta(days=keep)
    ).delete()
    return by_model.get(Notice._meta.label, 0)


__all__ = [
    "NoticeContext",
    "NoticeError",
    "NoticeItem",
    "NoticeKind",
    "NoticeStatus",
    "deliver_email",
    "mark_read",
    "prune",
    "resend",
    "retry_stalled",
    "send_notice",
]
