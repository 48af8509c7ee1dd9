"""Staff API tokens: made once and shown once, stored as a SHA-256 digest, revoked rather than deleted.

A token is `tsk_` and 43 URL-safe characters (32 random bytes). The prefix lets a leaked token be
recognised by secret scanners and in the admin. `last_used_at` is written at most once a minute per
token, so that authenticating a request does not turn every read into a write.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from .models import ApiToken

TOKEN_PREFIX = "tsk_"
TOUCH_INTERVAL = timedelta(minutes=1)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def create_api_token(*, user: Any, name: str) -> tuple[ApiToken, str]:
    """A new token for `user`: the row, and the token itself (the only time it is known)."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken.objects.create(
        user=user, name=name.strip() or "api", prefix=token[:12], digest=digest(token)
    )
    return row, token


@transaction.atomic
def revoke_api_token(*, token: ApiToken) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def user_for_token(token: str) -> AbstractBaseUser | None:
    """The active user a token belongs to, or None (unknown, revoked, or the user is inactive)."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    row = (
        ApiToken.objects.select_related("user").filter(digest=digest(token), revoked_at__isnull=True).first()
    )
    if row is None or not row.user.is_active:
        return None
    now = timezone.now()
    if row.last_used_at is None or now - row.last_used_at > TOUCH_INTERVAL:
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
    return row.user


def user_by_username(username: str) -> Any:
    User = get_user_model()
    return User.objects.get(**{User.USERNAME_FIELD: username})
