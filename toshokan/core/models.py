from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models


class DemoLoad(models.Model):
    """Which demo data step was loaded from which data (so `make run` loads it once, not twice)."""

    step = models.CharField(max_length=64, unique=True)
    fingerprint = models.CharField(max_length=64)
    loaded_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.step} ({self.fingerprint})"


class ApiToken(models.Model):
    """A staff member's key to the JSON API (`Authorization: Bearer <token>`).

    Only the token's SHA-256 is stored: the token itself is shown once, when it is made. A token
    is random (256 bits), so a fast hash is enough — a slow one would only slow every request.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField("用途", max_length=100)
    prefix = models.CharField(max_length=12, editable=False)  # tells tokens apart; not secret
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "APIトークン"
        verbose_name_plural = "APIトークン"

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class AppendOnly(Exception):
    """An attempt to change or remove a row of an append-only table."""


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    """Rows are only ever added: bulk updates and deletes are refused here, before the database's
    own triggers would refuse them (migrations/0003_audit_log.py)."""

    def update(self, **kwargs: object) -> int:
        raise AppendOnly("監査ログは変更できません (the audit log is append-only)")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnly("監査ログは削除できません (the audit log is append-only)")


class AuditEvent(models.Model):
    """One staff action on patron data (toshokan.core.domain.audit): who, what, whose, through
    what, why, when and from where — never what the patron borrowed or read.

    The actor and the patron are kept as plain ids (and the actor's username as it was), not
    foreign keys: removing a staff account or a patron leaves their log in place. Written only by
    toshokan.core.audit.record; the database refuses UPDATE and DELETE; `hash` chains each row to
    the one before (`prev_hash`), so a row altered or removed behind the application is found by
    `manage.py verify_audit_log`."""

    seq = models.PositiveBigIntegerField(unique=True, editable=False)
    at = models.DateTimeField(db_index=True, editable=False)
    action = models.CharField(max_length=32, editable=False)
    via = models.CharField(max_length=16, editable=False)
    actor_id = models.BigIntegerField(null=True, blank=True, editable=False, db_index=True)
    actor_username = models.CharField(max_length=150, blank=True, editable=False)
    patron_id = models.BigIntegerField(null=True, blank=True, editable=False, db_index=True)
    reason = models.CharField(max_length=500, blank=True, editable=False)
    client_address = models.CharField(max_length=45, blank=True, editable=False)
    detail = models.JSONField(default=dict, blank=True, editable=False)
    prev_hash = models.CharField(max_length=64, editable=False)
    hash = models.CharField(max_length=64, editable=False)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = "監査ログ"
        verbose_name_plural = "監査ログ"
        ordering = ["-seq"]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} by {self.actor_username or '-'} on patron {self.patron_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnly("監査ログは変更できません (the audit log is append-only)")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnly("監査ログは削除できません (the audit log is append-only)")


class AuditChainHead(models.Model):
    """The last event of the audit log: its `seq` and `hash`. Every writer updates this one row
    first, which takes the database's write lock on it, so concurrent writers queue up instead of
    chaining two events to the same predecessor. It also shows when rows at the end of the log
    have gone (the head is further on than the last row)."""

    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64)

    class Meta:
        verbose_name = "監査ログの末尾"
        verbose_name_plural = "監査ログの末尾"

    def __str__(self) -> str:
        return f"#{self.seq} {self.hash[:12]}…"
