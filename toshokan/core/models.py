from __future__ import annotations

from django.conf import settings
from django.db import models


class DemoLoad(models.Model):
    """Which demo data step was loaded from which data (so `make run` loads it once, not twice)."""

    step = models.CharField(max_length=64, unique=True)
    fingerprint = models.CharField(max_length=64)
    loaded_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.step} ({self.fingerprint})"


class ApiToken(models.Model):
    """A staff member's key to the JSON API (`Authorization: Bearer <token>`).

    Only the token's SHA-256 is stored: the token itself is shown once, when it is made. A token
    is random (256 bits), so a fast hash is enough — a slow one would only slow every request.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField("用途", max_length=100)
    prefix = models.CharField(max_length=12, editable=False)  # tells tokens apart; not secret
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "APIトークン"
        verbose_name_plural = "APIトークン"

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
