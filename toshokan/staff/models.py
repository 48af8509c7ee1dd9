"""Models of toshokan.staff."""

from __future__ import annotations
