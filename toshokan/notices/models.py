"""The per-patron notice log, and the outbox an e-mail waits in until the worker sends it.

A Notice row is what the patron (and authorised staff) see: its text is generic — a count, a
branch, a date — and never names a title or a barcode (docs/notices.md). The e-mail as sent may
list the titles; that text waits in OutboundEmail only until the worker takes it, and the worker
deletes it before it opens the SMTP connection, so no table keeps it afterwards.
"""

from __future__ import annotations

from django.db import models

from toshokan.patrons.domain.enums import NoticeChannel
from toshokan.patrons.models import Patron

from .domain.enums import NoticeKind, NoticeStatus


def _choices(enum: type, attr: str = "label_ja") -> list[tuple[str, str]]:
    return [(m.value, getattr(m, attr, m.value)) for m in enum]  # type: ignore[attr-defined]


class Notice(models.Model):
    """One notice to one patron: what it said (generically), how it went, and when."""

    patron = models.ForeignKey(Patron, on_delete=models.CASCADE, related_name="notices")
    kind = models.CharField(max_length=32, choices=_choices(NoticeKind))
    channel = models.CharField(
        max_length=16,
        choices=[(NoticeChannel.EMAIL.value, "メール"), (NoticeChannel.ACCOUNT.value, "マイページ")],
    )
    status = models.CharField(max_length=16, choices=_choices(NoticeStatus), default=NoticeStatus.QUEUED)
    language = models.CharField(max_length=8, default="ja")
    address = models.CharField("送信先", max_length=254, blank=True)  # the e-mail address used
    subject = models.CharField(max_length=200)
    body = models.TextField()
    created_at = models.DateTimeField(db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    read_at = models.DateTimeField(null=True, blank=True)  # seen in the patron's account

    class Meta:
        verbose_name = "通知"
        verbose_name_plural = "通知"
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["patron", "-created_at"]),
            models.Index(fields=["status", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_status_display()})"


class OutboundEmail(models.Model):
    """The e-mail of a queued notice, as it will be sent. Deleted when the worker takes it."""

    notice = models.OneToOneField(Notice, on_delete=models.CASCADE, related_name="outbound")
    to = models.EmailField(max_length=254)
    subject = models.CharField(max_length=300)
    body = models.TextField()

    class Meta:
        verbose_name = "送信待ちメール"
        verbose_name_plural = "送信待ちメール"

    def __str__(self) -> str:
        return f"mail for notice {self.notice_id}"
