"""manage.py serve — everything the product serves, in one command, stopped cleanly by Ctrl-C.

Starts, as child processes: the web server (pages and the JSON API, uvicorn on 127.0.0.1:PORT),
the background worker (django-tasks' database worker) with the daily notices beside it
(`send_notices --daily-at TOSHOKAN_NOTICE_TIME`, 07:00 by default) and the SIP2 self-check server
(127.0.0.1:SIP2_PORT, 6001 by default). SIGINT or SIGTERM stops all children (SIGTERM,
then SIGKILL after a grace period); if one child dies, the others are stopped and the command exits
with an error, so a supervisor sees the failure.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

GRACE_SECONDS = 10


def default_web_workers() -> int:
    """WEB_CONCURRENCY if set, else one web process per core, at most 4 (SQLite serialises writes)."""
    return int(os.environ.get("WEB_CONCURRENCY", "0")) or min(4, os.cpu_count() or 1)


class Command(BaseCommand):
    help = "Serve the web pages and API, and run the background worker, until Ctrl-C."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--no-worker", action="store_true")
        parser.add_argument("--sip2-port", type=int, default=int(os.environ.get("SIP2_PORT", "6001")))
        parser.add_argument("--no-sip2", action="store_true")
        parser.add_argument(
            "--web-workers",
            type=int,
            default=default_web_workers(),
            help="web server processes (default: WEB_CONCURRENCY, else the cores, at most 4)",
        )

    def commands(
        self, host: str, port: int, worker: bool, web_workers: int = 1, sip2_port: int | None = None
    ) -> dict[str, list[str]]:
        py = sys.executable
        manage = str(settings.BASE_DIR / "manage.py")
        procs = {
            "web": [py, "-m", "uvicorn", "config.asgi:application", "--host", host, "--port", str(port),
                    "--no-access-log", "--timeout-graceful-shutdown", "5", "--workers", str(max(1, web_workers))],
        }  # fmt: skip
        if worker:
            procs["worker"] = [py, manage, "db_worker", "--interval", "1", "--no-reload"]
            # The daily notices (due soon, overdue, expired holds, registrations; docs/notices.md).
            notice_time = os.environ.get("TOSHOKAN_NOTICE_TIME", "07:00")
            procs["notices"] = [py, manage, "send_notices", "--daily-at", notice_time]
        if sip2_port is not None:
            procs["sip2"] = [py, manage, "sip2_server", "--host", host, "--port", str(sip2_port)]
        return procs

    def handle(self, *args: Any, **options: Any) -> None:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "config.settings.dev"),
        }
        children: dict[str, subprocess.Popen[bytes]] = {}
        stopping = False

        def stop(signum: int, frame: object) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        for name, cmd in self.commands(
            options["host"],
            options["port"],
            not options["no_worker"],
            options["web_workers"],
            None if options["no_sip2"] else options["sip2_port"],
        ).items():
            # Own process group: the terminal's Ctrl-C reaches us, and we stop the children in order.
            children[name] = subprocess.Popen(cmd, env=env, cwd=settings.BASE_DIR, start_new_session=True)
        url = f"http://{options['host']}:{options['port']}/"
        sip2 = "" if options["no_sip2"] else f", SIP2 on {options['host']}:{options['sip2_port']}"
        self.stdout.write(
            self.style.SUCCESS(f"toshokan is serving {url} (API {url}api/v1/docs{sip2}) — Ctrl-C stops it")
        )
        self.stdout.flush()
        failed = ""
        while not stopping:
            for name, child in children.items():
                if child.poll() is not None:
                    failed = f"{name} exited with code {child.returncode}"
                    stopping = True
                    break
            time.sleep(0.2)
        self.stdout.write("stopping…")
        for child in children.values():
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + GRACE_SECONDS
        for child in children.values():
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        if failed:
            self.stderr.write(f"stopped because {failed}")
            sys.exit(1)
        self.stdout.write("stopped")
