"""Models of toshokan.identity."""

from __future__ import annotations
