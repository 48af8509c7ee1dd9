"""A national deployment in miniature: checks run by two task-worker processes sharing Redis (and, as
one machine would run them, sharing the file-based cache under var/).

The web side (this test process, behind pytest-django's live server) has RUNNER = "tasks", the
django-tasks database backend and the "federation" cache on Redis. Two real `manage.py db_worker`
processes — as two machines would run them (docs/federation-deployment.md) — open the same test
database and the same Redis database, take the chunks of a check across seven systems (this
toshokan's own branches and six other toshokans on loopback, each a second slow), and write the
answers into Redis as they arrive, where `/calil/check` polling finds them.

Redis: 127.0.0.1:6379, database 7 (TOSHOKAN_TEST_REDIS_URL to choose another). Only the keys of
federation's check sessions and answer cache are removed, before and after. When no Redis answers
there, the test starts a redis-server of its own on a free port (Debian's redis-server, in the
test packages); it is skipped, saying why, only when neither is available.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from django.conf import settings as django_settings
from django.db import connection

from toshokan.federation.tests.calil_check.stubs import (
    KOKORO,
    SANSHIRO,
    StubToshokan,
    load_registry,
    local_catalogue,
    local_systems,
    remote,
)

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

REDIS_URL = os.environ.get("TOSHOKAN_TEST_REDIS_URL", "redis://127.0.0.1:6379/7")
OURS = ("*toshokan:fed:check:*", "*:fed:1:*")  # check sessions, and the engine's answer cache
ROOT = Path(django_settings.BASE_DIR)


def _forget_our_keys(client) -> None:
    for pattern in OURS:
        keys = list(client.scan_iter(match=pattern, count=1000))
        if keys:
            client.delete(*keys)


@pytest.fixture
def redis_url(tmp_path):
    """Redis at REDIS_URL; when nothing answers there, a redis-server of the test's own, if installed."""
    redis = pytest.importorskip("redis")
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
        yield REDIS_URL
        return
    except redis.exceptions.ConnectionError as error:
        unreachable = f"Redis is not reachable at {REDIS_URL} ({error})"
    server = shutil.which("redis-server")
    if server is None:
        pytest.skip(f"{unreachable} and redis-server is not installed (apt-get install redis-server)")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [
            server,
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        for _ in range(50):
            try:
                redis.Redis.from_url(url, socket_connect_timeout=1).ping()
                break
            except redis.exceptions.ConnectionError:
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture
def redis_db(redis_url):
    import redis

    client = redis.Redis.from_url(redis_url)
    _forget_our_keys(client)
    yield redis_url
    _forget_our_keys(client)


def _database_url() -> str:
    """The test database, as DATABASE_URL names it for another process."""
    conf = connection.settings_dict
    if conf["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{conf['NAME']}"
    user = conf.get("USER") or "postgres"
    password = f":{conf['PASSWORD']}" if conf.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{conf.get('HOST') or '127.0.0.1'}:{conf.get('PORT') or 5432}/{conf['NAME']}"


@pytest.fixture(params=["redis", "files"])
def tasks_deployment(request, settings, tmp_path):
    """This process as a web server of the deployment: tasks in the database, the "federation" cache
    in Redis (several machines) or in files under the shared var/ (one machine's web and workers).
    Returns the environment the workers need for the same cache."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    var = tmp_path / "var"
    if request.param == "redis":
        url = request.getfixturevalue("redis_db")
        cache = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
        env = {"TOSHOKAN_REDIS_URL": url, "TOSHOKAN_VAR_DIR": str(var)}
    else:
        cache = {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(var / "federation-cache"),
        }
        env = {"TOSHOKAN_REDIS_URL": "", "TOSHOKAN_VAR_DIR": str(var)}
    settings.CACHES = {**django_settings.CACHES, "federation": cache}
    settings.TOSHOKAN_FEDERATION = {
        **django_settings.TOSHOKAN_FEDERATION,
        "RUNNER": "tasks",
        "CHUNK_SYSTEMS": 1,
    }
    return env


@pytest.fixture
def workers(tasks_deployment, tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "DATABASE_URL": _database_url(),
        "DATABASE_POOL_SIZE": "0",
        "PYTHONUNBUFFERED": "1",
        **tasks_deployment,
    }
    procs = []
    for n in (1, 2):
        log = (tmp_path / f"worker-{n}.log").open("w")
        procs.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "manage.py",
                    "db_worker",
                    "--interval",
                    "0.1",
                    "--no-startup-delay",
                    "--worker-id",
                    f"scale-test-{n}",
                ],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
    yield procs
    for p in procs:
        p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout=15)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    logs = "\n".join((tmp_path / f"worker-{n}.log").read_text()[-2000:] for n in (1, 2))
    print(logs)


def test_two_worker_processes_share_a_check_and_every_answer_reaches_the_web_side(live_server, workers):
    from django_tasks_db.models import DBTaskResult

    local_catalogue()
    holdings = {
        f"Remote_{n}": {KOKORO: {"本館": "貸出可"}} if n % 2 else {SANSHIRO: {"本館": "貸出中"}}
        for n in range(1, 7)
    }
    stubs = [StubToshokan(h, delay_s=1.0) for h in holdings.values()]
    for s in stubs:
        s.__enter__()
    try:
        remotes = [
            remote(sid, stub, "本館", (139.7, 35.7)) for sid, stub in zip(holdings, stubs, strict=True)
        ]
        load_registry([*local_systems()[:1], *remotes], deadline_s=20)
        systemids = ["Tokyo_Demo", *holdings]

        first = requests.get(
            f"{live_server.url}/calil/check",
            params={"isbn": f"{KOKORO},{SANSHIRO}", "systemid": ",".join(systemids), "callback": "no"},
            timeout=10,
        ).json()
        assert first["continue"] == 1
        body = first
        ends = time.monotonic() + 40
        while body["continue"] == 1:
            assert time.monotonic() < ends, f"the check never finished: {body}"
            time.sleep(0.5)
            body = requests.get(
                f"{live_server.url}/calil/check",
                params={"session": first["session"], "callback": "no"},
                timeout=10,
            ).json()
    finally:
        for s in stubs:
            s.__exit__()

    books = body["books"]
    assert books[KOKORO]["Tokyo_Demo"] == {
        "status": "OK",
        "reserveurl": books[KOKORO]["Tokyo_Demo"]["reserveurl"],
        "libkey": {"中央": "貸出可", "北": "貸出中"},
    }
    assert books[SANSHIRO]["Tokyo_Demo"]["libkey"] == {"北": "貸出中"}
    for sid, held in holdings.items():
        for isbn in (KOKORO, SANSHIRO):
            assert books[isbn][sid]["status"] == "OK", (sid, isbn, books[isbn][sid])
            assert books[isbn][sid]["libkey"] == held.get(isbn, {}), (sid, isbn)
    assert all(len(s.requests) == 1 for s in stubs), "each library is asked once, by one worker"

    results = list(DBTaskResult.objects.filter(task_path__endswith="run_check_chunk"))
    assert len(results) == len(systemids)
    assert {r.status for r in results} == {"SUCCESSFUL"}
    pids = {r.return_value["pid"] for r in results}
    assert pids == {p.pid for p in workers}, "both worker processes took chunks of the check"
    assert os.getpid() not in pids
