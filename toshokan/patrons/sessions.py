"""The patron's login session: separate from staff logins (django.contrib.auth), shared by the
pages and the JSON API.

The session holds the patron's id and a keyed hash of their PIN hash, as Django does for staff
passwords: a PIN change ends every other session of that patron, since their hash no longer
matches. The session key and the CSRF token are rotated at login (no session fixation) and the session key
at logout. Logging out a
patron leaves a staff login in the same browser alone.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.middleware.csrf import rotate_token
from django.utils.crypto import constant_time_compare, salted_hmac

from .models import Patron

SESSION_KEY = "toshokan_patron_id"
HASH_KEY = "toshokan_patron_hash"
_CACHE_ATTR = "_toshokan_patron"


def _hash(patron: Patron) -> str:
    return salted_hmac("toshokan.patrons.session", patron.pin_hash, algorithm="sha256").hexdigest()


def start(request: HttpRequest, patron: Patron, *, remember: bool = False) -> None:
    """Log `patron` in on this browser. Without `remember` the session ends with the browser
    (a shared terminal); with it, it lasts SESSION_COOKIE_AGE (one's own phone)."""
    request.session.cycle_key()
    rotate_token(request)  # as django.contrib.auth.login does: no CSRF token from before the login
    request.session[SESSION_KEY] = patron.pk
    request.session[HASH_KEY] = _hash(patron)
    request.session.set_expiry(None if remember else 0)
    setattr(request, _CACHE_ATTR, patron)


def refresh(request: HttpRequest, patron: Patron) -> None:
    """Keep this session after the patron changed their PIN here (others end)."""
    if request.session.get(SESSION_KEY) == patron.pk:
        request.session.cycle_key()
        request.session[HASH_KEY] = _hash(patron)
        setattr(request, _CACHE_ATTR, patron)


def end(request: HttpRequest) -> None:
    had = SESSION_KEY in request.session
    request.session.pop(SESSION_KEY, None)
    request.session.pop(HASH_KEY, None)
    if had:
        request.session.cycle_key()
    setattr(request, _CACHE_ATTR, None)


def current_patron(request: HttpRequest) -> Patron | None:
    """The patron logged in on this request, or None. No query unless a patron session exists."""
    if hasattr(request, _CACHE_ATTR):
        return getattr(request, _CACHE_ATTR)  # type: ignore[no-any-return]
    patron: Patron | None = None
    session = getattr(request, "session", None)
    pk = session.get(SESSION_KEY) if session is not None else None
    if pk is not None:
        found = Patron.objects.select_related("home_branch").filter(pk=pk).first()
        if found is not None and constant_time_compare(session.get(HASH_KEY, ""), _hash(found)):  # type: ignore[union-attr]
            patron = found
        else:
            session.pop(SESSION_KEY, None)  # type: ignore[union-attr]
            session.pop(HASH_KEY, None)  # type: ignore[union-attr]
    setattr(request, _CACHE_ATTR, patron)
    return patron
