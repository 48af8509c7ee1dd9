"""An in-memory library behind the Gateway protocol, and a SIP2 server and client to test with.

The client is the PyPI `sip2` package (a port of the widely used PHP SIP2 class), an independent
implementation of the protocol. Three of its faults are worked around here (FACTS.md): it reads a
reply with one recv(4096), so `get_response` reads up to the CR instead; its TLS probe writes a
ClientHello into a plain port, so `tlsEnable` is off unless a test wants the probe; and its
`__del__` prints to stdout. Its fourth — checksums without leading zeros — is left alone, since
the server must accept what it sends.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from Sip2.sip2 import Sip2

from toshokan.circulation.sip2 import gateway as g
from toshokan.circulation.sip2.messages import CirculationStatus, PatronStatusFlag
from toshokan.circulation.sip2.server import ServerConfig, Sip2Server

NOW = datetime(2026, 11, 26, 1, 15, tzinfo=UTC)  # 10:15 in Tokyo


@dataclass
class FakeLibrary:
    """Staff, patrons, copies and loans in dicts; a lock makes each call atomic like a transaction."""

    staff: dict[str, str] = field(default_factory=lambda: {"kiosk": "kiosk-pass"})
    patrons: dict[str, tuple[str, str]] = field(default_factory=dict)  # card -> (pin, name)
    blocked: set[str] = field(default_factory=set)
    copies: dict[str, tuple[str, str]] = field(default_factory=dict)  # barcode -> (title, branch)
    loans: dict[str, tuple[str, datetime]] = field(default_factory=dict)  # barcode -> (card, due)
    closed_threads: set[str] = field(default_factory=set)
    fail_on: str = ""  # a barcode whose checkout raises, as a broken database would
    lock: threading.Lock = field(default_factory=threading.Lock)

    def login(self, user: str, password: str) -> bool:
        return self.staff.get(user) == password

    def _patron(self, card: str, pin: str | None) -> g.Patron:
        if card not in self.patrons:
            return g.Patron(card=card, valid=False, screen_message="この利用者番号は登録されていません")
        real_pin, name = self.patrons[card]
        flags = (
            frozenset({PatronStatusFlag.CHARGE_PRIVILEGES_DENIED}) if card in self.blocked else frozenset()
        )
        charged = tuple(sorted(b for b, (c, _) in self.loans.items() if c == card))
        overdue = tuple(b for b in charged if self.loans[b][1] < NOW)
        return g.Patron(
            card=card,
            valid=True,
            pin_ok=None if pin is None else pin == real_pin,
            name=name,
            flags=flags,
            email=f"{card}@example.jp",
            charged_limit=10,
            hold_limit=10,
            charged_items=charged,
            overdue_items=overdue,
        )

    def patron_status(self, card: str, pin: str | None) -> g.Patron:
        with self.lock:
            return self._patron(card, pin)

    def patron_information(
        self, card: str, pin: str | None, summary: g.Summary, *, terminal: g.Terminal | None = None
    ) -> g.Patron:
        with self.lock:
            return self._patron(card, pin)

    def item_information(self, barcode: str) -> g.Item:
        with self.lock:
            if barcode not in self.copies:
                return g.Item(barcode=barcode, found=False, screen_message="資料が見つかりません")
            title, branch = self.copies[barcode]
            loan = self.loans.get(barcode)
            return g.Item(
                barcode=barcode,
                found=True,
                title=title,
                status=CirculationStatus.CHARGED if loan else CirculationStatus.AVAILABLE,
                due=loan[1] if loan else None,
                permanent_location=branch,
                current_location=branch,
                media_type="001",
            )

    def checkout(
        self,
        card: str,
        pin: str | None,
        barcode: str,
        branch: str,
        *,
        terminal: g.Terminal,
        renew_if_borrowed: bool = False,
    ) -> g.Checkout:
        if barcode == self.fail_on:
            raise RuntimeError("database is down")
        with self.lock:
            refused = g.Checkout(ok=False, barcode=barcode, card=card)
            patron = self._patron(card, pin)
            if not patron.valid or patron.pin_ok is False:
                return replace(
                    refused, code="authentication_failed", screen_message="利用者番号か暗証番号が違います"
                )
            if card in self.blocked:
                return replace(refused, code="patron_blocked", screen_message="貸出停止中です")
            if barcode not in self.copies:
                return replace(refused, code="holding_not_found", screen_message="資料が見つかりません")
            title = self.copies[barcode][0]
            if barcode in self.loans:
                return replace(refused, title=title, code="on_loan", screen_message="貸出中の資料です")
            due = NOW + timedelta(days=14)
            self.loans[barcode] = (card, due)
            return g.Checkout(
                ok=True, barcode=barcode, card=card, title=title, due=due, screen_message="貸出しました"
            )

    def checkin(
        self, barcode: str, branch: str, return_date: datetime | None, *, terminal: g.Terminal
    ) -> g.Checkin:
        with self.lock:
            if barcode not in self.copies:
                return g.Checkin(ok=False, barcode=barcode, code="holding_not_found", alert=True)
            title, home = self.copies[barcode]
            if self.loans.pop(barcode, None) is None:
                return g.Checkin(
                    ok=False, barcode=barcode, title=title, permanent_location=home, code="not_on_loan"
                )
            transit = home != branch
            return g.Checkin(
                ok=True,
                barcode=barcode,
                title=title,
                permanent_location=home,
                alert=transit,
                sort_bin=home if transit else "",
                screen_message="返却しました",
            )

    def renew(self, card: str, pin: str | None, barcode: str, *, terminal: g.Terminal) -> g.Renewal:
        with self.lock:
            loan = self.loans.get(barcode)
            if loan is None or loan[0] != card:
                return g.Renewal(
                    ok=False,
                    barcode=barcode,
                    card=card,
                    code="not_on_loan",
                    screen_message="貸出中ではありません",
                )
            due = loan[1] + timedelta(days=14)
            self.loans[barcode] = (card, due)
            return g.Renewal(ok=True, barcode=barcode, card=card, title=self.copies[barcode][0], due=due)

    def close(self) -> None:
        self.closed_threads.add(threading.current_thread().name)


class RunningServer:
    """A Sip2Server on a loopback port, its event loop in a thread of its own."""

    def __init__(
        self, gateway: g.Gateway, config: ServerConfig, clock: Callable[[], datetime] | None
    ) -> None:
        self.server = Sip2Server(gateway, config, clock=clock)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="sip2-test-loop", daemon=True)
        self.thread.start()
        self.host, self.port = asyncio.run_coroutine_threadsafe(
            self.server.start("127.0.0.1", 0), self.loop
        ).result(10)

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.server.close(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


@contextmanager
def running(
    gateway: g.Gateway, config: ServerConfig | None = None, clock: Callable[[], datetime] | None = lambda: NOW
) -> Iterator[RunningServer]:
    """The server on a loopback port; its clock stands still at NOW unless given another (None: the
    real one)."""
    running_server = RunningServer(gateway, config or ServerConfig(), clock)
    try:
        yield running_server
    finally:
        running_server.stop()


class Client(Sip2):  # type: ignore[misc]  # the package has no type hints
    """The `sip2` client, pointed at a test server, with the workarounds above."""

    def __init__(
        self,
        server: RunningServer,
        *,
        encoding: str = "utf-8",
        tls: bool = False,
        institution: str = "central",
    ):
        super().__init__()
        self.hostName, self.hostPort = server.host, server.port
        self.hostEncoding = encoding
        self.tlsEnable = tls
        self.socketTimeout = 10
        self.institutionId = institution
        self.scLocation = "1F kiosk"
        # With a logger set, connect() does not create sip2.log in the working directory.
        self.log = logging.getLogger("sip2.client")

    def __del__(self) -> None:
        pass

    def get_response(self, request: str) -> str:
        sock: socket.socket = self._socket  # type: ignore[assignment]
        sock.settimeout(self.socketTimeout)
        sock.sendall(request.encode(self.hostEncoding))
        data = b""
        while not data.endswith(b"\r"):
            chunk = sock.recv(4096)
            if not chunk:
                raise ConnectionResetError("the ACS closed the connection")
            data += chunk
        self.last_request, self.last_response = request, data.decode(self.hostEncoding)
        return self.last_response

    def login(self, user: str = "kiosk", password: str = "kiosk-pass") -> dict[str, Any]:
        return self.sip_login_response(self.get_response(self.sip_login_request(user, password)))

    def close(self) -> None:
        try:
            self.disconnect()
        except OSError:
            self._socket = None


def raw_exchange(
    server: RunningServer | tuple[str, int], data: bytes, *, replies: int = 1, timeout: float = 5
) -> list[bytes]:
    """Send bytes on a fresh connection; return up to `replies` CR-terminated responses."""
    address = (server.host, server.port) if isinstance(server, RunningServer) else server
    with socket.create_connection(address, timeout=timeout) as sock:
        sock.sendall(data)
        buffer = b""
        while buffer.count(b"\r") < replies:
            chunk = sock.recv(4096)
            if not chunk:
                break
            buffer += chunk
    return [part + b"\r" for part in buffer.split(b"\r") if part]
