"""Small helpers for HTTP interfaces shared by several apps."""

from __future__ import annotations

from django.http import HttpRequest


def base_url(request: HttpRequest) -> str:
    """The site's absolute base URL as the client sees it (for links inside exported records)."""
    return request.build_absolute_uri("/").rstrip("/")
