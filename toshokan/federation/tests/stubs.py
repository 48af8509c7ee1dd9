"""Library systems on loopback for the engine's tests: real sockets, each misbehaving in its own way.

Raw asyncio servers on a background thread's event loop, so the check under test runs on its own
loop (or through check_sync) exactly as in production. Every server counts its requests and the
most it was serving at once.
"""

from __future__ import annotations

import asyncio
import json
import socket
import struct
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]


Behaviour = Callable[[Request, asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@dataclass
class Stub:
    port: int
    behaviour: Behaviour
    host: str = "127.0.0.1"
    requests: int = 0
    connections: int = 0
    busy: int = 0
    max_busy: int = 0
    log: list[Request] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"


def response(status: int, body: bytes, content_type: str = "application/json") -> bytes:
    reason = {200: "OK", 302: "Found", 500: "Internal Server Error"}.get(status, "X")
    head = f"HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
    return (head + "Connection: close\r\n\r\n").encode() + body


class Stubs:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.servers: list[asyncio.AbstractServer] = []
        self.busy = 0  # requests being served by all the servers together
        self.max_busy = 0
        self.tasks: set[asyncio.Task[Any]] = set()

    def add(self, behaviour: Behaviour, host: str = "127.0.0.1") -> Stub:
        return asyncio.run_coroutine_threadsafe(self._start(behaviour, host), self.loop).result(5)

    async def _start(self, behaviour: Behaviour, host: str) -> Stub:
        stub = Stub(0, behaviour, host)

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            self.tasks.add(asyncio.current_task())  # type: ignore[arg-type]
            stub.connections += 1
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, ConnectionError):
                writer.close()
                return
            method, target, _ = head.split(b"\r\n", 1)[0].decode().split(" ", 2)
            parts = urlsplit(target)
            request = Request(method, parts.path, parse_qs(parts.query))
            stub.requests += 1
            stub.log.append(request)
            stub.busy += 1
            stub.max_busy = max(stub.max_busy, stub.busy)
            self.busy += 1
            self.max_busy = max(self.max_busy, self.busy)
            try:
                await stub.behaviour(request, reader, writer)
            except (ConnectionError, asyncio.CancelledError):
                pass
            finally:
                stub.busy -= 1
                self.busy -= 1
                if not writer.is_closing():
                    writer.close()

        server = await asyncio.start_server(handle, host, 0)
        self.servers.append(server)
        stub.port = server.sockets[0].getsockname()[1]
        return stub

    def close(self) -> None:
        async def stop() -> None:
            for server in self.servers:
                server.close()
            for task in list(self.tasks):
                task.cancel()
            await asyncio.sleep(0)

        asyncio.run_coroutine_threadsafe(stop(), self.loop).result(5)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


# -- behaviours -----------------------------------------------------------------------------------------
def toshokan_api(
    holdings: dict[str, dict[str, str]], *, delay_s: float = 0.0, reserveurl: str = ""
) -> Behaviour:
    """Another toshokan's availability API: `holdings` is ISBN-13 → {libkey: status}."""

    async def behave(request: Request, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if delay_s:
            await asyncio.sleep(delay_s)
        isbns = [i for v in request.query.get("isbn", []) for i in v.split(",") if i]
        body = {
            "isbns": {
                i: {
                    "libkeys": holdings.get(i, {}),
                    "reserveurl": reserveurl.format(isbn=i) if i in holdings else "",
                }
                for i in isbns
            }
        }
        writer.write(response(200, json.dumps(body, ensure_ascii=False).encode()))
        await writer.drain()

    return behave


async def hang(request: Request, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await asyncio.sleep(3600)


async def reset(request: Request, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close sends RST
    writer.transport.abort()


async def error_500(request: Request, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(response(500, b'{"error": "database is down"}'))
    await writer.drain()


BROKEN_SRU = (
    b'<?xml version="1.0"?><searchRetrieveResponse xmlns="http://www.loc.gov/zing/srw/">'
    b"<version>1.2</version><numberOfRecords>1</numberOfRecords><records><record><recordData>"
    b'<record xmlns="http://www.loc.gov/MARC21/slim"><datafield tag="852"><subfield code="b">MAIN'
)


async def broken_xml(request: Request, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(response(200, BROKEN_SRU, "text/xml"))
    await writer.drain()


def huge(megabytes: int = 50, *, declare_length: bool = False) -> Behaviour:
    """A 200 with a body of `megabytes` MB, streamed (with or without a Content-Length)."""

    async def behave(request: Request, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        size = megabytes * 1024 * 1024
        length = f"Content-Length: {size}\r\n" if declare_length else ""
        writer.write(
            f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n{length}Connection: close\r\n\r\n".encode()
        )
        block = b"[" + b" " * (1024 * 1024 - 1)
        for _ in range(megabytes):
            writer.write(block)
            await writer.drain()

    return behave


async def drip(request: Request, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Headers at once, then the body one byte a second: no read ever waits long enough to time out."""
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n")
    await writer.drain()
    while True:
        writer.write(b" ")
        await writer.drain()
        await asyncio.sleep(1)


def redirect(to: str) -> Behaviour:
    async def behave(request: Request, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(f"HTTP/1.1 302 Found\r\nLocation: {to}\r\nContent-Length: 0\r\n\r\n".encode())
        await writer.drain()

    return behave


def flaky_then(behaviour: Behaviour, failures: int = 1) -> Behaviour:
    """Resets the first `failures` connections before answering a byte, then behaves."""
    state = {"left": failures}

    async def behave(request: Request, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if state["left"] > 0:
            state["left"] -= 1
            await reset(request, reader, writer)
            return
        await behaviour(request, reader, writer)

    return behave


class Switchable:
    """A behaviour that can be changed while the server runs (a library that goes down and comes back)."""

    def __init__(self, behaviour: Behaviour) -> None:
        self.behaviour = behaviour

    async def __call__(
        self, request: Request, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        await self.behaviour(request, reader, writer)
