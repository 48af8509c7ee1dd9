"""The `calil` connector: Calil's own API as the upstream, for systems only Calil reaches.

Calil's /check (https://calil.jp/doc/api_ref.html): `GET {endpoint}/check?appkey=&isbn=a,b&
systemid=&format=json&callback=no` answers `{"session", "continue", "books": {isbn: {systemid:
{"status", "reserveurl", "libkey": {libkey: status}}}}}`; while `continue` is 1 the client polls
with `session` (Calil asks for at least 2 seconds between polls) until it is 0. We stop polling in
time to answer before the check's deadline; ISBNs still Running upstream then answer Error.

The appkey is toshokan's own (settings.TOSHOKAN_CALIL_APPKEY), never a caller's. Options:
`systemid` (Calil's systemid, when ours differs), `poll_interval_s` (default and least 2: an
option can lengthen Calil's interval, never shorten it).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from django.conf import settings

from ..domain import holdings
from ..domain.availability import SystemAnswer, SystemStatus
from ..domain.registry import SystemSpec
from .base import FetchError, Http, ok, reserve_url

MIN_POLL_S = 2.0  # Calil's API reference: poll a session no more often than every two seconds


class NotConfigured(FetchError):
    """The connector cannot be used as configured; not the remote system's fault."""


def configured() -> bool:
    """Whether toshokan has its own Calil appkey, without which no calil system can be asked."""
    return bool(getattr(settings, "TOSHOKAN_CALIL_APPKEY", ""))


class CalilConnector:
    async def check(self, spec: SystemSpec, isbns: Sequence[str], http: Http) -> dict[str, SystemAnswer]:
        if not configured():
            raise NotConfigured("no upstream Calil appkey configured")
        appkey = str(settings.TOSHOKAN_CALIL_APPKEY)
        remote_id = str(spec.options.get("systemid") or spec.systemid)
        interval = max(MIN_POLL_S, float(spec.options.get("poll_interval_s", MIN_POLL_S)))
        url = spec.endpoint.rstrip("/") + "/check"
        common = [("appkey", appkey), ("format", "json"), ("callback", "no")]
        payload = await self._get(http, url, [*common, ("isbn", ",".join(isbns)), ("systemid", remote_id)])
        while payload.get("continue") == 1 and http.remaining() > interval + 0.5:
            await asyncio.sleep(interval)
            session = payload.get("session")
            if not isinstance(session, str) or not session:
                raise FetchError(f"Calil asked to continue without a session ({url})")
            payload = await self._get(http, url, [*common, ("session", session)])
        books = payload.get("books")
        if not isinstance(books, dict):
            raise FetchError(f"no 'books' in Calil's answer ({url})")
        return {isbn: self._answer(spec, isbn, books.get(isbn), remote_id) for isbn in isbns}

    async def _get(self, http: Http, url: str, params: list[tuple[str, str]]) -> dict[str, Any]:
        payload = (await http.get(url, params=params)).ok().json()
        if not isinstance(payload, dict):
            raise FetchError(f"Calil's answer is not an object ({url})")
        return payload

    def _answer(self, spec: SystemSpec, isbn: str, book: Any, remote_id: str) -> SystemAnswer:
        entry = book.get(remote_id) if isinstance(book, dict) else None
        if not isinstance(entry, dict):
            return SystemAnswer(SystemStatus.ERROR, error=f"Calil did not answer for {remote_id}")
        status = entry.get("status")
        if status == "Running":
            return SystemAnswer(SystemStatus.ERROR, error="upstream Calil did not finish in time")
        if status not in ("OK", "Cache"):
            return SystemAnswer(SystemStatus.ERROR, error=f"upstream Calil: {status}")
        libkeys: dict[Any, Any] = entry["libkey"] if isinstance(entry.get("libkey"), dict) else {}
        statuses = {str(k): s for k, v in libkeys.items() if (s := holdings.from_calil(v)) is not None}
        remote: str = entry["reserveurl"] if isinstance(entry.get("reserveurl"), str) else ""
        return ok(statuses, reserve_url(spec, isbn, remote))
