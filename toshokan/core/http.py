"""Small helpers for HTTP interfaces shared by several apps."""

from __future__ import annotations

from django.http import HttpRequest


def base_url(request: HttpRequest) -> str:
    """The site's absolute base URL as the client sees it (for links inside exported records)."""
    return request.build_absolute_uri("/").rstrip("/")


def client_address(request: HttpRequest) -> str:
    """The address the request came from, as the server saw it (REMOTE_ADDR; a deployment behind
    a proxy sets it from the proxy's header in the server, not here)."""
    return str(request.META.get("REMOTE_ADDR", ""))[:45]
