"""Types shared by every bounded context. No business rules live here."""

from __future__ import annotations


class DomainError(Exception):
    """A rule of the library was broken; `code` is stable for API clients, the message is for people."""

    code = "domain_error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code


class NotFound(DomainError):
    code = "not_found"


class Forbidden(DomainError):
    """The caller is known but may not do this (a patron at a staff endpoint, a role too low)."""

    code = "forbidden"
