"""The JSON API of My Number card sign-up and login, for the card reader software or phone app.

    POST /api/v1/identity/jpki/challenges      a nonce to sign (register, login or link)
    POST /api/v1/identity/jpki/registrations   a signed bundle → a member and a card number
    POST /api/v1/identity/jpki/logins          a bundle signed with the 利用者証明用 certificate → a patron session
    POST /api/v1/identity/jpki/links           (logged in) link the card's 利用者証明用 certificate

Certificates are base64 DER, signatures base64 (RSASSA-PKCS1-v1_5 with SHA-256 over the UTF-8 bytes of
the nonce, which is what the card's JPKI applet computes). Thin: each endpoint is one service call
(toshokan.identity.services), the same the pages make. Refusals answer {"error", "detail"} and, for
a certificate, its "reason" (docs/jpki.md lists them).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from django.http import HttpRequest
from django.middleware.csrf import get_token, rotate_token
from ninja import Field, Router, Schema
from ninja.responses import Status

from toshokan.core.domain import DomainError
from toshokan.core.http import client_address
from toshokan.patrons import sessions
from toshokan.patrons.api_auth import patron, patron_of

from . import services
from .domain.jpki import JpkiRefused
from .models import ChallengePurpose

router = Router(tags=["My Number card (JPKI)"])


class RefusalOut(Schema):
    error: str = Field(description="a stable code: jpki_refused, challenge_refused, ineligible, …")
    detail: str = Field(description="what went wrong, for people (Japanese, with English)")
    reason: str | None = Field(None, description="for jpki_refused: which check failed (expired, revoked, …)")
    refusals: list[str] = Field(default_factory=list, description="for ineligible: the rules that refuse")


class ChallengeIn(Schema):
    purpose: Literal["register", "login", "link"] = "register"


class ChallengeOut(Schema):
    nonce: str = Field(description="sign exactly these characters (UTF-8), once, before expires_at")
    purpose: str
    expires_at: datetime
    algorithm: str = "RSASSA-PKCS1-v1_5 with SHA-256 over the UTF-8 bytes of the nonce"


class BundleIn(Schema):
    """What the card reader software sends back (fields not listed here are ignored and never kept)."""

    nonce: str
    signing_certificate: str | None = Field(None, description="署名用電子証明書, base64 DER")
    signature: str | None = Field(None, description="signature with the signing key, base64")
    auth_certificate: str | None = Field(None, description="利用者証明用電子証明書, base64 DER")
    auth_signature: str | None = Field(None, description="signature with the authentication key, base64")
    chain: list[str] = Field(
        default_factory=list, description="CA certificates between card and root, base64 DER"
    )


class RegistrationIn(BundleIn):
    email: str = Field("", description="optional: an e-mail address for notices")
    workplace_address: str = Field("", description="optional: where one works or studies, for commuters")


class RegistrationOut(Schema):
    outcome: Literal["registered", "already_registered", "relinked"]
    card_number: str
    name: str
    home_branch: str
    expires_on: date
    auth_linked: bool = Field(description="the 利用者証明用 certificate can now be used to log in")


class SessionOut(Schema):
    card_number: str
    name: str
    csrf_token: str


STATUS = {
    "bundle_invalid": 422,
    "individual_number_refused": 422,
    "challenge_refused": 409,
    "identity_conflict": 409,
    "jpki_refused": 403,
    "ineligible": 403,
    "certificate_not_linked": 401,
    "challenge_throttled": 429,
}
ERRORS: dict[int, type[Schema]] = {code: RefusalOut for code in (401, 403, 409, 415, 422)}


def _refusal(exc: DomainError) -> Status[dict[str, Any]]:
    kind = type(exc).code
    body: dict[str, Any] = {"error": kind, "detail": str(exc)}
    if isinstance(exc, JpkiRefused):
        body["reason"] = exc.reason.value
    if isinstance(exc, services.ChallengeRefused | services.BundleInvalid):
        body["reason"] = exc.code
    if exc.code == "json_required":
        return Status(415, {"error": "json_required", "detail": str(exc)})
    if isinstance(exc, services.Ineligible):
        body["refusals"] = list(exc.refusals)
    return Status(STATUS.get(kind, 400), body)


def _json_only(request: HttpRequest) -> None:
    if request.content_type != "application/json":
        raise services.BundleInvalid("Content-Type: application/json で送ってください", code="json_required")


@router.post(
    "/identity/jpki/challenges",
    response={201: ChallengeOut, 429: RefusalOut},
    auth=None,
    summary="A one-time nonce for the card to sign (valid NONCE_TTL_S, default 300 s; "
    "at most CHALLENGES_PER_ADDRESS in ten minutes from one address)",
)
def challenge(request: HttpRequest, data: ChallengeIn) -> Status[dict[str, Any]]:
    try:
        issued = services.issue_challenge(
            purpose=ChallengePurpose(data.purpose), client_address=client_address(request)
        )
    except services.ChallengeThrottled as exc:
        return _refusal(exc)
    return Status(201, {"nonce": issued.nonce, "purpose": issued.purpose, "expires_at": issued.expires_at})


@router.post(
    "/identity/jpki/registrations",
    response={201: RegistrationOut, 200: RegistrationOut, **ERRORS},
    auth=None,
    summary="Register with the signing certificate in one step; the card number is issued at once",
)
def register(request: HttpRequest, data: RegistrationIn) -> Status[dict[str, Any]]:
    try:
        _json_only(request)
        bundle = services.parse_bundle(data.dict(), signing=True, auth=False)
        result = services.register_with_card(
            bundle=bundle, email=data.email, workplace_address=data.workplace_address
        )
    except DomainError as exc:
        return _refusal(exc)
    p = result.patron
    body = {
        "outcome": result.outcome.value,
        "card_number": p.card_number,
        "name": p.display_name,
        "home_branch": p.home_branch.name,
        "expires_on": p.expires_on,
        "auth_linked": result.auth_linked,
    }
    return Status(201 if result.outcome is services.Outcome.REGISTERED else 200, body)


@router.post(
    "/identity/jpki/logins",
    response={200: SessionOut, **ERRORS},
    auth=None,
    summary="Log in with the 利用者証明用 certificate: sets the patron session cookie (and a CSRF token)",
)
def log_in(request: HttpRequest, data: BundleIn) -> Status[dict[str, Any]]:
    try:
        # A JSON body, as for the card-and-PIN login: a cross-site form cannot send one (login CSRF).
        _json_only(request)
        found = services.log_in_with_card(bundle=services.parse_bundle(data.dict(), signing=False, auth=True))
    except DomainError as exc:
        return _refusal(exc)
    sessions.start(request, found)
    rotate_token(request)
    return Status(
        200, {"card_number": found.card_number, "name": found.display_name, "csrf_token": get_token(request)}
    )


@router.post(
    "/identity/jpki/links",
    response={204: None, **ERRORS},
    auth=patron(),
    summary="Link the card's 利用者証明用 certificate to the logged-in patron, for later logins",
)
def link(request: HttpRequest, data: BundleIn) -> Status[Any]:
    try:
        services.link_auth_certificate(
            patron=patron_of(request), bundle=services.parse_bundle(data.dict(), signing=False, auth=True)
        )
    except DomainError as exc:
        return _refusal(exc)
    return Status(204, None)
