"""`manage.py sip2_server` as `serve` runs it: a process that answers on its port and stops cleanly
on SIGINT or SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

from toshokan.core.management.commands.serve import Command as Serve

from .fakes import raw_exchange


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, process: subprocess.Popen[str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"sip2_server exited early: {process.communicate()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    pytest.fail("sip2_server did not open its port")


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_the_command_serves_sip2_and_stops_cleanly_on_a_signal(tmp_path: Path, signum: int) -> None:
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "TOSHOKAN_VAR_DIR": str(tmp_path),  # an empty database: the status message needs none
        "SIP2_LOGIN_REQUIRED": "0",
    }
    env.pop("DATABASE_URL", None)
    process = subprocess.Popen(
        [sys.executable, str(settings.BASE_DIR / "manage.py"), "sip2_server", "--port", str(port)],
        env=env,
        cwd=settings.BASE_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for_port(port, process)
        (reply,) = raw_exchange(("127.0.0.1", port), b"9900802.00\r")
        assert reply.startswith(b"98YYYYNN") and b"BXYYYNYYYYYNYNNNYN|" in reply
        process.send_signal(signum)
        out, err = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err
    assert "SIP2 server stopped" in out


def test_serve_starts_the_sip2_server_on_its_port_unless_told_not_to() -> None:
    commands = Serve().commands("127.0.0.1", 8000, True, 1, 6001)
    assert commands["sip2"][-5:] == ["sip2_server", "--host", "127.0.0.1", "--port", "6001"]
    assert "sip2" not in Serve().commands("127.0.0.1", 8000, True, 1, None)
