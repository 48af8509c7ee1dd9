"""Loans, holds, transits, the rules and calendars they follow, and anonymous statistics.

Invariants are database constraints: one open loan per copy (a unique holding), one hold per copy
assigned (a partial unique index), one transit per copy. A loan or hold that ends is deleted; what
is kept afterwards is anonymous (CirculationEvent) or the patron's own choice (ReadingHistory).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from toshokan.catalog.domain.enums import MaterialType
from toshokan.catalog.models import Branch, Holding, Record
from toshokan.patrons.domain.enums import PatronCategory
from toshokan.patrons.models import Patron

from .domain.policy import DEFAULT, OverdueMode
from .domain.record_export import ExportState
from .domain.states import COPY_ASSIGNED_STATES, HoldState, LoanState


def _choices(enum: type, labels: dict[str, str] | None = None) -> list[tuple[str, str]]:
    return [(m.value, (labels or {}).get(m.value, getattr(m, "label_ja", m.value))) for m in enum]  # type: ignore[attr-defined]


class CirculationRule(models.Model):
    """Loan period and limits for patron category × material type × branch; empty means any."""

    patron_category = models.CharField(max_length=16, blank=True, choices=_choices(PatronCategory))
    material_type = models.CharField(max_length=16, blank=True, choices=_choices(MaterialType))
    branch = models.ForeignKey(Branch, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    loan_days = models.PositiveSmallIntegerField("貸出期間 (日)", default=DEFAULT.loan_days)
    max_loans = models.PositiveSmallIntegerField("貸出上限", default=DEFAULT.max_loans)
    max_renewals = models.PositiveSmallIntegerField("延長回数", default=DEFAULT.max_renewals)
    max_holds = models.PositiveSmallIntegerField("予約上限", default=DEFAULT.max_holds)
    hold_pickup_days = models.PositiveSmallIntegerField("取置期間 (日)", default=DEFAULT.hold_pickup_days)

    class Meta:
        verbose_name = "貸出規則"
        verbose_name_plural = "貸出規則"
        constraints = [
            models.UniqueConstraint(
                fields=["patron_category", "material_type", "branch"],
                name="one_rule_per_key",
                nulls_distinct=False,
            )
        ]

    def __str__(self) -> str:
        keys = [
            self.patron_category or "*",
            self.material_type or "*",
            self.branch.code if self.branch else "*",
        ]
        return f"{' × '.join(keys)}: {self.loan_days}日 {self.max_loans}冊"


class CirculationSettings(models.Model):
    """Library-wide settings (one row): what an overdue loan does, and when notices go out."""

    overdue_mode = models.CharField(
        max_length=16,
        choices=[
            (OverdueMode.UNTIL_RETURNED.value, "返却まで貸出停止"),
            (OverdueMode.DAYS_OVERDUE.value, "延滞日数分の貸出停止"),
        ],
        default=OverdueMode.UNTIL_RETURNED,
    )
    due_soon_days = models.PositiveSmallIntegerField("返却期限前のお知らせ (日前)", default=2)
    hold_not_needed_days = models.PositiveSmallIntegerField("予約の有効日数 (0 = 無期限)", default=0)

    class Meta:
        verbose_name = "貸出設定"
        verbose_name_plural = "貸出設定"

    def __str__(self) -> str:
        return "貸出設定"


class WeeklyClosure(models.Model):
    """A branch's regular closing day (定期休館日), e.g. every Monday."""

    WEEKDAYS = [(0, "月曜"), (1, "火曜"), (2, "水曜"), (3, "木曜"), (4, "金曜"), (5, "土曜"), (6, "日曜")]
    branch = models.ForeignKey(Branch, on_delete=models.CASCADE, related_name="weekly_closures")
    weekday = models.PositiveSmallIntegerField(choices=WEEKDAYS)

    class Meta:
        verbose_name = "定期休館日"
        verbose_name_plural = "定期休館日"
        constraints = [models.UniqueConstraint(fields=["branch", "weekday"], name="one_weekly_closure")]

    def __str__(self) -> str:
        return f"{self.branch_id} {self.get_weekday_display()}"


class ClosedDay(models.Model):
    """A date a branch (or, with no branch, every branch) is closed."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", "休館日"
        NEW_YEAR = "new_year", "年末年始"
        INVENTORY = "inventory", "蔵書点検期間"
        SPECIAL = "special", "臨時休館"

    branch = models.ForeignKey(
        Branch, on_delete=models.CASCADE, null=True, blank=True, related_name="closed_days"
    )
    date = models.DateField()
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.HOLIDAY)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = "休館日"
        verbose_name_plural = "休館日"
        constraints = [
            models.UniqueConstraint(fields=["branch", "date"], name="one_closed_day", nulls_distinct=False)
        ]
        indexes = [models.Index(fields=["date"])]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.get_kind_display()}"


class Loan(models.Model):
    """A copy lent to a patron, while it is out. Deleted on return."""

    holding = models.OneToOneField(Holding, on_delete=models.PROTECT, related_name="loan")
    patron = models.ForeignKey(Patron, on_delete=models.PROTECT, related_name="loans")
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="+")  # where it was lent
    state = models.CharField(max_length=16, choices=_choices(LoanState), default=LoanState.ACTIVE)
    checked_out_at = models.DateTimeField()
    due_on = models.DateField(db_index=True)
    renewals = models.PositiveSmallIntegerField(default=0)
    due_soon_sent_on = models.DateField(null=True, blank=True)
    overdue_sent_on = models.DateField(null=True, blank=True)

    class Meta:
        verbose_name = "貸出"
        verbose_name_plural = "貸出"

    def __str__(self) -> str:
        return f"loan {self.pk} due {self.due_on:%Y-%m-%d}"


class Hold(models.Model):
    """A patron's request (予約) for a record, or for one particular copy, until it is met or ends."""

    patron = models.ForeignKey(Patron, on_delete=models.PROTECT, related_name="holds")
    record = models.ForeignKey(Record, on_delete=models.PROTECT, related_name="holds")
    holding = models.ForeignKey(
        Holding, on_delete=models.PROTECT, null=True, blank=True, related_name="copy_holds"
    )  # a hold on this copy only
    pickup_branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="+")
    state = models.CharField(max_length=16, choices=_choices(HoldState), default=HoldState.WAITING)
    placed_at = models.DateTimeField(db_index=True)  # the queue order; suspension keeps it
    assigned = models.ForeignKey(
        Holding, on_delete=models.PROTECT, null=True, blank=True, related_name="assigned_holds"
    )
    ready_on = models.DateField(null=True, blank=True)
    pickup_by = models.DateField("取置期限", null=True, blank=True)
    not_needed_after = models.DateField(null=True, blank=True)
    ready_sent_on = models.DateField(null=True, blank=True)

    class Meta:
        verbose_name = "予約"
        verbose_name_plural = "予約"
        constraints = [
            # A copy fills one hold at a time.
            models.UniqueConstraint(
                fields=["assigned"],
                condition=Q(
                    state__in=sorted(s.value for s in COPY_ASSIGNED_STATES)
                ),  # sorted: a set has no stable order
                name="one_hold_per_assigned_copy",
            ),
            # One open hold per patron and record.
            models.UniqueConstraint(fields=["patron", "record"], name="one_hold_per_patron_record"),
        ]
        indexes = [models.Index(fields=["record", "state", "placed_at"])]

    def __str__(self) -> str:
        return f"hold {self.pk} ({self.state})"


class Transit(models.Model):
    """A copy on its way between branches: home after a return elsewhere, or to fill a hold."""

    class Reason(models.TextChoices):
        HOME = "home", "返送 (所蔵館へ)"
        HOLD = "hold", "予約の受取館へ"

    holding = models.OneToOneField(Holding, on_delete=models.CASCADE, related_name="transit")
    from_branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="+")
    to_branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=8, choices=Reason.choices)
    sent_at = models.DateTimeField()

    class Meta:
        verbose_name = "搬送"
        verbose_name_plural = "搬送"

    def __str__(self) -> str:
        return f"{self.holding_id}: {self.from_branch_id} → {self.to_branch_id}"


class PatronSuspension(models.Model):
    """No new loans through `until` (earned by late returns in OverdueMode.DAYS_OVERDUE). It says
    only until when — never which copy was late."""

    patron = models.OneToOneField(Patron, on_delete=models.CASCADE, related_name="suspension")
    until = models.DateField()

    def __str__(self) -> str:
        return f"suspended until {self.until:%Y-%m-%d}"


class ReadingHistory(models.Model):
    """What a patron borrowed — kept only because they chose it, deleted when they change their mind."""

    patron = models.ForeignKey(Patron, on_delete=models.CASCADE, related_name="reading_history_entries")
    record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="+")
    borrowed_on = models.DateField()
    returned_on = models.DateField()

    class Meta:
        verbose_name = "読書記録 (本人の希望による)"
        verbose_name_plural = "読書記録 (本人の希望による)"
        indexes = [models.Index(fields=["patron", "-returned_on"])]

    def __str__(self) -> str:
        return f"{self.record_id} ({self.returned_on:%Y-%m-%d})"


class CirculationEvent(models.Model):
    """One anonymous statistics event: what happened, where, on which day, to what kind of
    material, for which kind of patron. Never who, never which copy."""

    class Kind(models.TextChoices):
        CHECKOUT = "checkout", "貸出"
        RETURN = "return", "返却"
        RENEW = "renew", "延長"
        HOLD_PLACED = "hold_placed", "予約"
        HOLD_FILLED = "hold_filled", "予約資料の貸出"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    on = models.DateField(db_index=True)
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="+")
    material_type = models.CharField(max_length=16, blank=True)
    patron_category = models.CharField(max_length=16, blank=True)
    ndc = models.CharField(max_length=4, blank=True)  # the class (first three digits) only

    class Meta:
        verbose_name = "貸出統計 (匿名)"
        verbose_name_plural = "貸出統計 (匿名)"

    def __str__(self) -> str:
        return f"{self.kind} {self.on:%Y-%m-%d}"


class IdempotentRequest(models.Model):
    """A POST that created a loan or hold under an Idempotency-Key: a retry gets the same answer.

    The stored answer names the patron and the copy, so it lives no longer than what it created:
    deleting the loan (at return) or the hold (picked up, cancelled, expired) deletes it too.
    """

    key = models.CharField(max_length=255)
    actor = models.CharField(max_length=64)  # "staff:<id>" or "patron:<id>"
    path = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)  # of the request body
    status = models.PositiveSmallIntegerField()
    body = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)
    loan = models.ForeignKey(Loan, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    hold = models.ForeignKey(Hold, on_delete=models.CASCADE, null=True, blank=True, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["actor", "key"], name="one_response_per_key")]
        indexes = [models.Index(fields=["actor", "created_at"])]

    def __str__(self) -> str:
        return self.key


class ServicePoint(models.Model):
    """Which branch a staff account works at by default (the desk's branch)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="service_point"
    )
    branch = models.ForeignKey(Branch, on_delete=models.CASCADE, related_name="+")

    def __str__(self) -> str:
        return f"{self.user_id} @ {self.branch_id}"


class HoldShelfClearance(models.Model):
    """A copy still on the hold shelf whose hold ended (not collected in time, or cancelled): staff
    take it down and scan it at return, which sends it on (to the next hold, or home). It names the
    copy and the branch, never whose hold it was."""

    class Reason(models.TextChoices):
        EXPIRED = "expired", "取置期限切れ"
        CANCELLED = "cancelled", "予約取消"

    holding = models.OneToOneField(Holding, on_delete=models.CASCADE, related_name="shelf_clearance")
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=16, choices=Reason.choices)
    since = models.DateField()

    class Meta:
        verbose_name = "予約棚から下ろす資料"
        verbose_name_plural = "予約棚から下ろす資料"

    def __str__(self) -> str:
        return f"{self.holding_id} ({self.get_reason_display()})"


class ReadingRecordExport(models.Model):
    """A request to hand a named patron's reading record to an outside authority on a warrant
    (令状), under the two-approver procedure of domain/record_export.py. It keeps the reason, who
    asked, who decided and when — never the record itself, which is built at the one download."""

    patron = models.ForeignKey(
        Patron, on_delete=models.SET_NULL, null=True, blank=True, related_name="record_exports"
    )
    card_number = models.CharField("利用者番号", max_length=32)  # as it was when requested
    reason = models.TextField("理由 (令状の番号・発付した裁判所など)")
    state = models.CharField(max_length=16, choices=_choices(ExportState), default=ExportState.PENDING)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    requested_by_name = models.CharField(max_length=150)
    requested_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_by_name = models.CharField(max_length=150, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField("承認・却下の理由", blank=True)
    downloaded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "読書記録の提出 (令状による)"
        verbose_name_plural = "読書記録の提出 (令状による)"
        permissions = [("approve_readingrecordexport", "読書記録の提出を承認・却下する")]
        indexes = [models.Index(fields=["state", "requested_at"])]

    def __str__(self) -> str:
        return f"export {self.pk} ({self.state})"
