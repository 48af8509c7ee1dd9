"""Online registration without the My Number card, and the staff decisions that follow (docs/signup.md).

The use cases, each a service in the HackSoft sense (keyword-only, one transaction):

- `sign_up`: an applicant's form. Rate-limited per client address and per e-mail address;
  eligibility from the library's rules (domain/eligibility.py); a likely duplicate of an existing
  patron (domain/duplicates.py) becomes a SignupReview for staff instead of a second card;
  otherwise a provisional card (仮登録) is issued at once — what it may do before verification is
  the library's rule (domain/provisional.py).
- `confirm_email`: the applicant followed the signed link sent to their address.
- `verify_patron`: staff saw an identity document — the card becomes full and its term starts.
- `create_from_review`, `merge_review`, `reject_review`: staff decide a held application.
- `reject_provisional`, `expired_provisional`, `remove_provisional`: a provisional card refused by
  staff, or never verified in time, is removed (its holds are circulation's, cancelled first by
  the caller: toshokan.circulation.registrations).

Staff decisions are audited through toshokan.core.audit in the same transaction.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac

from toshokan.catalog.models import Branch
from toshokan.core import audit
from toshokan.core.domain import DomainError

from . import services
from .domain import duplicates, eligibility, pins, registration, throttle
from .domain.enums import NoticeChannel, PatronCategory, PatronStatus, RegistrationSource, Residency
from .models import CardSequence, LoginThrottle, Patron, SignupReview

log = logging.getLogger(__name__)

CONFIRM_SALT = "toshokan.patrons.signup.email"
CONFIRM_MAX_AGE = timedelta(days=3)


class SignupRefused(DomainError):
    """The rules do not allow this registration online; `refusals` says why (each has a message)."""

    code = "signup_refused"

    def __init__(
        self, message: str, *, refusals: tuple[eligibility.Refusal, ...] = (), code: str = ""
    ) -> None:
        super().__init__(message, code=code or self.code)
        self.refusals = refusals


class SignupThrottled(DomainError):
    """Too many applications from this address or for this e-mail address: try again at `until`."""

    code = "signup_throttled"

    def __init__(self, message: str, *, until: datetime) -> None:
        super().__init__(message)
        self.until = until


class ReviewError(DomainError):
    code = "review_error"


def rate_rules() -> tuple[throttle.ThrottleRule, throttle.ThrottleRule]:
    """Applications allowed per client address and per e-mail address (TOSHOKAN_SIGNUP_RATE).

    A library's own public terminals share one address, hence the more generous address rule."""
    config = getattr(settings, "TOSHOKAN_SIGNUP_RATE", {})
    window = timedelta(minutes=int(config.get("WINDOW_MINUTES", 60)))
    return (
        throttle.ThrottleRule(max_failures=int(config.get("PER_ADDRESS", 10)), window=window, lockout=window),
        throttle.ThrottleRule(max_failures=int(config.get("PER_EMAIL", 3)), window=window, lockout=window),
    )


def _key(kind: str, value: str) -> str:
    return salted_hmac("toshokan.patrons.signup-rate", f"{kind}:{value}", algorithm="sha256").hexdigest()


def _state(row: LoginThrottle | None) -> throttle.Failures | None:
    if row is None:
        return None
    return throttle.Failures(count=row.failures, since=row.since, locked_until=row.locked_until)


def count_attempt(*, client_address: str, email: str, now: datetime) -> None:
    """Refuse with SignupThrottled if either key is over its limit, else count this attempt on
    both. Committed on its own: a refused or failed application still counts."""
    address_rule, email_rule = rate_rules()
    rules = (
        (_key("address", client_address), address_rule),
        (_key("email", email.strip().lower()), email_rule),
    )
    with transaction.atomic():
        for key, _rule in rules:
            row = LoginThrottle.objects.select_for_update().filter(key=key).first()
            until = throttle.locked_until(_state(row), now)
            if until is not None:
                raise SignupThrottled(
                    "申し込みが続いたため、しばらく受け付けられません (too many applications; try again later)",
                    until=until,
                )
        for key, rule in rules:
            row, _ = LoginThrottle.objects.get_or_create(key=key, defaults={"since": now})
            row = LoginThrottle.objects.select_for_update().get(pk=row.pk)
            state = throttle.after_failure(_state(row) if row.failures else None, now, rule)
            row.failures, row.since, row.locked_until = state.count, state.since, state.locked_until
            row.save()


@dataclass(frozen=True)
class Application:
    """What the online form asks: only what membership needs."""

    family_name: str
    given_name: str
    name_reading: str
    birth_date: date
    postal_code: str
    address: str
    email: str
    pin: str
    home_branch: Branch
    workplace_name: str = ""
    workplace_address: str = ""

    @property
    def workplace(self) -> str:
        return " ".join(p for p in (self.workplace_name.strip(), self.workplace_address.strip()) if p)


@dataclass(frozen=True)
class Outcome:
    """Either a provisional card issued now, or the application held for staff."""

    patron: Patron | None = None
    review: SignupReview | None = None
    eligibility: eligibility.Eligibility | None = None


def assess(application: Application, *, today: date) -> eligibility.Eligibility:
    """Eligibility of an application under the library's rules, or SignupRefused."""
    try:
        address = eligibility.parse_address(application.address)
    except eligibility.AddressError as e:
        raise SignupRefused(str(e), code="address_unreadable") from None
    workplace = None
    if application.workplace_address.strip():
        try:
            workplace = eligibility.parse_address(application.workplace_address)
        except eligibility.AddressError as e:
            raise SignupRefused(str(e), code="workplace_address_unreadable") from None
    if workplace is not None and not application.workplace_name.strip():
        raise SignupRefused(
            "勤務先・学校の名称を入力してください (name your workplace or school)",
            code="workplace_name_required",
        )
    answer = eligibility.decide(
        address=address,
        birth_date=application.birth_date,
        today=today,
        rules=services.registration_rules(),
        workplace_address=workplace,
        online=True,
    )
    if not answer.allowed:
        raise SignupRefused(answer.refusals[0].message_ja, refusals=answer.refusals)
    return answer


def likely_duplicates(person: duplicates.Person) -> list[Patron]:
    """Registered patrons who are probably this person (same birth date; name or reading)."""
    if person.birth_date is None:
        return []
    same_day = Patron.objects.filter(birth_date=person.birth_date).order_by("pk")
    return [
        p
        for p in same_day
        if duplicates.likely_same(
            person, duplicates.Person(p.family_name, p.given_name, p.name_reading, p.birth_date)
        )
    ]


def _pending_duplicate(person: duplicates.Person) -> SignupReview | None:
    for review in SignupReview.objects.filter(state=SignupReview.State.PENDING, birth_date=person.birth_date):
        other = duplicates.Person(
            review.family_name, review.given_name, review.name_reading, review.birth_date
        )
        if duplicates.likely_same(person, other):
            return review
    return None


def sign_up(
    *, application: Application, client_address: str, now: datetime | None = None, today: date | None = None
) -> Outcome:
    """Register an online applicant: a provisional card now, or an application held for staff.

    Raises SignupThrottled (rate limits), SignupRefused (the rules), pins.InvalidPin, or
    services.PatronError. The attempt counts against the rate limits whatever the outcome."""
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    if not application.email.strip():
        raise SignupRefused(
            "メールアドレスを入力してください (an e-mail address is required)", code="email_required"
        )
    count_attempt(client_address=client_address, email=application.email, now=now)
    answer = assess(application, today=today)
    pins.check_pin_policy(application.pin)
    person = duplicates.Person(
        application.family_name.strip(),
        application.given_name.strip(),
        application.name_reading.strip(),
        application.birth_date,
    )
    with transaction.atomic():
        # One application at a time from here to the card: two sent at once by the same person would
        # otherwise both find no duplicate. The card sequence row is the lock (sign-ups are rare;
        # register_patron takes the same row to number the card).
        CardSequence.objects.get_or_create(prefix=services.card_prefix())
        CardSequence.objects.select_for_update().get(prefix=services.card_prefix())
        found = likely_duplicates(person)
        pending = _pending_duplicate(person)
        if found or pending is not None:
            review = SignupReview.objects.create(
                family_name=person.family_name,
                given_name=person.given_name,
                name_reading=person.name_reading,
                birth_date=application.birth_date,
                postal_code=application.postal_code.strip(),
                address=application.address.strip(),
                email=application.email.strip(),
                workplace=application.workplace if answer.residency == Residency.COMMUTER else "",
                category=answer.category.value,
                residency=answer.residency.value,
                home_branch=application.home_branch,
                pin_hash=pins.hash_pin(application.pin),
            )
            candidates = found if found else list(pending.candidates.all()) if pending is not None else []
            review.candidates.set(candidates)
            return Outcome(review=review, eligibility=answer)
        patron = services.register_patron(
            family_name=person.family_name,
            given_name=person.given_name,
            name_reading=person.name_reading,
            birth_date=application.birth_date,
            postal_code=application.postal_code,
            address=application.address,
            email=application.email,
            notice_channel=NoticeChannel.EMAIL,
            pin=application.pin,
            home_branch=application.home_branch,
            category=answer.category,
            residency=answer.residency,
            workplace=application.workplace if answer.residency == Residency.COMMUTER else "",
            status=PatronStatus.PROVISIONAL,
            registration_source=RegistrationSource.ONLINE,
            today=today,
        )
    return Outcome(patron=patron, eligibility=answer)


# E-mail confirmation: a signed, timed token naming the patron (or the held application) and the
# address it was sent to, so a link stops working once the address is changed.


def confirmation_token(*, patron: Patron | None = None, review: SignupReview | None = None) -> str:
    if patron is not None:
        return signing.dumps({"p": patron.pk, "e": patron.email}, salt=CONFIRM_SALT, compress=True)
    assert review is not None
    return signing.dumps({"r": review.pk, "e": review.email}, salt=CONFIRM_SALT, compress=True)


def confirm_email(*, token: str, now: datetime | None = None) -> Patron | SignupReview:
    """Mark the address in `token` as confirmed. ReviewError (code bad_token) for a link that is
    forged, expired, or for an address no longer on the record."""
    now = now or timezone.now()
    bad = ReviewError(
        "確認用リンクが正しくないか、有効期限が切れています (the link is invalid or has expired)",
        code="bad_token",
    )
    try:
        data = signing.loads(token, salt=CONFIRM_SALT, max_age=CONFIRM_MAX_AGE)
    except signing.BadSignature:
        raise bad from None
    target: Patron | SignupReview | None
    if "p" in data:
        target = Patron.objects.filter(pk=data["p"]).first()
    else:
        target = SignupReview.objects.filter(pk=data.get("r")).first()
    if target is None or target.email != data.get("e"):
        raise bad
    if target.email_confirmed_at is None:
        type(target).objects.filter(pk=target.pk).update(email_confirmed_at=now)
        target.email_confirmed_at = now
    return target


def send_confirmation(*, to: Patron | SignupReview, confirm_url: str, language: str = "ja") -> None:
    """The e-mail with the confirmation link, sent after the current transaction commits (never
    inside it). A failure is logged: the applicant can ask for it again from their account."""
    language = "en" if language.startswith("en") else "ja"
    context = {
        "name": to.display_name,
        "confirm_url": confirm_url,
        "held": isinstance(to, SignupReview),
        "card_number": to.card_number if isinstance(to, Patron) else "",
        "library": getattr(settings, "TOSHOKAN_LIBRARY_NAME", {}).get(language, "toshokan"),
        "days": services.provisional_rules().days,
    }
    with translation.override(language):
        subject = render_to_string("patrons/email/confirm_subject.txt", context).strip()
        body = render_to_string("patrons/email/confirm_body.txt", context)
    address = to.email

    def send() -> None:
        try:
            EmailMessage(subject=subject, body=body, to=[address]).send()
        except Exception:  # SMTP or connection errors: the sign-up itself has succeeded
            log.exception("sign-up confirmation e-mail could not be sent")

    transaction.on_commit(send)


# Staff decisions


def _decided(review: SignupReview) -> None:
    if review.state != SignupReview.State.PENDING:
        raise ReviewError("この申請はすでに処理されています (already decided)", code="already_decided")


@transaction.atomic
def verify_patron(*, patron: Patron, actor: Any, by: audit.By, now: datetime | None = None) -> Patron:
    """Staff saw an identity document at the counter: the provisional card becomes full, and its
    registration term (有効期限) starts today."""
    now = now or timezone.now()
    locked = Patron.objects.select_for_update().get(pk=patron.pk)
    if locked.status != PatronStatus.PROVISIONAL:
        raise ReviewError("この利用者はすでに本登録です (already verified)", code="already_verified")
    today = timezone.localdate(now)
    locked.status = PatronStatus.FULL.value
    locked.verified_at = now
    locked.verified_by = actor
    locked.expires_on = registration.expiry_date(
        today, Residency(locked.residency), services.registration_years()
    )
    locked.save(update_fields=["status", "verified_at", "verified_by", "expires_on", "updated_at"])
    audit.record(by=by, action=audit.Action.CHANGED, patron_id=locked.pk, detail={"registration": "verified"})
    return locked


@transaction.atomic
def create_from_review(
    *, review: SignupReview, actor: Any, by: audit.By, now: datetime | None = None
) -> Patron:
    """Not the same person after all: the held application becomes a card — a full one, since
    staff decide with the applicant's identity document in hand."""
    now = now or timezone.now()
    review = SignupReview.objects.select_for_update().get(pk=review.pk)
    _decided(review)
    patron = services.register_patron(
        family_name=review.family_name,
        given_name=review.given_name,
        name_reading=review.name_reading,
        birth_date=review.birth_date,
        postal_code=review.postal_code,
        address=review.address,
        email=review.email,
        notice_channel=NoticeChannel.EMAIL,
        home_branch=review.home_branch,
        category=PatronCategory(review.category),
        residency=Residency(review.residency),
        workplace=review.workplace,
        registration_source=RegistrationSource.ONLINE,
        verified_at=now,
        verified_by=actor,
        today=timezone.localdate(now),
        by=by,
    )
    Patron.objects.filter(pk=patron.pk).update(
        pin_hash=review.pin_hash, email_confirmed_at=review.email_confirmed_at
    )
    patron.refresh_from_db()
    _close(review, SignupReview.State.CREATED, actor=actor, now=now, patron=patron)
    return patron


@transaction.atomic
def merge_review(
    *, review: SignupReview, into: Patron, actor: Any, by: audit.By, now: datetime | None = None
) -> Patron:
    """The same person as `into`: no second card. The existing account takes the application's
    contact details (address, postcode, e-mail, workplace) and keeps its card number, PIN, loans
    and holds; a provisional `into` is verified on the way, since staff have seen the ID."""
    now = now or timezone.now()
    review = SignupReview.objects.select_for_update().get(pk=review.pk)
    _decided(review)
    if not review.candidates.filter(pk=into.pk).exists():
        raise ReviewError("統合先はこの申請の候補ではありません (not a candidate)", code="not_a_candidate")
    locked = Patron.objects.select_for_update().get(pk=into.pk)
    changed = []
    for name in ("address", "postal_code", "email", "workplace"):
        value = getattr(review, name)
        if value and getattr(locked, name) != value:
            setattr(locked, name, value)
            changed.append(name)
    if "email" in changed:
        locked.email_confirmed_at = review.email_confirmed_at
        changed.append("email_confirmed_at")
    if locked.status == PatronStatus.PROVISIONAL:
        locked.status, locked.verified_at, locked.verified_by = PatronStatus.FULL.value, now, actor
        locked.expires_on = registration.expiry_date(
            timezone.localdate(now), Residency(locked.residency), services.registration_years()
        )
        changed += ["status", "verified_at", "verified_by", "expires_on"]
    if changed:
        locked.save(update_fields=[*changed, "updated_at"])
    audit.record(
        by=by,
        action=audit.Action.CHANGED,
        patron_id=locked.pk,
        detail={
            "registration": "merged",
            "fields": ",".join(c for c in changed if c != "email_confirmed_at"),
        },
    )
    _close(review, SignupReview.State.MERGED, actor=actor, now=now, patron=locked)
    return locked


@transaction.atomic
def reject_review(
    *, review: SignupReview, reason: str, actor: Any, by: audit.By, now: datetime | None = None
) -> None:
    """Refuse a held application, with the reason given to the applicant at the counter."""
    reason = reason.strip()
    if not reason:
        raise ReviewError("不承認の理由を入力してください (a reason is required)", code="reason_required")
    review = SignupReview.objects.select_for_update().get(pk=review.pk)
    _decided(review)
    audit.record(
        by=by, action=audit.Action.CHANGED, reason=reason, detail={"registration": "application_rejected"}
    )
    _close(review, SignupReview.State.REJECTED, actor=actor, now=now or timezone.now(), reason=reason)


def _close(
    review: SignupReview,
    state: SignupReview.State,
    *,
    actor: Any,
    now: datetime,
    patron: Patron | None = None,
    reason: str = "",
) -> None:
    """Record the decision and drop what the applicant typed: the account (or nothing) now holds
    it. The name stays for the queue's history, the rest goes (data minimisation)."""
    review.state = state.value
    review.decided_at, review.decided_by, review.patron, review.reason = now, actor, patron, reason
    review.birth_date = None
    review.postal_code = review.address = review.email = review.workplace = review.pin_hash = ""
    review.save()
    review.candidates.clear()


def removal_problem(patron: Patron) -> str:
    """Why a provisional patron cannot be removed, or '' (loans must be returned first)."""
    if patron.loans.exists():
        return "貸出中の資料があるため削除できません (the patron has items on loan)"
    return ""


@transaction.atomic
def reject_provisional(*, patron: Patron, reason: str, actor: Any, by: audit.By) -> None:
    """Staff refuse a provisional registration (not who they said, not eligible after all): the
    account is removed. Its holds must have been cancelled by the caller (circulation)."""
    reason = reason.strip()
    if not reason:
        raise ReviewError("不承認の理由を入力してください (a reason is required)", code="reason_required")
    locked = Patron.objects.select_for_update().get(pk=patron.pk)
    if locked.status != PatronStatus.PROVISIONAL:
        raise ReviewError(
            "本登録の利用者は不承認にできません (only provisional cards)", code="not_provisional"
        )
    problem = removal_problem(locked)
    if problem:
        raise ReviewError(problem, code="has_loans")
    audit.record(
        by=by,
        action=audit.Action.CHANGED,
        patron_id=locked.pk,
        reason=reason,
        detail={"registration": "rejected"},
    )
    locked.delete()


def expired_provisional(*, today: date) -> list[Patron]:
    """Provisional cards whose time to be verified has run out (their expiry date has passed)."""
    return list(
        Patron.objects.filter(status=PatronStatus.PROVISIONAL, expires_on__lt=today).order_by(
            "expires_on", "pk"
        )
    )


@transaction.atomic
def remove_provisional(*, patron: Patron, today: date) -> bool:
    """Remove an expired, never verified provisional card (the library keeps no data on people
    who never became members). False when it cannot go yet (verified meanwhile, loans)."""
    locked = Patron.objects.select_for_update().filter(pk=patron.pk).first()
    if (
        locked is None
        or locked.status != PatronStatus.PROVISIONAL
        or locked.expires_on >= today
        or removal_problem(locked)
    ):
        return False
    locked.delete()
    return True


def pending_reviews() -> list[SignupReview]:
    return list(
        SignupReview.objects.filter(state=SignupReview.State.PENDING)
        .select_related("home_branch")
        .prefetch_related("candidates")
        .order_by("created_at")
    )


def provisional_patrons() -> list[Patron]:
    return list(
        Patron.objects.filter(status=PatronStatus.PROVISIONAL)
        .select_related("home_branch")
        .order_by("registered_on", "pk")
    )
