"""manage.py sip2_server — the SIP2 2.00 self-check server (docs/sip2.md), until SIGINT or SIGTERM.

`manage.py serve` (and so `make run`) starts it as one of its children on SIP2_PORT (6001).
Settings: TOSHOKAN_SIP2 in config/settings (encoding, login, default branch, idle timeout).
"""

from __future__ import annotations

import asyncio
import os
import signal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import connection

from toshokan.circulation.sip2.server import ServerConfig, Sip2Server
from toshokan.circulation.sip2.services_gateway import ServicesGateway


def server_config() -> ServerConfig:
    conf: dict[str, Any] = {**getattr(settings, "TOSHOKAN_SIP2", {})}
    names = getattr(settings, "TOSHOKAN_LIBRARY_NAME", {})
    # SQLite takes one writer at a time; PostgreSQL serves a few kiosks' transactions at once.
    workers = 1 if connection.vendor == "sqlite" else int(conf.get("WORKERS", 4))
    idle = float(conf.get("IDLE_TIMEOUT", 0) or 0)
    return ServerConfig(
        encoding=str(conf.get("ENCODING", "utf-8")),
        login_required=bool(conf.get("LOGIN_REQUIRED", True)),
        default_branch=str(conf.get("DEFAULT_BRANCH", "")),
        library_name=str(names.get("ja", "")) if isinstance(names, dict) else str(names),
        tz=ZoneInfo(settings.TIME_ZONE),
        workers=workers,
        idle_timeout=idle or None,
    )


class Command(BaseCommand):
    help = "Serve SIP2 2.00 to self-check machines until Ctrl-C (SIGINT) or SIGTERM."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default=os.environ.get("SIP2_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("SIP2_PORT", "6001")))

    def handle(self, *args: Any, **options: Any) -> None:
        config = server_config()
        "".encode(config.encoding)  # an unknown encoding fails here, not at the first kiosk
        asyncio.run(self.serve(options["host"], options["port"], config))
        self.stdout.write("SIP2 server stopped")

    async def serve(self, host: str, port: int, config: ServerConfig) -> None:
        server = Sip2Server(ServicesGateway(), config)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        address = await server.start(host, port)
        self.stdout.write(f"SIP2 server on {address[0]}:{address[1]} ({config.encoding}) — Ctrl-C stops it")
        self.stdout.flush()
        await stop.wait()
        await server.close()
