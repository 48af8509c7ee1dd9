"""Models of toshokan.passkeys."""

from __future__ import annotations
