"""My Number card (JPKI) use cases: challenges, registration in one step, login, linking and re-linking.

The flow (docs/jpki.md): toshokan issues a one-time nonce (`issue_challenge`); the card reader or
phone app has the card sign it and sends back a bundle (the certificates as DER, the signatures);
`register_with_card` spends the nonce, verifies the signing certificate — path to the configured
J-LIS roots, validity, key usage, policy, revocation by CRL and, where configured, OCSP — and the
signature over the nonce, reads the 基本4情報, asks the library's registration rules
(patrons.domain.eligibility) and registers the patron with a card number at once, as a full
(verified) membership. The patron types nothing the certificate says (書かない窓口, once-only);
they may add an e-mail address for notices and, if they live outside the area, where they work or
study.

The nonce is spent before anything is verified and in its own commit, so a refused attempt cannot
be replayed either; everything else happens in one transaction after every check has passed, so a
refusal creates no patron, no link and no card number.

A person already registered with this card is told so; one whose certificate was renewed or
revoked (a new card, a move) signs with the new one and is matched to their account by name and
date of birth: the old link is closed and kept, the new one opened, the address updated and the
rules asked again — the account, its loans, holds and history stay as they are.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import os
import secrets
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any
from urllib.error import URLError

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from toshokan.catalog.models import Branch
from toshokan.core.domain import DomainError
from toshokan.patrons import services as patron_services
from toshokan.patrons.domain import eligibility, throttle
from toshokan.patrons.domain.enums import PatronStatus, RegistrationSource
from toshokan.patrons.models import LoginThrottle, Patron

from . import trust
from .domain import jpki, mynumber
from .domain import ocsp as ocsp_domain
from .domain.jpki import JpkiRefused, RefusalReason
from .models import CertificateKind, CertificateLink, Challenge, ChallengePurpose, LinkEnd

logger = logging.getLogger("toshokan.identity")

NONCE_BYTES = 32


class ChallengeThrottled(DomainError):
    """This client address asked for too many challenges: try again at `until`."""

    code = "challenge_throttled"

    def __init__(self, message: str, *, until: datetime) -> None:
        super().__init__(message)
        self.until = until


class ChallengeRefused(DomainError):
    """The nonce is unknown, already used, expired or for another purpose."""

    code = "challenge_refused"


class BundleInvalid(DomainError):
    """The card bundle itself cannot be read (missing field, not base64)."""

    code = "bundle_invalid"


class Ineligible(DomainError):
    """The library's registration rules do not allow this person to register (online)."""

    code = "ineligible"

    def __init__(self, message: str, *, refusals: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.refusals = tuple(refusals)


class IdentityConflict(DomainError):
    """The certificate cannot be matched to one account without doubt: staff must look."""

    code = "identity_conflict"


class NotLinked(DomainError):
    """The authentication certificate is valid but belongs to no patron here."""

    code = "certificate_not_linked"


class IndividualNumberRefused(DomainError):
    code = "individual_number_refused"


class Outcome(StrEnum):
    REGISTERED = "registered"
    ALREADY_REGISTERED = "already_registered"
    RELINKED = "relinked"


@dataclass(frozen=True)
class IssuedChallenge:
    nonce: str
    purpose: str
    expires_at: datetime


@dataclass(frozen=True)
class CardBundle:
    """What the card reader sends back: the nonce it signed, the certificates (DER) and signatures."""

    nonce: str
    signing_certificate: bytes | None = None
    signature: bytes | None = None
    auth_certificate: bytes | None = None
    auth_signature: bytes | None = None
    chain: tuple[bytes, ...] = field(default=())


@dataclass(frozen=True)
class Registration:
    patron: Patron
    outcome: Outcome
    auth_linked: bool


# -- challenges --------------------------------------------------------------------------------


def _nonce_hash(nonce: str) -> str:
    return hashlib.sha256(nonce.encode("utf-8")).hexdigest()


def nonce_ttl() -> timedelta:
    return timedelta(seconds=float(trust.config()["NONCE_TTL_S"]))


CHALLENGE_WINDOW = timedelta(minutes=10)


def _count_challenge(client_address: str, now: datetime) -> None:
    """Refuse with ChallengeThrottled past CHALLENGES_PER_ADDRESS in ten minutes from this address,
    else count this one (every challenge is a row: without a limit, a loop could fill the table).
    The key is a keyed hash of the address, as for the login throttles."""
    rule = throttle.ThrottleRule(
        max_failures=int(trust.config()["CHALLENGES_PER_ADDRESS"]),
        window=CHALLENGE_WINDOW,
        lockout=CHALLENGE_WINDOW,
    )
    key = salted_hmac("toshokan.identity.challenges", client_address, algorithm="sha256").hexdigest()
    with transaction.atomic():
        row, _ = LoginThrottle.objects.get_or_create(key=key, defaults={"since": now})
        row = LoginThrottle.objects.select_for_update().get(pk=row.pk)
        state = (
            throttle.Failures(count=row.failures, since=row.since, locked_until=row.locked_until)
            if row.failures
            else None
        )
        until = throttle.locked_until(state, now)
        if until is not None:
            raise ChallengeThrottled(
                "チャレンジの発行が続いたため、しばらく受け付けられません (too many challenges; try again later)",
                until=until,
            )
        state = throttle.after_failure(state, now, rule)
        row.failures, row.since, row.locked_until = state.count, state.since, state.locked_until
        row.save()


def issue_challenge(
    *, purpose: ChallengePurpose, client_address: str | None = None, now: datetime | None = None
) -> IssuedChallenge:
    """A fresh nonce for the card to sign (256 random bits, URL-safe base64), valid NONCE_TTL_S.
    With `client_address` (the pages and the API give it), at most CHALLENGES_PER_ADDRESS in ten
    minutes from one address (ChallengeThrottled)."""
    now = now or timezone.now()
    if client_address is not None:
        _count_challenge(client_address, now)
    nonce = secrets.token_urlsafe(NONCE_BYTES)
    while nonce.startswith("-"):  # a command-line reader would take "-…" for an option
        nonce = secrets.token_urlsafe(NONCE_BYTES)
    expires_at = now + nonce_ttl()
    Challenge.objects.create(
        nonce_hash=_nonce_hash(nonce), purpose=purpose.value, created_at=now, expires_at=expires_at
    )
    # Spent and expired challenges are of no further use: they go as new ones are made.
    Challenge.objects.filter(expires_at__lt=now - timedelta(days=1)).delete()
    return IssuedChallenge(nonce=nonce, purpose=purpose.value, expires_at=expires_at)


def consume_challenge(*, nonce: str, purpose: ChallengePurpose, now: datetime | None = None) -> None:
    """Spend the nonce: one conditional UPDATE, so of two requests with the same nonce only one wins."""
    now = now or timezone.now()
    digest = _nonce_hash(nonce)
    spent = Challenge.objects.filter(
        nonce_hash=digest, purpose=purpose.value, consumed_at__isnull=True, expires_at__gt=now
    ).update(consumed_at=now)
    if spent == 1:
        return
    row = Challenge.objects.filter(nonce_hash=digest).first()
    if row is None:
        raise ChallengeRefused("このチャレンジは発行されていません (unknown nonce)", code="nonce_unknown")
    if row.purpose != purpose.value:
        raise ChallengeRefused(
            "このチャレンジは別の手続き用です (the nonce was issued for another step)", code="nonce_purpose"
        )
    if row.consumed_at is not None:
        raise ChallengeRefused(
            "このチャレンジは使用済みです。最初からやり直してください (the nonce was already used)",
            code="nonce_used",
        )
    raise ChallengeRefused(
        "チャレンジの有効期限が切れました。最初からやり直してください (the nonce has expired)",
        code="nonce_expired",
    )


# -- the bundle --------------------------------------------------------------------------------


def _b64(value: Any, name: str, *, required: bool) -> bytes | None:
    if value in (None, ""):
        if required:
            raise BundleInvalid(f"{name} がありません ({name} is missing)", code="bundle_missing_field")
        return None
    if not isinstance(value, str):
        raise BundleInvalid(f"{name} must be base64 text", code="bundle_not_base64")
    try:
        return base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise BundleInvalid(f"{name} is not base64", code="bundle_not_base64") from exc


def parse_bundle(data: Mapping[str, Any], *, signing: bool, auth: bool) -> CardBundle:
    """A CardBundle from the JSON the reader software writes (docs/jpki.md). Fields other than those
    named there are ignored and never kept."""
    if not isinstance(data, Mapping):
        raise BundleInvalid("the bundle is not a JSON object", code="bundle_not_object")
    nonce = data.get("nonce")
    if not isinstance(nonce, str) or not nonce:
        raise BundleInvalid("nonce がありません (nonce is missing)", code="bundle_missing_field")
    chain = data.get("chain") or []
    if not isinstance(chain, list):
        raise BundleInvalid("chain must be a list of base64 certificates", code="bundle_not_base64")
    return CardBundle(
        nonce=nonce,
        signing_certificate=_b64(data.get("signing_certificate"), "signing_certificate", required=signing),
        signature=_b64(data.get("signature"), "signature", required=signing),
        auth_certificate=_b64(data.get("auth_certificate"), "auth_certificate", required=auth),
        auth_signature=_b64(
            data.get("auth_signature"), "auth_signature", required=auth or bool(data.get("auth_certificate"))
        ),
        chain=tuple(
            b for i, c in enumerate(chain) if (b := _b64(c, f"chain[{i}]", required=True)) is not None
        ),
    )


# -- verification ------------------------------------------------------------------------------


def _verify(der: bytes, chain: Sequence[bytes], *, kind: CertificateKind, now: datetime) -> Any:
    """Verify one card certificate with the configured trust and revocation sources."""
    roots = trust.roots()
    if not roots:
        raise JpkiRefused(RefusalReason.UNKNOWN_ISSUER, "no J-LIS root certificate is configured")
    chain_all: list[jpki.CertInput] = [*chain, *trust.chain()]
    revocation = trust.current_crls(now=now)
    ocsp_url = trust.ocsp_url()
    configured_crls = bool(trust.config()["CRLS"]) or trust.demo_enabled()
    verify = jpki.verify_signing_certificate if kind == CertificateKind.SIGN else jpki.verify_auth_certificate
    try:
        identity = verify(
            der,
            chain_all,
            roots=roots,
            crls=revocation.crls,
            now=now,
            require_crl=configured_crls or not ocsp_url,
        )
    except JpkiRefused as refused:
        if refused.reason is RefusalReason.REVOCATION_UNKNOWN and revocation.problems:
            raise JpkiRefused(RefusalReason.REVOCATION_UNKNOWN, "; ".join(revocation.problems)) from refused
        raise
    if ocsp_url:
        cert = jpki.load_certificate(der)
        issuer = jpki.certification_path(cert, chain_all, roots=roots)[1]
        nonce = os.urandom(16) if trust.config()["OCSP_NONCE"] else None
        request = ocsp_domain.build_request(cert, issuer, nonce=nonce)
        try:
            answer = trust.ask_ocsp(ocsp_url, request)
        except (URLError, OSError, TimeoutError) as exc:
            raise JpkiRefused(
                RefusalReason.REVOCATION_UNKNOWN, f"the OCSP responder did not answer ({exc})"
            ) from exc
        ocsp_domain.check_response(answer, cert=cert, issuer=issuer, now=now, nonce=nonce)
    return identity


def _verify_signing(bundle: CardBundle, now: datetime) -> jpki.SigningIdentity:
    assert bundle.signing_certificate is not None and bundle.signature is not None
    identity: jpki.SigningIdentity = _verify(
        bundle.signing_certificate, bundle.chain, kind=CertificateKind.SIGN, now=now
    )
    jpki.verify_nonce_signature(
        jpki.load_certificate(bundle.signing_certificate), bundle.nonce.encode("utf-8"), bundle.signature
    )
    return identity


def _verify_auth(bundle: CardBundle, now: datetime) -> jpki.AuthIdentity | None:
    if bundle.auth_certificate is None:
        return None
    if bundle.auth_signature is None:
        raise BundleInvalid(
            "auth_signature がありません (auth_signature is missing)", code="bundle_missing_field"
        )
    identity: jpki.AuthIdentity = _verify(
        bundle.auth_certificate, bundle.chain, kind=CertificateKind.AUTH, now=now
    )
    jpki.verify_nonce_signature(
        jpki.load_certificate(bundle.auth_certificate), bundle.nonce.encode("utf-8"), bundle.auth_signature
    )
    return identity


# -- eligibility, names and branches -----------------------------------------------------------


def _decide(
    address: str, birth_date: date, *, workplace_address: str, today: date
) -> eligibility.Eligibility:
    try:
        where = eligibility.parse_address(address)
    except eligibility.AddressError as exc:
        raise Ineligible(
            "証明書の住所から登録資格を確認できません。窓口でお尋ねください "
            "(the address on the certificate cannot be read against the library's rules; please ask at the desk)",
            refusals=["address_unreadable"],
        ) from exc
    workplace = None
    if workplace_address.strip():
        try:
            workplace = eligibility.parse_address(workplace_address)
        except eligibility.AddressError as exc:
            raise Ineligible(str(exc), refusals=["workplace_unreadable"]) from exc
    answer = eligibility.decide(
        address=where,
        birth_date=birth_date,
        today=today,
        rules=patron_services.registration_rules(),
        workplace_address=workplace,
    )
    if not answer.allowed:
        raise Ineligible(
            " ".join(f"{r.message_ja} ({r.message_en})" for r in answer.refusals),
            refusals=[r.value for r in answer.refusals],
        )
    return answer


def split_name(name: str) -> tuple[str, str]:
    """氏 and 名 from the certificate's 氏名, which J-LIS writes with a space between them."""
    family, _, given = name.strip().replace("\u3000", " ").partition(" ")
    return family, given.strip()


def _name_key(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split())


def _address_key(text: str) -> str:
    return _name_key(text)


def home_branch_for(address: str) -> Branch:
    """The first HOME_BRANCH_RULES entry whose address prefix matches, else HOME_BRANCH, else the
    library's first branch."""
    conf = trust.config()
    key = _address_key(address)
    for prefix, code in conf["HOME_BRANCH_RULES"]:
        if key.startswith(_address_key(prefix)):
            return Branch.objects.get(code=code)
    if conf["HOME_BRANCH"]:
        return Branch.objects.get(code=conf["HOME_BRANCH"])
    branch = Branch.objects.order_by("position", "code").first()
    if branch is None:
        raise DomainError("図書館 (branch) が登録されていません", code="no_branch")
    return branch


def _check_typed(*texts: str) -> None:
    for text in texts:
        if text and mynumber.contains_individual_number(text):
            raise IndividualNumberRefused(
                "個人番号（マイナンバー）は入力しないでください。図書館は個人番号を受け取りません "
                "(do not enter your Individual Number: the library does not take it)"
            )


# -- registration --------------------------------------------------------------------------------


def register_with_card(
    *,
    bundle: CardBundle,
    email: str = "",
    workplace_address: str = "",
    now: datetime | None = None,
) -> Registration:
    """Make a member from a signed card bundle in one step, or recognise one already registered.

    Raises ChallengeRefused, BundleInvalid, JpkiRefused (with its reason), Ineligible,
    IndividualNumberRefused, IdentityConflict, or patrons' PatronError; any of them leaves no
    patron, link or card number behind.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    _check_typed(email, workplace_address)
    if email.strip():
        try:
            validate_email(email.strip())
        except ValidationError as exc:
            raise BundleInvalid(
                "メールアドレスの形式が正しくありません (not an e-mail address)", code="invalid_email"
            ) from exc
    consume_challenge(nonce=bundle.nonce, purpose=ChallengePurpose.REGISTER, now=now)
    try:
        signing = _verify_signing(bundle, now)
        auth = _verify_auth(bundle, now)
        try:
            result = _register_verified(
                signing=signing,
                auth=auth,
                email=email,
                workplace_address=workplace_address,
                now=now,
                today=today,
            )
        except IntegrityError as exc:  # the same certificate registered by a request running beside this one
            raise IdentityConflict(
                "この証明書はいま登録されたところです。ログインしてください (this certificate was just registered)"
            ) from exc
    except DomainError as refused:
        logger.info("jpki registration refused: %s", getattr(refused, "reason", refused.code))
        raise
    logger.info(
        "jpki registration %s: patron %s, signing certificate serial %s",
        result.outcome.value,
        result.patron.pk,
        signing.certificate.serial,
    )
    return result


@transaction.atomic
def _register_verified(
    *,
    signing: jpki.SigningIdentity,
    auth: jpki.AuthIdentity | None,
    email: str,
    workplace_address: str,
    now: datetime,
    today: date,
) -> Registration:
    four = signing.basic_four
    ref = signing.certificate
    same = (
        CertificateLink.objects.select_for_update()
        .filter(kind=CertificateKind.SIGN, issuer=ref.issuer, serial=str(ref.serial), ended_at__isnull=True)
        .select_related("patron")
        .first()
    )
    if same is not None:
        linked = _link_auth(same.patron, auth, now) if auth else False
        return Registration(patron=same.patron, outcome=Outcome.ALREADY_REGISTERED, auth_linked=linked)
    existing = _match_person(four)
    if existing is not None:
        return _relink(
            existing, signing=signing, auth=auth, workplace_address=workplace_address, now=now, today=today
        )
    answer = _decide(four.address, four.date_of_birth, workplace_address=workplace_address, today=today)
    family, given = split_name(four.name)
    patron = patron_services.register_patron(
        family_name=family,
        given_name=given,
        home_branch=home_branch_for(four.address),
        category=answer.category,
        residency=answer.residency,
        email=email.strip(),
        address=four.address,
        birth_date=four.date_of_birth,
        today=today,
        status=PatronStatus.FULL,  # the card proves who they are: no visit to the desk needed
        registration_source=RegistrationSource.JPKI,
        verified_at=now,
    )
    _open_link(patron, CertificateKind.SIGN, ref, now)
    linked = _link_auth(patron, auth, now) if auth else False
    return Registration(patron=patron, outcome=Outcome.REGISTERED, auth_linked=linked)


def _match_person(four: jpki.BasicFour) -> Patron | None:
    """The JPKI-linked patron with this name and date of birth (a renewed or reissued card)."""
    names = {_name_key(four.name)} | ({_name_key(four.name_alt)} if four.name_alt else set())
    candidates = [
        p
        for p in Patron.objects.select_for_update().filter(
            birth_date=four.date_of_birth,
            pk__in=CertificateLink.objects.filter(kind=CertificateKind.SIGN).values("patron_id"),
        )
        if _name_key(p.family_name + p.given_name) in names
    ]
    if len(candidates) > 1:
        raise IdentityConflict(
            "同じ氏名・生年月日の登録が複数あります。窓口でお尋ねください "
            "(more than one account has this name and date of birth; please ask at the desk)"
        )
    return candidates[0] if candidates else None


def _relink(
    patron: Patron,
    *,
    signing: jpki.SigningIdentity,
    auth: jpki.AuthIdentity | None,
    workplace_address: str,
    now: datetime,
    today: date,
) -> Registration:
    """A new signing certificate for a patron already linked: close the old link, open the new one.

    J-LIS revokes the old signing certificate whenever a new one is issued or any of the 基本4情報
    changes, so an old certificate that is still unexpired and not on a current CRL means this is
    probably another person with the same name and date of birth: staff must look — unless the
    address matches as well, when the person is told they are already registered.
    """
    four = signing.basic_four
    old = CertificateLink.objects.filter(
        patron=patron, kind=CertificateKind.SIGN, ended_at__isnull=True
    ).first()
    if old is not None and old.not_after > now and _still_good(old, now) is True:
        if _address_key(patron.address) == _address_key(four.address):
            # Name, birthday and address all match an account whose certificate is still good:
            # the same person with a second certificate in hand. Not registered twice; nothing
            # changes, and they log in as before.
            return Registration(patron=patron, outcome=Outcome.ALREADY_REGISTERED, auth_linked=False)
        raise IdentityConflict(
            "この氏名・生年月日の方は別の有効な証明書で登録されています。窓口でお尋ねください "
            "(someone with this name and date of birth is registered with another valid certificate; "
            "please ask at the desk)"
        )
    answer = _decide(four.address, four.date_of_birth, workplace_address=workplace_address, today=today)
    if old is not None:
        old.ended_at = now
        old.end_reason = LinkEnd.RENEWED
        old.save(update_fields=["ended_at", "end_reason"])
    _open_link(patron, CertificateKind.SIGN, signing.certificate, now)
    if _address_key(patron.address) != _address_key(four.address):
        patron = patron_services.update_preferences(patron=patron, address=four.address)
    if answer.residency != patron.residency:
        patron = patron_services.change_residency(patron=patron, residency=answer.residency)
    linked = _link_auth(patron, auth, now) if auth else False
    return Registration(patron=patron, outcome=Outcome.RELINKED, auth_linked=linked)


def _still_good(link: CertificateLink, now: datetime) -> bool | None:
    """Whether the old certificate is known to be unrevoked (True), revoked (False) or unknown (None)."""
    issuer = next(
        (ca for ca in trust.roots() + trust.chain() if ca.subject.rfc4514_string() == link.issuer), None
    )
    if issuer is None:
        return None
    listed = jpki.is_listed_as_revoked(issuer, int(link.serial), trust.current_crls(now=now).crls, now)
    return None if listed is None else not listed


def _open_link(
    patron: Patron, kind: CertificateKind, ref: jpki.CertificateRef, now: datetime
) -> CertificateLink:
    return CertificateLink.objects.create(
        patron=patron,
        kind=kind,
        issuer=ref.issuer,
        serial=str(ref.serial),
        not_after=ref.not_after,
        linked_at=now,
    )


def _link_auth(patron: Patron, auth: jpki.AuthIdentity | None, now: datetime) -> bool:
    """Link the authentication certificate to `patron`, closing the one it replaces."""
    if auth is None:
        return False
    ref = auth.certificate
    current = CertificateLink.objects.select_for_update().filter(
        kind=CertificateKind.AUTH, issuer=ref.issuer, serial=str(ref.serial), ended_at__isnull=True
    )
    holder = current.first()
    if holder is not None:
        if holder.patron_id != patron.pk:
            raise IdentityConflict(
                "この利用者証明用電子証明書は別の利用者に紐付いています "
                "(this authentication certificate is linked to another account)"
            )
        return True
    CertificateLink.objects.filter(patron=patron, kind=CertificateKind.AUTH, ended_at__isnull=True).update(
        ended_at=now, end_reason=LinkEnd.RENEWED
    )
    _open_link(patron, CertificateKind.AUTH, ref, now)
    return True


# -- login and linking later ---------------------------------------------------------------------


def log_in_with_card(*, bundle: CardBundle, now: datetime | None = None) -> Patron:
    """The patron whose linked 利用者証明用電子証明書 signed this login nonce.

    A revoked certificate is refused by the CRL (or OCSP) check; one whose link was closed when a
    new certificate was linked belongs to nobody any more.
    """
    now = now or timezone.now()
    consume_challenge(nonce=bundle.nonce, purpose=ChallengePurpose.LOGIN, now=now)
    try:
        auth = _verify_auth(bundle, now)
        assert auth is not None
        link = (
            CertificateLink.objects.filter(
                kind=CertificateKind.AUTH,
                issuer=auth.certificate.issuer,
                serial=str(auth.certificate.serial),
                ended_at__isnull=True,
            )
            .select_related("patron", "patron__home_branch")
            .first()
        )
        if link is None:
            raise NotLinked(
                "このマイナンバーカードはまだ利用者カードに紐付いていません。マイナンバーカードで登録するか、"
                "ログイン後にアカウントの画面で紐付けてください "
                "(this card is not linked to a library account yet)"
            )
    except DomainError as refused:
        logger.info("jpki login refused: %s", getattr(refused, "reason", refused.code))
        raise
    logger.info("jpki login: patron %s", link.patron_id)
    return link.patron


@transaction.atomic
def _link_for(patron: Patron, auth: jpki.AuthIdentity, now: datetime) -> None:
    locked = Patron.objects.select_for_update().get(pk=patron.pk)
    _link_auth(locked, auth, now)


def link_auth_certificate(*, patron: Patron, bundle: CardBundle, now: datetime | None = None) -> None:
    """A logged-in patron links their card's 利用者証明用電子証明書 for later logins (a LINK nonce)."""
    now = now or timezone.now()
    consume_challenge(nonce=bundle.nonce, purpose=ChallengePurpose.LINK, now=now)
    auth = _verify_auth(bundle, now)
    assert auth is not None
    _link_for(patron, auth, now)
    logger.info("jpki auth certificate linked: patron %s", patron.pk)


def links_of(patron: Patron) -> list[CertificateLink]:
    return list(CertificateLink.objects.filter(patron=patron).order_by("-linked_at"))
