"""Writes about patrons: registration, renewal, PINs, preferences, blocks, and the staff-view audit.

Every function takes keyword arguments, writes in one transaction and returns the changed patron.
Reading history (opt-in) belongs to circulation, which owns what was borrowed.

Staff actions are audited (docs/audit.md): a write given `by` (who acts, through what, from where)
appends an event to the audit log (toshokan.core.audit) in the same transaction; without `by` it is
the patron's own action (their PIN, their preferences) or the library's (online sign-up, the demo),
which is not a staff action on someone else's data.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from toshokan.catalog.models import Branch
from toshokan.core import audit
from toshokan.core.domain import DomainError, NotFound

from .domain import eligibility, pins, provisional, registration, throttle
from .domain.cards import is_valid_card_number, make_card_number, normalise_card_number
from .domain.enums import (
    BlockReason,
    NoticeChannel,
    PatronCategory,
    PatronStatus,
    RegistrationSource,
    Residency,
    StaffAccessKind,
)
from .models import CardSequence, LoginThrottle, Patron, PatronBlock, StaffAccess


class PatronError(DomainError):
    code = "patron_error"


class AuthenticationFailed(DomainError):
    code = "authentication_failed"


class LoginThrottled(DomainError):
    """Too many wrong logins for this card or from this address: try again at `until`."""

    code = "login_throttled"

    def __init__(self, message: str, *, until: datetime) -> None:
        super().__init__(message)
        self.until = until


def card_prefix() -> str:
    return str(getattr(settings, "TOSHOKAN_CARD_PREFIX", "2900"))


def registration_years() -> dict[Residency, int]:
    configured = getattr(settings, "TOSHOKAN_REGISTRATION_YEARS", {})
    return {**registration.DEFAULT_YEARS, **{Residency(k): int(v) for k, v in configured.items()}}


def registration_rules() -> eligibility.RegistrationRules:
    """The library's registration rules (TOSHOKAN_REGISTRATION_RULES; docs/signup.md)."""
    return eligibility.rules_from_mapping(getattr(settings, "TOSHOKAN_REGISTRATION_RULES", None))


def provisional_rules() -> provisional.ProvisionalRules:
    """What a provisional card may do, and for how long (TOSHOKAN_REGISTRATION_RULES)."""
    return provisional.provisional_rules_from_mapping(getattr(settings, "TOSHOKAN_REGISTRATION_RULES", None))


def _today() -> date:
    return timezone.localdate()


def next_card_number() -> str:
    prefix = card_prefix()
    with transaction.atomic():
        CardSequence.objects.get_or_create(prefix=prefix)
        seq = CardSequence.objects.select_for_update().get(prefix=prefix)
        while True:
            seq.last += 1
            number = make_card_number(prefix, seq.last)
            if not Patron.objects.filter(card_number=number).exists():  # a pre-printed card took it
                break
        seq.save(update_fields=["last"])
    return number


@transaction.atomic
def register_patron(
    *,
    family_name: str,
    home_branch: Branch,
    given_name: str = "",
    name_reading: str = "",
    category: PatronCategory = PatronCategory.ADULT,
    residency: Residency = Residency.RESIDENT,
    email: str = "",
    phone: str = "",
    postal_code: str = "",
    address: str = "",
    birth_date: date | None = None,
    pin: str = "",
    card_number: str = "",
    notice_channel: NoticeChannel | None = None,
    today: date | None = None,
    status: PatronStatus = PatronStatus.FULL,
    registration_source: RegistrationSource = RegistrationSource.DESK,
    verified_at: datetime | None = None,
    verified_by: Any = None,
    workplace: str = "",
    by: audit.By | None = None,
) -> Patron:
    """Register a patron. A pre-printed card's number may be given (its check digit is verified);
    otherwise the next number is issued.

    At the desk staff see an identity document, so the card is full at once. Online sign-up
    registers with status=PROVISIONAL: such a card expires after the provisional period
    (domain/provisional.py) unless staff verify it (`verify_patron`), which starts the full term.
    The My Number card sign-up registers a full card with registration_source=JPKI.
    """
    today = today or _today()
    if not family_name.strip():
        raise PatronError("氏名は必須です (a name is required)", code="name_required")
    if card_number:
        card_number = normalise_card_number(card_number)
        if not is_valid_card_number(card_number):
            raise PatronError(
                f"利用者番号 {card_number} のチェックディジットが合いません", code="invalid_card_number"
            )
        if Patron.objects.filter(card_number=card_number).exists():
            raise PatronError(f"利用者番号 {card_number} は使用中です", code="card_in_use")
    else:
        card_number = next_card_number()
    channel = notice_channel or (NoticeChannel.EMAIL if email else NoticeChannel.ACCOUNT)
    if channel == NoticeChannel.EMAIL and not email:
        raise PatronError("メールで通知するにはメールアドレスが必要です", code="email_required")
    patron = Patron.objects.create(
        card_number=card_number,
        family_name=family_name.strip(),
        given_name=given_name.strip(),
        name_reading=name_reading.strip(),
        category=category.value,
        residency=residency.value,
        home_branch=home_branch,
        email=email.strip(),
        phone=phone.strip(),
        postal_code=postal_code.strip(),
        address=address.strip(),
        birth_date=birth_date,
        notice_channel=channel.value,
        pin_hash=pins.hash_pin(pin) if pin else "",
        registered_on=today,
        expires_on=(
            today + timedelta(days=provisional_rules().days)
            if status == PatronStatus.PROVISIONAL
            else registration.expiry_date(today, residency, registration_years())
        ),
        status=PatronStatus(status).value,
        registration_source=RegistrationSource(registration_source).value,
        verified_at=verified_at,
        verified_by=verified_by,
        workplace=workplace.strip(),
    )
    if by is not None:
        audit.record(by=by, action=audit.Action.REGISTERED, patron_id=patron.pk)
    return patron


@transaction.atomic
def renew_registration(*, patron: Patron, today: date | None = None, by: audit.By | None = None) -> Patron:
    """Extend the registration (更新), from a month before expiry or any time after it."""
    today = today or _today()
    locked = Patron.objects.select_for_update().get(pk=patron.pk)
    if locked.status == PatronStatus.PROVISIONAL:
        raise PatronError(
            "仮登録は更新できません。本人確認で本登録にしてください (verify the provisional card instead)",
            code="identity_check_needed",
        )
    if not registration.can_renew(locked.expires_on, today):
        raise PatronError(
            f"更新は有効期限 ({locked.expires_on:%Y-%m-%d}) の1か月前からです", code="renewal_too_early"
        )
    locked.expires_on = registration.renewed_expiry(
        locked.expires_on, today, Residency(locked.residency), registration_years()
    )
    locked.save(update_fields=["expires_on", "updated_at"])
    if by is not None:
        audit.record(by=by, action=audit.Action.REGISTRATION_RENEWED, patron_id=locked.pk)
    return locked


@transaction.atomic
def set_pin(*, patron: Patron, pin: str, by: audit.By | None = None) -> Patron:
    """Set a new PIN: the patron's own change (change_pin), or staff resetting it (`by`)."""
    locked = Patron.objects.select_for_update().get(pk=patron.pk)
    locked.pin_hash = pins.hash_pin(pin)
    locked.save(update_fields=["pin_hash", "updated_at"])
    if by is not None:
        audit.record(by=by, action=audit.Action.PIN_RESET, patron_id=locked.pk)
    return locked


def authenticate(*, card_number: str, pin: str) -> Patron:
    """The patron with this card and PIN (for logins, the self-check and the API), or
    AuthenticationFailed — the same error whether the card or the PIN was wrong."""
    number = normalise_card_number(card_number)
    patron = Patron.objects.filter(card_number=number).first()
    # A card that does not exist (or has no PIN) costs one Argon2 verification too, so that the
    # time of the answer does not tell which card numbers are registered.
    pin_hash = patron.pin_hash if patron is not None and patron.pin_hash else pins.dummy_hash()
    if not pins.verify_pin(pin_hash, pin) or patron is None or not patron.pin_hash:
        raise AuthenticationFailed("利用者番号または暗証番号が違います (wrong card number or PIN)")
    if pins.needs_rehash(patron.pin_hash):
        Patron.objects.filter(pk=patron.pk).update(pin_hash=pins.hash_pin(pin))
    return patron


def _throttle_key(kind: str, value: str) -> str:
    return salted_hmac("toshokan.patrons.login-throttle", f"{kind}:{value}", algorithm="sha256").hexdigest()


def _throttle_state(row: LoginThrottle | None) -> throttle.Failures | None:
    if row is None:
        return None
    return throttle.Failures(count=row.failures, since=row.since, locked_until=row.locked_until)


@transaction.atomic
def _count_failure(key: str, rule: throttle.ThrottleRule, now: datetime) -> None:
    row, _ = LoginThrottle.objects.get_or_create(key=key, defaults={"since": now})
    row = LoginThrottle.objects.select_for_update().get(pk=row.pk)
    state = throttle.after_failure(_throttle_state(row) if row.failures else None, now, rule)
    row.failures, row.since, row.locked_until = state.count, state.since, state.locked_until
    row.save()


def log_in(*, card_number: str, pin: str, client_address: str, now: datetime | None = None) -> Patron:
    """`authenticate` for people typing at a login form: wrong logins are counted per card number
    and per client address, and a key with too many is refused for a while (domain/throttle.py)
    with LoginThrottled — before the PIN is even checked, so guessing on stops counting.

    A failure is committed before AuthenticationFailed is raised, whatever transaction the caller
    is in, so it must not be called inside one that it expects to roll back."""
    now = now or timezone.now()
    rules = (
        (_throttle_key("card", normalise_card_number(card_number)), throttle.CARD_RULE),
        (_throttle_key("address", client_address), throttle.ADDRESS_RULE),
    )
    rows = {row.key: row for row in LoginThrottle.objects.filter(key__in=[k for k, _ in rules])}
    for key, _rule in rules:
        until = throttle.locked_until(_throttle_state(rows.get(key)), now)
        if until is not None:
            raise LoginThrottled(
                "ログインの失敗が続いたため、しばらくログインできません (too many failed logins)", until=until
            )
    try:
        patron = authenticate(card_number=card_number, pin=pin)
    except AuthenticationFailed:
        for key, rule in rules:
            _count_failure(key, rule, now)
        oldest = now - max(throttle.CARD_RULE.window, throttle.ADDRESS_RULE.window)
        LoginThrottle.objects.filter(since__lte=oldest).exclude(locked_until__gt=now).delete()
        raise
    # The right PIN clears the card's count; the address keeps its own, or one valid card would
    # let anyone reset it between guesses at others.
    LoginThrottle.objects.filter(key=rules[0][0]).delete()
    return patron


def log_in_without_card(
    *, authenticate: Callable[[], Patron], client_address: str, now: datetime | None = None
) -> Patron:
    """`log_in` for a way of logging in that names no card number (a passkey): `authenticate`
    returns the patron or raises AuthenticationFailed. Only the client address is counted and
    checked (domain/throttle.py ADDRESS_RULE), sharing its count with card-and-PIN logins, so that
    one address cannot try on without limit by switching between the two. LoginThrottled is
    raised before `authenticate` is called. Like `log_in`, a failure is committed before it is
    raised."""
    now = now or timezone.now()
    key = _throttle_key("address", client_address)
    until = throttle.locked_until(_throttle_state(LoginThrottle.objects.filter(key=key).first()), now)
    if until is not None:
        raise LoginThrottled(
            "ログインの失敗が続いたため、しばらくログインできません (too many failed logins)", until=until
        )
    try:
        return authenticate()
    except AuthenticationFailed:
        _count_failure(key, throttle.ADDRESS_RULE, now)
        raise


def confirm_pin(*, patron: Patron, pin: str, now: datetime | None = None) -> None:
    """The logged-in patron proves again that they know their PIN before a change that would
    outlast the session (adding a passkey): a browser left logged in on a library terminal is no
    way to give someone else lasting access. Wrong PINs count against the card as wrong logins do;
    LoginThrottled while the card is locked, AuthenticationFailed for a wrong PIN."""
    now = now or timezone.now()
    key = _throttle_key("card", patron.card_number)
    until = throttle.locked_until(_throttle_state(LoginThrottle.objects.filter(key=key).first()), now)
    if until is not None:
        raise LoginThrottled(
            "暗証番号の誤りが続いたため、しばらく確認できません (too many wrong PINs)", until=until
        )
    if not patron.pin_hash or not pins.verify_pin(patron.pin_hash, pin):
        _count_failure(key, throttle.CARD_RULE, now)
        raise AuthenticationFailed("暗証番号が違います (the PIN is wrong)")


def change_pin(*, patron: Patron, current_pin: str, new_pin: str, now: datetime | None = None) -> Patron:
    """The patron changes their own PIN: the current one must be right (AuthenticationFailed),
    the new one must meet the PIN rules (pins.InvalidPin). A wrong current PIN counts against the
    card as a wrong login does, so that a session left open is no way to guess the PIN."""
    now = now or timezone.now()
    key = _throttle_key("card", patron.card_number)
    until = throttle.locked_until(_throttle_state(LoginThrottle.objects.filter(key=key).first()), now)
    if until is not None:
        raise LoginThrottled(
            "暗証番号の誤りが続いたため、しばらく変更できません (too many wrong PINs)", until=until
        )
    if not pins.verify_pin(patron.pin_hash, current_pin):
        _count_failure(key, throttle.CARD_RULE, now)
        raise AuthenticationFailed("いまの暗証番号が違います (the current PIN is wrong)")
    return set_pin(patron=patron, pin=new_pin)


def find_by_card(card_number: str) -> Patron:
    number = normalise_card_number(card_number)
    patron = Patron.objects.filter(card_number=number).select_related("home_branch").first()
    if patron is None:
        raise NotFound(f"利用者番号 {number} は登録されていません", code="patron_not_found")
    return patron


PREFERENCE_FIELDS = {
    "email",
    "phone",
    "postal_code",
    "address",
    "notice_channel",
    "due_soon_reminder",
    "language",
}


@transaction.atomic
def update_preferences(*, patron: Patron, by: audit.By | None = None, **changes: Any) -> Patron:
    """Contact details and notice preferences, as the patron or staff (`by`) set them. The audit
    event names the fields changed, never their values."""
    unknown = set(changes) - PREFERENCE_FIELDS
    if unknown:
        raise PatronError(f"unknown preference(s): {', '.join(sorted(unknown))}", code="unknown_preference")
    locked = Patron.objects.select_for_update().get(pk=patron.pk)
    old_email = locked.email
    for name, value in changes.items():
        setattr(locked, name, value.value if hasattr(value, "value") else value)
    if locked.email != old_email:
        locked.email_confirmed_at = None  # a new address is unconfirmed until its link is followed
    if locked.notice_channel == NoticeChannel.EMAIL and not locked.email:
        raise PatronError("メールで通知するにはメールアドレスが必要です", code="email_required")
    locked.save()
    if by is not None:
        record_change(by=by, patron=locked, fields=sorted(changes))
    return locked


def change_residency(*, patron: Patron, residency: Residency, by: audit.By | None = None) -> Patron:
    """The patron's residency (resident, commuter, other area) after a move or a change of workplace,
    as the registration rules decided it; the registration's expiry stays until its next renewal."""
    locked = Patron.objects.select_for_update().get(pk=patron.pk)
    locked.residency = Residency(residency).value
    locked.save(update_fields=["residency", "updated_at"])
    if by is not None:
        record_change(by=by, patron=locked, fields=["residency"])
    return locked


def record_change(*, by: audit.By, patron: Patron, fields: list[str]) -> None:
    """Audit a staff change to a patron's registration made outside these services (the admin's
    form): which fields, not their values."""
    audit.record(by=by, action=audit.Action.CHANGED, patron_id=patron.pk, detail={"fields": ",".join(fields)})


@transaction.atomic
def add_block(
    *, patron: Patron, reason: BlockReason, note: str = "", actor: Any = None, by: audit.By | None = None
) -> PatronBlock:
    block = PatronBlock.objects.create(patron=patron, reason=reason.value, note=note, created_by=actor)
    if by is not None:
        audit.record(
            by=by,
            action=audit.Action.BLOCKED,
            patron_id=patron.pk,
            reason=note,
            detail={"block": block.pk, "block_reason": reason.value},
        )
    return block


@transaction.atomic
def lift_block(*, block: PatronBlock, actor: Any = None, by: audit.By | None = None) -> PatronBlock:
    locked = PatronBlock.objects.select_for_update().get(pk=block.pk)
    if locked.lifted_at is None:
        locked.lifted_at = timezone.now()
        locked.lifted_by = actor
        locked.save(update_fields=["lifted_at", "lifted_by"])
        if by is not None:
            audit.record(
                by=by, action=audit.Action.UNBLOCKED, patron_id=locked.patron_id, detail={"block": locked.pk}
            )
    return locked


VIEWED = {
    StaffAccessKind.PROFILE: audit.Action.VIEWED_PROFILE,
    StaffAccessKind.LOANS: audit.Action.VIEWED_LOANS,
    StaffAccessKind.HOLDS: audit.Action.VIEWED_HOLDS,
    StaffAccessKind.HISTORY: audit.Action.VIEWED_HISTORY,
    StaffAccessKind.NOTICES: audit.Action.VIEWED_NOTICES,
}


@transaction.atomic
def record_staff_access(
    *, actor: Any, patron: Patron, kind: StaffAccessKind, via: str = "desk", client_address: str = ""
) -> None:
    """Audit one staff view of a patron's loans, holds, history or notices (who, whom, what, when,
    from where): an event in the append-only audit log, and the StaffAccess row kept with the
    patron (it goes when the patron's registration is deleted; the log stays)."""
    StaffAccess.objects.create(actor=actor, patron=patron, kind=kind.value, via=via)
    audit.record(by=audit.by_user(actor, via, client_address), action=VIEWED[kind], patron_id=patron.pk)


@transaction.atomic
def mark_expiry_notice_sent(*, patron: Patron, expires_on: date) -> bool:
    """Remember that the registration-expiring notice went out for this expiry date. False when it
    already had (a second run of the daily scan, or a renewal since): the caller sends nothing."""
    updated = (
        Patron.objects.filter(pk=patron.pk, expires_on=expires_on)
        .exclude(expiry_notice_sent_for=expires_on)
        .update(expiry_notice_sent_for=expires_on)
    )
    return updated == 1
