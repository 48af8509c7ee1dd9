"""Passkeys (WebAuthn) for patrons and staff: registering one, logging in with one, renaming and
removing them. The ceremonies are py_webauthn's; this module adds what a library needs around them.

Service API for staff sign-in (a passkey as the second factor; toshokan.staff calls these):

    has_passkeys(user) -> bool
        Whether this staff user has at least one passkey.
    begin_authentication(request, *, user) -> dict
        PublicKeyCredentialRequestOptionsJSON for `navigator.credentials.get({publicKey: …})`,
        listing this user's passkeys (allowCredentials) with userVerification "required". The
        challenge is kept in `request.session` for CHALLENGE_TTL; call it once the password is
        right (the user need not be logged in yet). NoPasskeys when the user has none.
    finish_authentication(request, payload, *, user=None) -> Passkey
        Verifies the browser's answer (the PublicKeyCredential as JSON: a dict or a string,
        e.g. what static/passkeys/passkeys.js posts) against the challenge of the last
        begin_authentication in this session, which is used up whatever the outcome. Returns the
        passkey used, its counter and last use updated. When `user` is given the passkey must be
        theirs. Raises ChallengeExpired (no challenge: never begun, already used, or older than
        CHALLENGE_TTL), UserVerificationRequired (the authenticator did not verify the person:
        no PIN or biometric), PasskeyRefused (anything else: unknown or foreign passkey, wrong
        origin or RP ID, bad signature, a signature counter that went backwards). All are
        PasskeyError, a DomainError; their messages can be shown.

Adding a passkey to a patron's account asks for their PIN again (begin_registration's `pin`).

Patron login (no card number typed: a discoverable credential names the account):
begin_patron_login / finish_patron_login, throttled per client address like card-and-PIN logins
(patrons.services.log_in_without_card). Registration: begin_registration / finish_registration for
a patron or a staff user. rename_passkey, remove_passkey.

Rules, with their sources (Web Authentication Level 3):
- userVerification "required" in every ceremony, and an attestation or assertion whose UV flag is
  not set is refused (§7.1 step 15, §7.2 step 17): a passkey alone is then two factors.
- Challenges are random (py_webauthn: 64 bytes), single-use and short-lived (§13.4.3), kept
  server-side in the session, one per ceremony kind, with the RP they were issued for.
- Patrons' passkeys must be discoverable (residentKey "required", §5.4.6): the login page asks
  for nothing else. Staff sign in with a username first, so theirs are "preferred".
- excludeCredentials lists the account's passkeys, so one authenticator is not registered twice.
- The user handle (user.id) is 32 random bytes per account, never the card number or user id
  (§14.6.1); an assertion's userHandle, when present, must be the account's.
- Signature counter (§6.1.1, §7.2 step 21): when either the stored or the new counter is non-zero
  the new one must be greater, or the authenticator may have been cloned; such an assertion is
  refused (py_webauthn's rule), logged, and the stored counter is left as it was. Authenticators
  that keep no counter (synced passkeys) always report 0, and that is accepted.
- Attestation "none": a public library has no list of authenticators to trust or refuse.
"""

from __future__ import annotations

import json
import logging
import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import (
    base64url_to_bytes,
    bytes_to_base64url,
    parse_attestation_object,
    parse_authentication_credential_json,
    parse_authenticator_data,
    parse_registration_credential_json,
)
from webauthn.helpers.cose import COSEAlgorithmIdentifier
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AttestationConveyancePreference,
    AuthenticationCredential,
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    CredentialDeviceType,
    PublicKeyCredentialDescriptor,
    RegistrationCredential,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from toshokan.core import audit
from toshokan.core.domain import DomainError
from toshokan.patrons import services as patron_services
from toshokan.patrons.models import Patron

from .domain import names
from .domain.relying_party import RelyingParty, relying_party
from .models import Passkey, UserHandle

log = logging.getLogger(__name__)

CHALLENGE_TTL = timedelta(minutes=5)
TIMEOUT_MS = int(CHALLENGE_TTL.total_seconds() * 1000)
SESSION_KEY = "toshokan_webauthn"
# EdDSA, ES256, RS256: what platform authenticators and security keys make (WebAuthn §5.8.3 asks
# RPs to list at least ES256 and RS256).
ALGORITHMS = [
    COSEAlgorithmIdentifier.EDDSA,
    COSEAlgorithmIdentifier.ECDSA_SHA_256,
    COSEAlgorithmIdentifier.RSASSA_PKCS1_v1_5_SHA_256,
]

REGISTER, PATRON_LOGIN, STAFF = "register", "patron-login", "staff"
# One per phone, computer and security key is a handful; a limit keeps a list someone can read,
# and the options of a staff sign-in (which list every passkey) small.
MAX_PASSKEYS = 20


class PasskeyError(DomainError):
    code = "passkey_error"


class ChallengeExpired(PasskeyError):
    code = "passkey_challenge_expired"


class UserVerificationRequired(PasskeyError):
    code = "passkey_user_verification_required"


class PasskeyRefused(PasskeyError):
    code = "passkey_refused"


class NoPasskeys(PasskeyError):
    code = "passkey_none"


class DuplicatePasskey(PasskeyError):
    code = "passkey_duplicate"


class InvalidPasskeyName(PasskeyError):
    code = "passkey_invalid_name"


class TooManyPasskeys(PasskeyError):
    code = "passkey_too_many"


class PatronLoginFailed(patron_services.AuthenticationFailed):
    """A passkey login was refused; counted against the client address like a wrong PIN."""

    code = "passkey_login_failed"


class PatronLoginNotVerified(PatronLoginFailed):
    """The authenticator did not verify the person (no PIN, fingerprint or face)."""

    code = "passkey_user_verification_required"


class PatronLoginExpired(PatronLoginFailed):
    code = "passkey_challenge_expired"


UV_MESSAGE = (
    "本人確認 (指紋・顔・画面ロックの暗証番号など) が行われなかったため、パスキーを使えませんでした。"
    "本人確認のできる端末でお試しください (user verification is required)"
)
EXPIRED_MESSAGE = "手続きの有効期限が切れました。もう一度お試しください (the request expired; try again)"
REFUSED_MESSAGE = "このパスキーは使えませんでした (the passkey was not accepted)"
LOGIN_FAILED_MESSAGE = "パスキーでログインできませんでした (the passkey login failed)"


# -- the relying party and the account -----------------------------------------------------------


def relying_party_for(request: HttpRequest) -> RelyingParty:
    """The RP of this deployment (TOSHOKAN_WEBAUTHN), or of the request's host and scheme."""
    return relying_party(
        getattr(settings, "TOSHOKAN_WEBAUTHN", None), scheme=request.scheme or "http", host=request.get_host()
    )


def _owner_filter(*, patron: Patron | None, user: Any) -> dict[str, Any]:
    if (patron is None) == (user is None):
        raise ValueError("a passkey belongs to a patron or to a staff user: name exactly one")
    return {"patron": patron} if patron is not None else {"user": user}


def _handle(*, patron: Patron | None, user: Any) -> UserHandle:
    owner = _owner_filter(patron=patron, user=user)
    found = UserHandle.objects.filter(**owner).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return UserHandle.objects.create(handle=bytes_to_base64url(secrets.token_bytes(32)), **owner)
    except IntegrityError:  # made by a request that ran at the same time
        return UserHandle.objects.get(**owner)


def _descriptor(passkey: Passkey) -> PublicKeyCredentialDescriptor:
    transports = []
    for value in passkey.transports:
        try:
            transports.append(AuthenticatorTransport(value))
        except ValueError:
            continue  # a transport newer than this library: the browser works without the hint
    return PublicKeyCredentialDescriptor(id=base64url_to_bytes(passkey.credential_id), transports=transports)


# -- challenges in the session -------------------------------------------------------------------


def _remember(
    session: SessionBase, kind: str, challenge: bytes, rp: RelyingParty, owner: dict[str, Any] | None = None
) -> None:
    pending = dict(session.get(SESSION_KEY) or {})
    pending[kind] = {
        "challenge": bytes_to_base64url(challenge),
        "expires": (timezone.now() + CHALLENGE_TTL).timestamp(),
        "rp": [rp.id, rp.name, list(rp.origins)],
        "owner": owner or {},
    }
    session[SESSION_KEY] = pending


def _take(session: SessionBase, kind: str) -> tuple[bytes, RelyingParty, dict[str, Any]] | None:
    """The pending challenge of this kind, removed: a challenge answers one ceremony only."""
    pending = dict(session.get(SESSION_KEY) or {})
    state = pending.pop(kind, None)
    session[SESSION_KEY] = pending
    if not state or float(state["expires"]) <= timezone.now().timestamp():
        return None
    rp_id, rp_name, origins = state["rp"]
    return (
        base64url_to_bytes(state["challenge"]),
        RelyingParty(rp_id, rp_name, tuple(origins)),
        state["owner"],
    )


def _options(options: Any) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(options_to_json(options))
    return result


def _lacks_user_verification(authenticator_data: bytes) -> bool:
    try:
        flags = parse_authenticator_data(authenticator_data).flags
    except Exception:  # malformed: the library's own error says so
        return False
    return bool(flags.up) and not flags.uv


# -- registration ---------------------------------------------------------------------------------


def begin_registration(
    request: HttpRequest, *, patron: Patron | None = None, user: Any = None, pin: str | None = None
) -> dict[str, Any]:
    """Options for `navigator.credentials.create()` to add a passkey to this patron's or staff
    user's account; the challenge waits in the session for finish_registration.

    A patron who has a PIN gives it again first (patrons.services.confirm_pin: AuthenticationFailed
    or LoginThrottled), so that a session left open on a shared terminal cannot be turned into a
    lasting way into their account."""
    owner = _owner_filter(patron=patron, user=user)
    if patron is not None and patron.pin_hash:
        patron_services.confirm_pin(patron=patron, pin=pin or "")
    if Passkey.objects.filter(**owner).count() >= MAX_PASSKEYS:
        raise TooManyPasskeys(
            f"パスキーは{MAX_PASSKEYS}個まで登録できます。使わないものを削除してください "
            f"(at most {MAX_PASSKEYS} passkeys: remove one you no longer use)"
        )
    rp = relying_party_for(request)
    handle = _handle(patron=patron, user=user)
    if patron is not None:
        user_name, display_name = patron.card_number, patron.display_name or patron.card_number
        resident_key = ResidentKeyRequirement.REQUIRED
    else:
        user_name = user.get_username()
        display_name = user.get_full_name() or user_name
        resident_key = ResidentKeyRequirement.PREFERRED
    options = generate_registration_options(
        rp_id=rp.id,
        rp_name=rp.name,
        user_name=user_name,
        user_id=base64url_to_bytes(handle.handle),
        user_display_name=display_name,
        timeout=TIMEOUT_MS,
        attestation=AttestationConveyancePreference.NONE,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=resident_key, user_verification=UserVerificationRequirement.REQUIRED
        ),
        exclude_credentials=[_descriptor(p) for p in Passkey.objects.filter(**owner)],
        supported_pub_key_algs=ALGORITHMS,
    )
    _remember(request.session, REGISTER, options.challenge, rp, _owner_key(patron=patron, user=user))
    return _options(options)


def _owner_key(*, patron: Patron | None, user: Any) -> dict[str, Any]:
    return {"patron": patron.pk} if patron is not None else {"user": user.pk}


def _parse_registration(payload: object) -> RegistrationCredential:
    if not isinstance(payload, str | dict):
        raise PasskeyRefused(f"{REFUSED_MESSAGE}: no credential was sent")
    try:
        return parse_registration_credential_json(payload)
    except (WebAuthnException, ValueError, TypeError, KeyError) as exc:
        raise PasskeyRefused(f"{REFUSED_MESSAGE}: {exc}") from exc


def finish_registration(
    request: HttpRequest,
    payload: object,
    *,
    name: str = "",
    patron: Patron | None = None,
    user: Any = None,
) -> Passkey:
    """Verify the browser's attestation against the pending challenge and keep the new passkey
    for the account the challenge was issued to (which must be `patron` or `user`: the one logged
    in now). `name` is the owner's name for it; empty gives パスキー N."""
    expected = _owner_key(patron=patron, user=user)
    owner = _owner_filter(patron=patron, user=user)
    label = _clean_name(name) if name.strip() else ""
    pending = _take(request.session, REGISTER)
    if pending is None or pending[2] != expected:
        raise ChallengeExpired(EXPIRED_MESSAGE)
    challenge, rp, _owner = pending
    credential = _parse_registration(payload)
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp.id,
            expected_origin=list(rp.origins),
            require_user_verification=True,
            supported_pub_key_algs=ALGORITHMS,
        )
    except WebAuthnException as exc:
        if _attestation_lacks_user_verification(credential):
            raise UserVerificationRequired(UV_MESSAGE) from exc
        raise PasskeyRefused(f"{REFUSED_MESSAGE}: {exc}") from exc
    credential_id = bytes_to_base64url(verified.credential_id)
    transports = [t.value for t in credential.response.transports or []]
    try:
        with transaction.atomic():
            taken = Passkey.objects.filter(**owner).count()
            return Passkey.objects.create(
                credential_id=credential_id,
                public_key=verified.credential_public_key,
                sign_count=verified.sign_count,
                transports=transports,
                aaguid=verified.aaguid,
                backup_eligible=verified.credential_device_type == CredentialDeviceType.MULTI_DEVICE,
                backed_up=verified.credential_backed_up,
                name=label or names.default_name(taken),
                **owner,
            )
    except IntegrityError as exc:
        raise DuplicatePasskey(
            "このパスキーはすでに登録されています (this passkey is already registered)"
        ) from exc


def _attestation_lacks_user_verification(credential: RegistrationCredential) -> bool:
    try:
        flags = parse_attestation_object(credential.response.attestation_object).auth_data.flags
    except Exception:  # malformed: the library's own error says so
        return False
    return bool(flags.up) and not flags.uv


def _clean_name(name: str) -> str:
    try:
        return names.clean_name(name)
    except names.InvalidName as exc:
        raise InvalidPasskeyName(str(exc)) from exc


# -- authentication -------------------------------------------------------------------------------


def _parse_assertion(payload: object) -> AuthenticationCredential:
    if not isinstance(payload, str | dict):
        raise PasskeyRefused(f"{REFUSED_MESSAGE}: no credential was sent")
    try:
        return parse_authentication_credential_json(payload)
    except (WebAuthnException, ValueError, TypeError, KeyError) as exc:
        raise PasskeyRefused(f"{REFUSED_MESSAGE}: {exc}") from exc


def _verify_assertion(
    credential: AuthenticationCredential,
    *,
    challenge: bytes,
    rp: RelyingParty,
    passkey_filter: dict[str, Any],
) -> Passkey:
    """Check an assertion for one of the passkeys `passkey_filter` selects and record its use."""
    with transaction.atomic():
        # Locked, so that two answers racing with the same counter cannot both pass.
        passkey = (
            Passkey.objects.select_for_update()
            .filter(credential_id=bytes_to_base64url(credential.raw_id), **passkey_filter)
            .first()
        )
        if passkey is None:
            raise PasskeyRefused(REFUSED_MESSAGE)
        handle = credential.response.user_handle
        if handle:
            owner = {"patron_id": passkey.patron_id} if passkey.patron_id else {"user_id": passkey.user_id}
            if not UserHandle.objects.filter(handle=bytes_to_base64url(handle), **owner).exists():
                raise PasskeyRefused(REFUSED_MESSAGE)
        try:
            verified = verify_authentication_response(
                credential=credential,
                expected_challenge=challenge,
                expected_rp_id=rp.id,
                expected_origin=list(rp.origins),
                credential_public_key=bytes(passkey.public_key),
                credential_current_sign_count=passkey.sign_count,
                require_user_verification=True,
            )
        except WebAuthnException as exc:
            if _lacks_user_verification(credential.response.authenticator_data):
                raise UserVerificationRequired(UV_MESSAGE) from exc
            if "sign count" in str(exc):
                log.warning(
                    "passkey %s: signature counter did not increase (possibly a cloned authenticator): %s",
                    passkey.pk,
                    exc,
                )
            raise PasskeyRefused(f"{REFUSED_MESSAGE}: {exc}") from exc
        passkey.sign_count = verified.new_sign_count
        passkey.backed_up = verified.credential_backed_up
        passkey.last_used_at = timezone.now()
        passkey.save(update_fields=["sign_count", "backed_up", "last_used_at"])
        return passkey


def has_passkeys(user: Any) -> bool:
    """Whether this staff user has registered at least one passkey."""
    return bool(user is not None and user.pk is not None and Passkey.objects.filter(user=user).exists())


def begin_authentication(request: HttpRequest, *, user: Any) -> dict[str, Any]:
    """Options for `navigator.credentials.get()` to check this staff user's passkey (see the
    module docstring)."""
    passkeys = list(Passkey.objects.filter(user=user)) if user is not None and user.pk is not None else []
    if not passkeys:
        raise NoPasskeys("パスキーが登録されていません (no passkey is registered for this account)")
    rp = relying_party_for(request)
    options = generate_authentication_options(
        rp_id=rp.id,
        timeout=TIMEOUT_MS,
        allow_credentials=[_descriptor(p) for p in passkeys],
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    _remember(request.session, STAFF, options.challenge, rp, {"user": user.pk})
    return _options(options)


def finish_authentication(request: HttpRequest, payload: object, *, user: Any = None) -> Passkey:
    """Verify a staff user's assertion against the challenge of begin_authentication (see the
    module docstring). Returns the passkey used."""
    pending = _take(request.session, STAFF)
    if pending is None:
        raise ChallengeExpired(EXPIRED_MESSAGE)
    challenge, rp, owner = pending
    if user is not None and owner.get("user") != user.pk:
        raise PasskeyRefused(REFUSED_MESSAGE)
    credential = _parse_assertion(payload)
    return _verify_assertion(
        credential, challenge=challenge, rp=rp, passkey_filter={"user_id": owner["user"]}
    )


def begin_patron_login(request: HttpRequest) -> dict[str, Any]:
    """Options for `navigator.credentials.get()` on the patron login page: no allowCredentials,
    so the browser offers the passkeys it holds for this site (discoverable credentials)."""
    rp = relying_party_for(request)
    options = generate_authentication_options(
        rp_id=rp.id, timeout=TIMEOUT_MS, user_verification=UserVerificationRequirement.REQUIRED
    )
    _remember(request.session, PATRON_LOGIN, options.challenge, rp)
    return _options(options)


def finish_patron_login(request: HttpRequest, payload: object, *, client_address: str) -> Patron:
    """The patron whose passkey made this assertion. Refusals are PatronLoginFailed (an
    AuthenticationFailed, counted against the client address; the message does not say which part
    failed), PatronLoginNotVerified when the authenticator did not verify the person, and
    PatronLoginExpired; too many from one address: patrons.services.LoginThrottled. The caller
    starts the session (patrons.sessions.start)."""

    def authenticate() -> Patron:
        pending = _take(request.session, PATRON_LOGIN)
        if pending is None:
            raise PatronLoginExpired(EXPIRED_MESSAGE)
        challenge, rp, _owner = pending
        try:
            credential = _parse_assertion(payload)
            passkey = _verify_assertion(
                credential, challenge=challenge, rp=rp, passkey_filter={"patron__isnull": False}
            )
        except UserVerificationRequired as exc:
            raise PatronLoginNotVerified(UV_MESSAGE) from exc
        except PasskeyError as exc:
            raise PatronLoginFailed(LOGIN_FAILED_MESSAGE) from exc
        assert passkey.patron is not None
        return passkey.patron

    return patron_services.log_in_without_card(authenticate=authenticate, client_address=client_address)


# -- the owner's list -----------------------------------------------------------------------------


def rename_passkey(*, passkey: Passkey, name: str) -> Passkey:
    passkey.name = _clean_name(name)
    passkey.save(update_fields=["name"])
    return passkey


@transaction.atomic
def remove_passkey(*, passkey: Passkey, by: audit.By | None = None) -> None:
    """Forget this passkey: it no longer logs anyone in. The authenticator keeps its copy until
    the owner deletes it there (WebAuthn has no way for a site to do it); card and PIN, or a
    staff password, remain.

    `by` is the staff member removing a patron's passkey for them (a lost phone, through the
    admin): that is an action on patron data and goes into the audit log with the removal."""
    if by is not None and passkey.patron_id is not None:
        audit.record(
            by=by,
            action=audit.Action.CHANGED,
            patron_id=passkey.patron_id,
            detail={"passkey_removed": passkey.pk},
        )
    Passkey.objects.filter(pk=passkey.pk).delete()
