"""The tile fast path: grid tiles of public images answered at the ASGI layer, before Django.

A viewer panning a page asks for dozens of tiles a second, each of which is a file of the pyramid. The
Django view (toshokan.archive.iiif.views) answers them correctly but spends most of its time in the
middleware stack and the thread hop of a sync view; this ASGI wrapper answers the same requests with the
same bytes and headers without either — but only for an image the view has served to the public in the
last few seconds (TOSHOKAN_IIIF_FAST_TTL_S, default 5): the view records such an image here, and when
the record is older, or the image is not public, or the request is anything but a plain grid tile, the
request goes to Django as before. Unpublishing therefore reaches the fast path within the TTL (proxies
may keep a public tile for its max-age in any case).

It runs in the web process (config/asgi.py); the records are per process, nothing is shared.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .pyramid import Pyramid
from .request import BadRequest, Limits, NotImplementedFeature, resolve

Scope = MutableMapping[str, Any]
ASGIApp = Callable[..., Awaitable[None]]


@dataclass(frozen=True)
class Entry:
    pyramid: Pyramid
    sha256: str
    pyramid_path: str
    keep_metadata: bool
    last_modified: str
    cache_control: str
    limits: Limits
    public_base: str  # TOSHOKAN_PUBLIC_URL, or "" to build the service id from the request's Host
    profile: str
    expires: float


PUBLIC: dict[str, Entry] = {}


def remember(identifier: str, entry: Entry) -> None:
    if len(PUBLIC) > 10_000:
        PUBLIC.clear()
    PUBLIC[identifier] = entry


def forget(identifier: str) -> None:
    PUBLIC.pop(identifier, None)


class TileFastPath:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] in ("GET", "HEAD")
            and scope["path"].startswith("/iiif/3/")
        ):
            answer = self.answer(scope)
            if answer is not None:
                status, headers, body = answer
                await send({"type": "http.response.start", "status": status, "headers": headers})
                await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})
                return
        await self.app(scope, receive, send)

    def answer(self, scope: Scope) -> tuple[int, list[tuple[bytes, bytes]], bytes] | None:
        from .views import _canonical, _etag_of, _tile_file, service_base

        parts = scope["path"][len("/iiif/3/") :].split("/")
        if len(parts) != 5 or scope.get("query_string"):
            return None
        identifier = parts[0]  # the server has percent-decoded the path once already, as Django sees it
        entry = PUBLIC.get(identifier)
        if entry is None or entry.expires < time.monotonic():
            return None
        p = entry.pyramid
        try:
            wanted = resolve(
                region=parts[1], size=parts[2], rotation=parts[3], quality_format=parts[4],
                width=p.width, height=p.height, limits=entry.limits,
            )  # fmt: skip
        except (BadRequest, NotImplementedFeature):
            return None
        if entry.keep_metadata and wanted.region == (0, 0, p.width, p.height):
            return None
        tile = _tile_file(wanted, p)
        if tile is None:
            return None
        canonical = _canonical(wanted, p)
        etag = _etag_of(entry.sha256, entry.pyramid_path, canonical, str(entry.keep_metadata))
        headers = dict((k.decode("latin-1").lower(), v.decode("latin-1")) for k, v in scope["headers"])
        common = [
            (b"etag", etag.encode()),
            (b"last-modified", entry.last_modified.encode()),
            (b"cache-control", entry.cache_control.encode()),
            (b"access-control-allow-origin", b"*"),
        ]
        if_none_match = headers.get("if-none-match")
        if if_none_match is not None and (
            if_none_match.strip() == "*" or etag in [m.strip() for m in if_none_match.split(",")]
        ):
            return 304, common, b""
        try:
            body = Path(tile).read_bytes()
        except OSError:
            return None
        base = entry.public_base or f"{scope.get('scheme', 'http')}://{headers.get('host', 'localhost')}"
        service = service_base(base, identifier)
        link = f'<{entry.profile}>;rel="profile", <{service}/{canonical}>;rel="canonical"'
        return (
            200,
            [
                (b"content-type", b"image/jpeg"),
                (b"content-length", str(len(body)).encode()),
                (b"link", link.encode()),
                *common,
            ],
            body,
        )
