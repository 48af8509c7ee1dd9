"""The WebAuthn relying party (RP): its id, its name and the origins a ceremony may come from.

Web Authentication Level 3 §5.1.3–5.1.4 and §7.1 step 9 / §7.2 step 13: the RP ID is a domain (never
an IP address or a port) equal to, or a registrable suffix of, the host of every origin that uses it;
the client data's origin must be one the RP expects. A deployment names them in settings
(`TOSHOKAN_WEBAUTHN = {"RP_ID", "RP_NAME", "ORIGINS"}`); left out, they are taken from the host and
scheme of the request, which is right for development on http://localhost and for a single HTTPS
host, and wrong behind a proxy that does not pass the scheme on (docs/passkeys.md).
Pure: the configuration and the request's scheme and host come in.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

DEFAULT_NAME = "toshokan"


class RelyingPartyError(ValueError):
    """TOSHOKAN_WEBAUTHN names an RP ID and origins that do not fit together."""


class NotADomain(RelyingPartyError):
    """The site was opened by IP address (http://127.0.0.1:8000): browsers refuse an IP address as
    an RP ID, so passkeys work only under a name (localhost in development)."""


@dataclass(frozen=True, slots=True)
class RelyingParty:
    id: str
    name: str
    origins: tuple[str, ...]


def host_without_port(host: str) -> str:
    """`example.jp:8443` → `example.jp`; `[::1]:8000` → `::1`; lower case."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1 : host.index("]")] if "]" in host else host[1:]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def covers(rp_id: str, host: str) -> bool:
    """An RP ID may serve its own host and the hosts below it (login.example.jp for example.jp)."""
    return host == rp_id or host.endswith("." + rp_id)


def relying_party(config: Mapping[str, Any] | None, *, scheme: str, host: str) -> RelyingParty:
    """The RP for a request to `scheme://host`, with what `config` fixes taking precedence."""
    config = config or {}
    rp_id = str(config.get("RP_ID") or host_without_port(host)).strip().lower().rstrip(".")
    name = str(config.get("RP_NAME") or DEFAULT_NAME)
    if not rp_id:
        raise RelyingPartyError("TOSHOKAN_WEBAUTHN: the RP ID is empty")
    if _is_ip_address(rp_id):
        raise NotADomain(f"{rp_id} is an IP address, which cannot be an RP ID: use a host name (localhost)")
    configured = config.get("ORIGINS")
    if isinstance(configured, str):
        raise RelyingPartyError("TOSHOKAN_WEBAUTHN['ORIGINS'] must be a list of origins, not one string")
    if configured:
        origins = tuple(str(o).rstrip("/") for o in configured)
    elif config.get("RP_ID"):
        origins = (f"https://{rp_id}",)
    else:
        origins = (f"{scheme}://{host.strip().lower()}",)
    for origin in origins:
        parts = urlsplit(origin)
        if parts.scheme not in ("https", "http") or not parts.hostname or parts.path:
            raise RelyingPartyError(
                f"TOSHOKAN_WEBAUTHN: {origin!r} is not an origin such as https://example.jp"
            )
        if not covers(rp_id, parts.hostname):
            raise RelyingPartyError(
                f"TOSHOKAN_WEBAUTHN: the RP ID {rp_id!r} is neither the host of {origin!r} nor a domain above it"
            )
    return RelyingParty(id=rp_id, name=name, origins=origins)


def _is_ip_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
