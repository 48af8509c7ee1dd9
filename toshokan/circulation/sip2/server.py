"""The SIP2 2.00 server (the "ACS" in the spec's words): one asyncio session per TCP connection.

Each message a self-check (the "SC") sends gets one response, in order. Messages end with CR; LF
and CRLF are tolerated, since some kiosks and terminal emulators send them. When the SC uses error
detection (it sends AY/AZ), responses carry the same sequence number and a checksum, a message with
a bad checksum is answered with 96 (Request SC Resend), and 97 (Request ACS Resend) repeats the last
response.

Before a kiosk may do anything but ask for the ACS status it logs in (93) with a staff account,
unless the configuration says otherwise; three failed logins close the connection. The library is
reached through a Gateway (gateway.py), whose blocking calls run in a thread pool, never on the event
loop. Messages this server does not support (fee paid, hold, block patron, ...) are logged and not
answered: the ACS Status message's BX field tells the kiosk which ones are supported.

Privacy: the Checkin Response leaves out the patron identifier (AA) of the loan that ended, and
Patron Information gives the e-mail address only when the PIN was checked, since what a patron
borrowed is theirs alone (図書館の自由に関する宣言 第3).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from . import messages as m
from .gateway import Gateway, Summary, Terminal
from .messages import Message, Sip2Error

log = logging.getLogger("toshokan.sip2")

T = TypeVar("T")

SUPPORTED = frozenset({"93", "99", "97", "23", "63", "11", "09", "29", "17", "35"})
TLS_HANDSHAKE = 0x16  # first byte of a TLS ClientHello: a client probing for TLS on a plain port
MAX_FAILED_LOGINS = 3
MAX_RESEND_REQUESTS = 5  # consecutive 96s before we give up on a garbled line


@dataclass(frozen=True)
class ServerConfig:
    encoding: str = "utf-8"
    login_required: bool = True
    default_branch: str = ""  # used when a kiosk sends an empty institution id (AO)
    library_name: str = ""
    tz: tzinfo = field(default_factory=lambda: ZoneInfo("Asia/Tokyo"))
    workers: int = 4  # threads running Gateway calls; 1 on SQLite, which serialises writes anyway
    idle_timeout: float | None = None  # seconds without a message before the ACS hangs up
    max_line_bytes: int = 16_384
    max_items: int = 50  # items listed in one Patron Information response when BQ is absent
    timeout_period: str = "030"  # 98: tenths of a second the SC should wait for us
    retries_allowed: str = "003"
    screen_message: str = ""  # 98: AF, e.g. a notice shown on every kiosk


@dataclass
class Session:
    peer: str
    terminal: Terminal = field(default_factory=Terminal)
    logged_in: bool = False
    failed_logins: int = 0
    resend_requests: int = 0
    last_request: bytes = b""
    last_response: bytes = b""
    institution: str = ""  # the last AO the SC sent
    busy: bool = False  # a message is being answered


class Sip2Server:
    def __init__(
        self,
        gateway: Gateway,
        config: ServerConfig | None = None,
        *,
        clock: Callable[[], datetime] | None = None,
    ):
        self.gateway = gateway
        self.config = config or ServerConfig()
        self.clock = clock or (lambda: datetime.now(UTC))
        self._executor = ThreadPoolExecutor(
            max_workers=max(1, self.config.workers), thread_name_prefix="sip2"
        )
        self._server: asyncio.base_events.Server | None = None
        self._sessions: dict[asyncio.Task[None], Session] = {}
        self._stopping = False

    # --- lifecycle --------------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 6001) -> tuple[str, int]:
        self._server = await asyncio.start_server(self._connection, host, port, reuse_address=True)
        address = self._server.sockets[0].getsockname()
        log.info("SIP2 server listening on %s:%s (encoding %s)", address[0], address[1], self.config.encoding)
        return address[0], address[1]

    async def close(self, grace: float = 5.0) -> None:
        """Stop accepting, let each session finish the message in hand, then release the threads'
        database connections."""
        self._stopping = True
        if self._server is not None:
            self._server.close()
        # Sessions waiting for a message end now; one answering a message (a checkout's
        # transaction may be under way) sends its response first, within the grace period.
        for task, session in list(self._sessions.items()):
            if not session.busy:
                task.cancel()
        busy = list(self._sessions)
        if busy:
            _, late = await asyncio.wait(busy, timeout=grace)
            for task in late:
                task.cancel()
            if late:
                await asyncio.wait(late, timeout=1)
        if self._server is not None:
            await self._server.wait_closed()
        await asyncio.get_running_loop().run_in_executor(None, self._release_threads)

    def _release_threads(self) -> None:
        # Run gateway.close() once in every worker thread: a barrier keeps each thread busy until
        # all have taken one, so none takes two.
        workers = max(1, self.config.workers)
        barrier = threading.Barrier(workers)

        def release() -> None:
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.wait(timeout=5)
            self.gateway.close()

        for future in [self._executor.submit(release) for _ in range(workers)]:
            future.result()
        self._executor.shutdown(wait=True)

    async def _call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, lambda: fn(*args, **kwargs))

    # --- one connection ---------------------------------------------------------------------------

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        peer = writer.get_extra_info("peername")
        session = Session(peer=f"{peer[0]}:{peer[1]}" if peer else "?")
        self._sessions[task] = session
        try:
            await self._session(session, reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        except TimeoutError:
            log.info("SIP2 %s: idle for %ss, closing", session.peer, self.config.idle_timeout)
        except asyncio.CancelledError:
            pass  # the server is stopping
        except Exception:
            log.exception("SIP2 session %s failed", session.peer)
        finally:
            self._sessions.pop(task, None)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _session(
        self, session: Session, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        buffer = b""
        first = True
        while True:
            # A line ends at CR or LF; an empty "line" between CR and LF is skipped.
            cut = min((i for i in (buffer.find(b"\r"), buffer.find(b"\n")) if i >= 0), default=-1)
            if cut < 0:
                if len(buffer) > self.config.max_line_bytes:
                    log.warning(
                        "SIP2 %s: line longer than %d bytes, closing",
                        session.peer,
                        self.config.max_line_bytes,
                    )
                    return
                read = reader.read(4096)
                chunk = await (
                    asyncio.wait_for(read, self.config.idle_timeout) if self.config.idle_timeout else read
                )
                if not chunk:
                    return
                if first and chunk[0] == TLS_HANDSHAKE:
                    # Closing at once lets such a client fall back to plain SIP2 rather than wait.
                    log.info("SIP2 %s: TLS handshake on the plain port, closing", session.peer)
                    return
                first = False
                buffer += chunk
                continue
            line, buffer = buffer[:cut], buffer[cut + 1 :]
            if not line.strip():
                continue
            session.busy = True
            try:
                response, keep_open = await self.respond(session, line)
                if response is not None:
                    writer.write(response)
                    await writer.drain()
            finally:
                session.busy = False
            if not keep_open or self._stopping:
                return

    # --- messages ---------------------------------------------------------------------------------

    async def respond(self, session: Session, line: bytes) -> tuple[bytes | None, bool]:
        """The bytes to send back for one message (None: no answer) and whether to keep the session."""
        enc = self.config.encoding
        try:
            request = m.decode(line, encoding=enc)
        except m.ChecksumMismatch as exc:
            return self._resend_request(session, str(exc))
        except Sip2Error as exc:
            return self._resend_request(session, str(exc))
        session.resend_requests = 0
        detect = request.checksum is not None
        if request.sequence is not None and line == session.last_request and session.last_response:
            # The same message with the same sequence number: the SC did not get our answer and
            # sent it again. Answer again rather than act twice (a second checkout of the copy
            # just lent would be refused as already borrowed).
            log.info(
                "SIP2 %s: %s repeated (sequence %s), answered again",
                session.peer,
                request.name,
                request.sequence,
            )
            return session.last_response, True
        if request.command == "97":
            if not session.last_response:
                log.info("SIP2 %s: resend asked before any response", session.peer)
                return None, True
            return session.last_response, True
        if request.command not in SUPPORTED:
            log.warning("SIP2 %s: %s is not supported, not answered", session.peer, request.name)
            return None, True
        if request.command not in ("93", "99") and self.config.login_required and not session.logged_in:
            log.warning("SIP2 %s: %s before login, closing", session.peer, request.name)
            return None, False
        if request.get("AO"):
            session.institution = request.get("AO")
        handler = getattr(self, f"_on_{request.command}")
        try:
            reply: Message = await handler(session, request)
        except Exception:
            log.exception("SIP2 %s: %s failed", session.peer, request.name)
            reply = self._failure(session, request)
        keep_open = True
        if request.command == "93" and not session.logged_in and session.failed_logins >= MAX_FAILED_LOGINS:
            keep_open = False
        data = m.encode(reply, encoding=enc, sequence=request.sequence, error_detection=detect)
        session.last_request, session.last_response = line, data
        return data, keep_open

    def _resend_request(self, session: Session, reason: str) -> tuple[bytes | None, bool]:
        session.resend_requests += 1
        log.info("SIP2 %s: %s; asking for a resend", session.peer, reason)
        if session.resend_requests > MAX_RESEND_REQUESTS:
            return None, False
        return m.encode(Message("96"), error_detection=True), True

    def _now(self) -> str:
        return m.format_date(self.clock(), self.config.tz)

    def _date(self, moment: datetime | None) -> str:
        return m.format_date(moment, self.config.tz) if moment else ""

    def _branch(self, session: Session, request: Message) -> str:
        return request.get("AO") or session.institution or self.config.default_branch

    @staticmethod
    def _pin(request: Message) -> str | None:
        # A kiosk that does not ask for PINs sends no AD, or an empty one.
        return request.get("AD") or None

    @staticmethod
    def _optional(*pairs: tuple[str, str | None]) -> list[tuple[str, str]]:
        return [(fid, value) for fid, value in pairs if value]

    def _failure(self, session: Session, request: Message) -> Message:
        """A refusal in the request's own response form, when the library could not answer."""
        text = "システムエラーです。係員にお知らせください (system error)"
        now = self._now()
        ao = ("AO", self._branch(session, request))
        match request.command:
            case "93":
                return Message("94", {"ok": "0"})
            case "23" | "63":
                fixed = {
                    "patron_status": m.patron_status_field(m.PatronStatusFlag),
                    "language": "000",
                    "transaction_date": now,
                }
                if request.command == "63":
                    fixed |= {f"{k}_count": "0000" for k in ("hold_items", "overdue_items", "charged_items", "fine_items", "recall_items", "unavailable_holds")}  # fmt: skip
                return Message(
                    "24" if request.command == "23" else "64",
                    fixed,
                    [ao, ("AA", request.get("AA")), ("AE", ""), ("BL", "N"), ("AF", text)],
                )
            case "11" | "29":
                fixed = {
                    "ok": "0",
                    "renewal_ok": "N",
                    "magnetic_media": "U",
                    "desensitize": "N",
                    "transaction_date": now,
                }
                return Message(
                    "12" if request.command == "11" else "30",
                    fixed,
                    [
                        ao,
                        ("AA", request.get("AA")),
                        ("AB", request.get("AB")),
                        ("AJ", ""),
                        ("AH", ""),
                        ("AF", text),
                    ],
                )
            case "09":
                fixed = {
                    "ok": "0",
                    "resensitize": "N",
                    "magnetic_media": "U",
                    "alert": "Y",
                    "transaction_date": now,
                }
                return Message("10", fixed, [ao, ("AB", request.get("AB")), ("AQ", ""), ("AF", text)])
            case "17":
                fixed = {
                    "circulation_status": "01",
                    "security_marker": "00",
                    "fee_type": "01",
                    "transaction_date": now,
                }
                return Message("18", fixed, [("AB", request.get("AB")), ("AJ", ""), ("AF", text)])
            case "35":
                return Message(
                    "36", {"end_session": "N", "transaction_date": now}, [ao, ("AA", request.get("AA"))]
                )
            case _:  # 99
                return self._status(session)

    # Login (93) -> Login Response (94)
    async def _on_93(self, session: Session, request: Message) -> Message:
        user, password = request.get("CN"), request.get("CO")
        ok = bool(user) and await self._call(self.gateway.login, user, password)
        if ok:
            session.logged_in = True
            session.failed_logins = 0
            session.terminal = Terminal(user=user, location=request.get("CP"))
            log.info("SIP2 %s: logged in as %s at %s", session.peer, user, request.get("CP") or "-")
        else:
            session.failed_logins += 1
            log.warning("SIP2 %s: login refused for %r", session.peer, user)
        return Message("94", {"ok": m.ok_digit(ok)})

    # SC Status (99) -> ACS Status (98)
    async def _on_99(self, session: Session, request: Message) -> Message:
        return self._status(session)

    def _status(self, session: Session) -> Message:
        fixed = {
            "online_status": "Y",
            "checkin_ok": "Y",
            "checkout_ok": "Y",
            "acs_renewal_policy": "Y",
            "status_update_ok": "N",
            "offline_ok": "N",
            "timeout_period": self.config.timeout_period,
            "retries_allowed": self.config.retries_allowed,
            "date_time_sync": self._now(),
            "protocol_version": "2.00",
        }
        fields = [
            ("AO", session.institution or self.config.default_branch),
            ("AM", self.config.library_name),
            ("BX", m.supported_messages_field(SUPPORTED)),
            ("AN", session.terminal.location),
        ]
        return Message(
            "98",
            fixed,
            [f for f in fields if f[1] or f[0] in ("AO", "BX")]
            + self._optional(("AF", self.config.screen_message)),
        )

    # Patron Status Request (23) -> Patron Status Response (24)
    async def _on_23(self, session: Session, request: Message) -> Message:
        patron = await self._call(self.gateway.patron_status, request.get("AA"), self._pin(request))
        fixed = {
            "patron_status": m.patron_status_field(patron.flags),
            "language": request.fixed.get("language", "000"),
            "transaction_date": self._now(),
        }
        fields = [
            ("AO", self._branch(session, request)),
            ("AA", patron.card),
            ("AE", patron.name),
            ("BL", m.yn(patron.valid)),
        ]
        if patron.pin_ok is not None:
            fields.append(("CQ", m.yn(patron.pin_ok)))
        return Message("24", fixed, fields + self._optional(("AF", patron.screen_message)))

    # Patron Information (63) -> Patron Information Response (64)
    async def _on_63(self, session: Session, request: Message) -> Message:
        summary = Summary.from_field(request.fixed.get("summary", ""), request.get("BP"), request.get("BQ"))
        patron = await self._call(
            self.gateway.patron_information,
            request.get("AA"),
            self._pin(request),
            summary,
            terminal=session.terminal,
        )
        fixed = {
            "patron_status": m.patron_status_field(patron.flags),
            "language": request.fixed.get("language", "000"),
            "transaction_date": self._now(),
            "hold_items_count": f"{min(len(patron.hold_items), 9999):04d}",
            "overdue_items_count": f"{min(len(patron.overdue_items), 9999):04d}",
            "charged_items_count": f"{min(len(patron.charged_items), 9999):04d}",
            "fine_items_count": "0000",  # Japanese public libraries charge no fines
            "recall_items_count": "0000",
            "unavailable_holds_count": f"{min(len(patron.unavailable_hold_items), 9999):04d}",
        }
        fields: list[tuple[str, str]] = [
            ("AO", self._branch(session, request)),
            ("AA", patron.card),
            ("AE", patron.name),
        ]
        if patron.hold_limit is not None:
            fields.append(("BZ", f"{min(patron.hold_limit, 9999):04d}"))
        if patron.charged_limit is not None:
            fields.append(("CB", f"{min(patron.charged_limit, 9999):04d}"))
        fields.append(("BL", m.yn(patron.valid)))
        if patron.pin_ok is not None:
            fields.append(("CQ", m.yn(patron.pin_ok)))
        start = max(1, summary.start)
        end = summary.end if summary.end >= start else start + self.config.max_items - 1
        for wanted, fid, items in (
            (summary.holds, "AS", patron.hold_items),
            (summary.overdue, "AT", patron.overdue_items),
            (summary.charged, "AU", patron.charged_items),
            (summary.unavailable_holds, "CD", patron.unavailable_hold_items),
        ):
            if wanted:
                fields.extend((fid, item) for item in items[start - 1 : end])
        if patron.pin_ok:
            fields.extend(self._optional(("BE", patron.email)))
        return Message("64", fixed, fields + self._optional(("AF", patron.screen_message)))

    # Checkout (11) -> Checkout Response (12)
    async def _on_11(self, session: Session, request: Message) -> Message:
        branch = self._branch(session, request)
        result = await self._call(
            self.gateway.checkout,
            request.get("AA"),
            self._pin(request),
            request.get("AB"),
            branch,
            terminal=session.terminal,
            renew_if_borrowed=request.fixed.get("sc_renewal_policy") == "Y",
        )
        log.info(
            "SIP2 %s: checkout %s at %s: %s",
            session.peer,
            request.get("AB"),
            branch,
            result.code or ("ok" if result.ok else "refused"),
        )
        fixed = {
            "ok": m.ok_digit(result.ok),
            "renewal_ok": m.yn(result.renewal_ok),
            "magnetic_media": "U",
            "desensitize": m.yn(result.ok),
            "transaction_date": self._now(),
        }
        fields = [
            ("AO", branch),
            ("AA", result.card),
            ("AB", result.barcode),
            ("AJ", result.title),
            ("AH", self._date(result.due)),
        ]
        return Message("12", fixed, fields + self._optional(("AF", result.screen_message)))

    # Checkin (09) -> Checkin Response (10)
    async def _on_09(self, session: Session, request: Message) -> Message:
        branch = self._branch(session, request)
        try:
            returned = m.parse_date(request.fixed.get("return_date", ""), self.config.tz)
        except Sip2Error:
            returned = None
        result = await self._call(
            self.gateway.checkin, request.get("AB"), branch, returned, terminal=session.terminal
        )
        log.info(
            "SIP2 %s: checkin %s at %s: %s",
            session.peer,
            request.get("AB"),
            branch,
            result.code or ("ok" if result.ok else "refused"),
        )
        fixed = {
            "ok": m.ok_digit(result.ok),
            "resensitize": m.yn(result.ok),
            "magnetic_media": "U",
            "alert": m.yn(result.alert),
            "transaction_date": self._now(),
        }
        fields = [
            ("AO", branch),
            ("AB", result.barcode),
            ("AQ", result.permanent_location),
            ("AJ", result.title),
        ]
        fields += self._optional(("CL", result.sort_bin), ("AF", result.screen_message))
        return Message("10", fixed, fields)

    # Renew (29) -> Renew Response (30)
    async def _on_29(self, session: Session, request: Message) -> Message:
        result = await self._call(
            self.gateway.renew,
            request.get("AA"),
            self._pin(request),
            request.get("AB"),
            terminal=session.terminal,
        )
        log.info(
            "SIP2 %s: renew %s: %s",
            session.peer,
            request.get("AB"),
            result.code or ("ok" if result.ok else "refused"),
        )
        fixed = {
            "ok": m.ok_digit(result.ok),
            "renewal_ok": m.yn(result.ok),
            "magnetic_media": "U",
            "desensitize": m.yn(result.ok),
            "transaction_date": self._now(),
        }
        fields = [
            ("AO", self._branch(session, request)),
            ("AA", result.card),
            ("AB", result.barcode),
            ("AJ", result.title),
            ("AH", self._date(result.due)),
        ]
        return Message("30", fixed, fields + self._optional(("AF", result.screen_message)))

    # Item Information (17) -> Item Information Response (18)
    async def _on_17(self, session: Session, request: Message) -> Message:
        item = await self._call(self.gateway.item_information, request.get("AB"))
        fixed = {
            "circulation_status": item.status.value,
            "security_marker": "00",
            "fee_type": "01",
            "transaction_date": self._now(),
        }
        fields: list[tuple[str, str]] = []
        if item.hold_queue_length:
            fields.append(("CF", str(item.hold_queue_length)))
        fields += self._optional(("AH", self._date(item.due)))
        fields += [("AB", item.barcode), ("AJ", item.title)]
        if item.found:
            fields.append(("CK", item.media_type))
        fields += self._optional(
            ("AQ", item.permanent_location), ("AP", item.current_location), ("AF", item.screen_message)
        )
        return Message("18", fixed, fields)

    # End Patron Session (35) -> End Session Response (36)
    async def _on_35(self, session: Session, request: Message) -> Message:
        # Nothing is held per patron between messages, so there is nothing to release.
        fields = [("AO", self._branch(session, request)), ("AA", request.get("AA"))]
        return Message("36", {"end_session": "Y", "transaction_date": self._now()}, fields)
