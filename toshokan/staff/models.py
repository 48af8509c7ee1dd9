"""Staff accounts' security: second factors, lockouts, the security record, branches and kinds.

Roles stay Django groups (toshokan/core/demo_staff.py); what is here is per account: the branches a
staff member acts for, whether the account is a person or a self-check machine, the TOTP device and
recovery codes of their second factor, and the record of sign-in events and lockouts.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from toshokan.catalog.models import Branch


class AccountKind(models.TextChoices):
    PERSON = "person", "職員 (person)"
    SELFCHECK = "selfcheck", "自動貸出機 (self-check device, SIP2 only)"


class StaffProfile(models.Model):
    """What an account may act for. No profile (or no branches) means every branch: a small
    library with one branch, or an administrator, needs nothing here."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_profile"
    )
    kind = models.CharField(max_length=16, choices=AccountKind.choices, default=AccountKind.PERSON)
    branches = models.ManyToManyField(
        Branch,
        blank=True,
        related_name="+",
        help_text="The branches this account acts for at the desk (none: all). "
        "Managers manage the staff of these branches.",
    )

    class Meta:
        permissions = [("manage_staff", "Give staff of one's own branches their roles (managers)")]

    def __str__(self) -> str:
        return f"{self.user} ({self.kind})"


class TotpDevice(models.Model):
    """An authenticator app enrolled as second factor. The secret is encrypted with a key derived
    from SECRET_KEY (toshokan.staff.crypto) and never shown again after enrolment."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="totp")
    encrypted_secret = models.TextField()
    # The last time step whose code was accepted: a code is good once (RFC 6238 §5.2).
    last_step = models.BigIntegerField(default=0)
    confirmed_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"TOTP of {self.user}"


class RecoveryCode(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="recovery_codes"
    )
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"recovery code of {self.user_id}"


class FailureKind(models.TextChoices):
    PASSWORD = "password", "パスワード"
    SECOND_FACTOR = "second_factor", "二要素"


class SignInFailure(models.Model):
    """One wrong password or code: what was typed as the user name (its key) and from where."""

    at = models.DateTimeField(db_index=True)
    account_key = models.CharField(max_length=150, db_index=True)
    address = models.CharField(max_length=64, blank=True, db_index=True)
    kind = models.CharField(max_length=16, choices=FailureKind.choices)

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.kind} {self.account_key}"


class LockScope(models.TextChoices):
    ACCOUNT = "account", "アカウント"
    ADDRESS = "address", "接続元アドレス"


class Lockout(models.Model):
    """A temporary lock of sign-in for an account key or a client address; kept after it ends,
    as the record of lockouts (and of who lifted one early)."""

    scope = models.CharField(max_length=16, choices=LockScope.choices)
    key = models.CharField(max_length=150)
    started_at = models.DateTimeField()
    until = models.DateTimeField()
    failures = models.PositiveIntegerField()
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        indexes = [models.Index(fields=["scope", "key", "until"])]
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.scope} {self.key} until {self.until:%Y-%m-%d %H:%M}"


class EventKind(models.TextChoices):
    SIGNED_IN = "signed_in", "ログイン"
    SIGN_IN_FAILED = "sign_in_failed", "ログイン失敗"
    SECOND_FACTOR_FAILED = "second_factor_failed", "二要素認証の失敗"
    LOCKED = "locked", "ロック"
    UNLOCKED = "unlocked", "ロック解除"
    TOTP_ENROLLED = "totp_enrolled", "認証アプリ登録"
    SECOND_FACTOR_RESET = "second_factor_reset", "二要素のリセット"
    RECOVERY_CODES_MADE = "recovery_codes_made", "回復コード発行"
    RECOVERY_CODE_USED = "recovery_code_used", "回復コード使用"
    REAUTHENTICATED = "reauthenticated", "再認証"
    TIMED_OUT = "timed_out", "タイムアウト"
    SIGNED_OUT = "signed_out", "ログアウト"
    ROLES_CHANGED = "roles_changed", "役割の変更"
    BRANCHES_CHANGED = "branches_changed", "担当館の変更"
    REFUSED = "refused", "拒否"


class SecurityEvent(models.Model):
    """The record of staff sign-in and account changes. Written only by toshokan.staff.services;
    the admin shows it read-only."""

    at = models.DateTimeField(db_index=True)
    kind = models.CharField(max_length=32, choices=EventKind.choices)
    # Whose account (None for an unknown user name), and who did it when that is someone else.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    username = models.CharField(max_length=150, blank=True)
    address = models.CharField(max_length=64, blank=True)
    detail = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.kind} {self.username}"
