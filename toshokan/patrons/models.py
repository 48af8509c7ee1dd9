"""Patrons (利用者), their blocks and the audit of staff views of their records."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from toshokan.catalog.models import Branch

from .domain.enums import (
    BlockReason,
    NoticeChannel,
    PatronCategory,
    PatronStatus,
    RegistrationSource,
    Residency,
    StaffAccessKind,
)


def _choices(enum: type) -> list[tuple[str, str]]:
    return [(m.value, getattr(m, "label_ja", m.value)) for m in enum]  # type: ignore[attr-defined]


class Patron(models.Model):
    """A registered user of the library: one card, one home branch, their own preferences.

    Nothing here says what they borrowed: current loans and holds live in circulation and are
    deleted when they end; reading history exists only for patrons who opted in.
    """

    card_number = models.CharField("利用者番号", max_length=32, unique=True)
    family_name = models.CharField("姓", max_length=100)
    given_name = models.CharField("名", max_length=100, blank=True)
    name_reading = models.CharField("よみ", max_length=200, blank=True)
    category = models.CharField(max_length=16, choices=_choices(PatronCategory), default=PatronCategory.ADULT)
    residency = models.CharField(max_length=16, choices=_choices(Residency), default=Residency.RESIDENT)
    home_branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="patrons")
    birth_date = models.DateField(null=True, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=32, blank=True)
    postal_code = models.CharField(max_length=16, blank=True)
    address = models.CharField(max_length=500, blank=True)
    notice_channel = models.CharField(
        max_length=16, choices=_choices(NoticeChannel), default=NoticeChannel.EMAIL
    )
    due_soon_reminder = models.BooleanField("返却期限前のお知らせ", default=True)
    language = models.CharField(max_length=8, default="ja")
    reading_history = models.BooleanField("読書記録を残す (本人の選択)", default=False)
    pin_hash = models.CharField(max_length=255, blank=True)
    registered_on = models.DateField()
    expires_on = models.DateField("有効期限")
    # 仮登録 until staff have seen an identity document (online sign-up); what it may do meanwhile
    # is the library's rule (domain/provisional.py).
    status = models.CharField(
        "登録状態", max_length=16, choices=_choices(PatronStatus), default=PatronStatus.FULL
    )
    registration_source = models.CharField(
        "登録方法", max_length=16, choices=_choices(RegistrationSource), default=RegistrationSource.DESK
    )
    verified_at = models.DateTimeField("本人確認日時", null=True, blank=True)
    # 在勤・在学: the workplace or school (name and address) that makes a commuter eligible.
    workplace = models.CharField("勤務先・学校", max_length=300, blank=True)
    # When the patron followed the link sent to `email` (online sign-up confirms the address).
    email_confirmed_at = models.DateTimeField("メールアドレス確認日時", null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The expiry date the registration-expiring notice was sent for: once per expiry, again after renewal.
    expiry_notice_sent_for = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "利用者"
        verbose_name_plural = "利用者"
        indexes = [
            models.Index(fields=["family_name", "given_name"]),
            models.Index(fields=["name_reading"]),
            models.Index(fields=["birth_date"]),  # duplicate detection: name + date of birth
            models.Index(
                fields=["registered_on"], condition=Q(status="provisional"), name="patron_provisional"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.card_number} {self.display_name}"

    @property
    def display_name(self) -> str:
        return f"{self.family_name} {self.given_name}".strip()


class CardSequence(models.Model):
    """The last serial number issued under a card prefix (locked while a number is issued)."""

    prefix = models.CharField(max_length=8, unique=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.prefix}: {self.last}"


class PatronBlock(models.Model):
    """A stop on a card set by staff (貸出停止), with its reason; lifted, not deleted."""

    patron = models.ForeignKey(Patron, on_delete=models.CASCADE, related_name="blocks")
    reason = models.CharField(max_length=32, choices=_choices(BlockReason))
    note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = "貸出停止"
        verbose_name_plural = "貸出停止"
        indexes = [models.Index(fields=["patron"], condition=Q(lifted_at__isnull=True), name="block_active")]

    def __str__(self) -> str:
        return f"{self.get_reason_display()} ({self.created_at:%Y-%m-%d})"


class StaffAccess(models.Model):
    """An audit row: a staff member viewed a patron's loans, holds, history or notices."""

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    patron = models.ForeignKey(Patron, on_delete=models.CASCADE, related_name="staff_accesses")
    kind = models.CharField(max_length=16, choices=_choices(StaffAccessKind))
    via = models.CharField(max_length=16, default="desk")  # desk | api | admin | sip2
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = "職員による閲覧記録"
        verbose_name_plural = "職員による閲覧記録"
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.actor_id} viewed {self.kind} of {self.patron_id}"


class LoginThrottle(models.Model):
    """Failed logins counted for one card number or one client address (domain/throttle.py).

    The key is a keyed hash of the card number or address, so this table says neither whose card
    nor which address; rows go away once they no longer count.
    """

    key = models.CharField(max_length=64, unique=True)
    failures = models.PositiveIntegerField(default=0)
    since = models.DateTimeField()
    locked_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "ログイン試行の制限"
        verbose_name_plural = "ログイン試行の制限"

    def __str__(self) -> str:
        return f"{self.key[:8]}… {self.failures}"


class SignupReview(models.Model):
    """An online application (オンライン登録申請) held for staff instead of making a card at once,
    because it looks like someone already registered (the same name or reading and date of birth).

    Staff decide at the desk, with the applicant's identity document in front of them: make the
    new card after all (not the same person), merge it into the existing account (the same
    person: the contact details are updated, no second card), or refuse it with a reason. What the
    applicant typed is kept as typed until then; a decided application keeps only what the audit
    needs (`purge_personal_data`).
    """

    class State(models.TextChoices):
        PENDING = "pending", "確認待ち"
        CREATED = "created", "新規登録"
        MERGED = "merged", "既存の登録に統合"
        REJECTED = "rejected", "不承認"

    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    family_name = models.CharField("姓", max_length=100)
    given_name = models.CharField("名", max_length=100, blank=True)
    name_reading = models.CharField("よみ", max_length=200, blank=True)
    birth_date = models.DateField(null=True, blank=True)
    postal_code = models.CharField(max_length=16, blank=True)
    address = models.CharField(max_length=500, blank=True)
    email = models.EmailField(blank=True)
    workplace = models.CharField(max_length=300, blank=True)
    category = models.CharField(max_length=16, choices=_choices(PatronCategory), default=PatronCategory.ADULT)
    residency = models.CharField(max_length=16, choices=_choices(Residency), default=Residency.RESIDENT)
    home_branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="+")
    pin_hash = models.CharField(max_length=255, blank=True)
    candidates = models.ManyToManyField(Patron, related_name="+", blank=True)
    email_confirmed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reason = models.CharField("理由", max_length=500, blank=True)
    patron = models.ForeignKey(Patron, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = "オンライン登録申請"
        verbose_name_plural = "オンライン登録申請"
        ordering = ["created_at"]
        indexes = [models.Index(fields=["created_at"], condition=Q(state="pending"), name="signup_pending")]

    def __str__(self) -> str:
        return f"{self.get_state_display()} {self.created_at:%Y-%m-%d}"

    @property
    def display_name(self) -> str:
        return f"{self.family_name} {self.given_name}".strip()
