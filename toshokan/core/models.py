from __future__ import annotations

from django.db import models


class DemoLoad(models.Model):
    """Which demo data step was loaded from which data (so `make run` loads it once, not twice)."""

    step = models.CharField(max_length=64, unique=True)
    fingerprint = models.CharField(max_length=64)
    loaded_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.step} ({self.fingerprint})"
