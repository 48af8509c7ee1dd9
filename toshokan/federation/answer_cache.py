"""The answer cache: a system's answer for an ISBN, reused for a while instead of asking again.

Calil answers repeated checks from its cache with status "Cache" (https://calil.jp/doc/api_ref.html);
so do we. Answers live in a Django cache alias (settings.TOSHOKAN_FEDERATION["CACHE_ALIAS"],
default "federation"): a file-based cache under var/ by default, which every web and worker process
on one machine shares, or Redis (TOSHOKAN_REDIS_URL) for several machines. Only OK answers are
stored: an Error is tried again next time. The TTL (CACHE_TTL_S, default 10 minutes) bounds how
stale a shelf status may be.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping

from django.conf import settings
from django.core.cache import BaseCache, caches

from .domain.availability import BranchStatus, SystemAnswer, SystemStatus

Key = tuple[str, str]  # (systemid, ISBN-13)
_VERSION = "1"  # bump when the stored shape changes


def _key(key: Key) -> str:
    # Cache keys must be ASCII-safe for memcached/Redis; systemids are ASCII in Calil's registry, but
    # an admin may type anything, so the systemid is JSON-escaped.
    return f"fed:{_VERSION}:{json.dumps(key[0])[1:-1]}:{key[1]}"


class AnswerCache:
    def __init__(self, alias: str | None = None, ttl_s: float | None = None) -> None:
        conf = getattr(settings, "TOSHOKAN_FEDERATION", {})
        self.alias = alias or conf.get("CACHE_ALIAS", "federation")
        self.ttl_s = float(ttl_s if ttl_s is not None else conf.get("CACHE_TTL_S", 600))

    @property
    def backend(self) -> BaseCache:
        return caches[self.alias]

    def get_many(self, keys: Iterable[Key]) -> dict[Key, SystemAnswer]:
        """The cached answers among `keys`, each with status Cache."""
        wanted = {_key(k): k for k in keys}
        if not wanted:
            return {}
        out: dict[Key, SystemAnswer] = {}
        for name, raw in self.backend.get_many(list(wanted)).items():
            try:
                libkeys = {str(k): BranchStatus(v) for k, v in raw["libkeys"].items()}
                out[wanted[name]] = SystemAnswer(SystemStatus.CACHE, libkeys, str(raw.get("reserveurl", "")))
            except (KeyError, TypeError, ValueError, AttributeError):
                continue  # an entry from another version: ask the system again
        return out

    def set_many(self, answers: Mapping[Key, SystemAnswer], ttl_s: float | None = None) -> None:
        """Store OK answers for the TTL (other statuses are not stored)."""
        data = {
            _key(k): {"libkeys": {lk: s.value for lk, s in a.libkeys.items()}, "reserveurl": a.reserveurl}
            for k, a in answers.items()
            if a.status in (SystemStatus.OK, SystemStatus.CACHE)
        }
        if data:
            self.backend.set_many(data, timeout=self.ttl_s if ttl_s is None else ttl_s)

    def clear(self) -> None:
        self.backend.clear()
