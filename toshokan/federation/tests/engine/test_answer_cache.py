"""The answer cache over each backend a deployment uses: Redis (several machines), files (one machine)."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from django.core.cache import caches

from toshokan.federation import answer_cache
from toshokan.federation.answer_cache import AnswerCache
from toshokan.federation.domain.availability import BranchStatus, SystemAnswer, SystemStatus

NEKO = "9784003101018"
REDIS_URL = os.environ.get("TOSHOKAN_TEST_REDIS_URL", "redis://127.0.0.1:6379/7")
ANSWER = SystemAnswer(
    SystemStatus.OK, {"中央": BranchStatus.AVAILABLE, "東": BranchStatus.ON_LOAN}, "https://a/1"
)


def redis_up() -> bool:
    import socket

    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
        return True
    except OSError:
        return False


@pytest.fixture
def redis_cache(settings):
    """A Redis-backed answer cache under a prefix of its own; only its own keys are removed after
    (never FLUSHDB: other tests share the server)."""
    if not redis_up():
        pytest.skip("no Redis on 127.0.0.1:6379")
    settings.CACHES = {
        **settings.CACHES,
        "fed-redis": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL,
                      "KEY_PREFIX": f"toshokan-answer-cache-test-{time.monotonic_ns()}"},
    }  # fmt: skip
    yield AnswerCache("fed-redis", ttl_s=60)
    caches["fed-redis"].delete_many(
        [answer_cache._key((sid, NEKO)) for sid in ("Tokyo_Demo", "Osaka", "Down")]
    )


@pytest.fixture
def file_cache(settings, tmp_path):
    settings.CACHES = {
        **settings.CACHES,
        "fed-files": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(tmp_path),
        },
    }
    return AnswerCache("fed-files", ttl_s=60)


def test_an_answer_stored_in_redis_comes_back_as_cache_with_its_branches_and_reserve_url(redis_cache):
    redis_cache.set_many({("Tokyo_Demo", NEKO): ANSWER, ("Osaka", NEKO): SystemAnswer(SystemStatus.OK)})
    found = redis_cache.get_many([("Tokyo_Demo", NEKO), ("Osaka", NEKO), ("Kyoto", NEKO)])
    assert found == {
        ("Tokyo_Demo", NEKO): SystemAnswer(SystemStatus.CACHE, ANSWER.libkeys, "https://a/1"),
        ("Osaka", NEKO): SystemAnswer(SystemStatus.CACHE),
    }


def test_errors_are_never_stored_and_answers_expire_after_their_ttl(redis_cache):
    redis_cache.set_many({("Down", NEKO): SystemAnswer(SystemStatus.ERROR, error="HTTP 500")})
    redis_cache.set_many({("Tokyo_Demo", NEKO): ANSWER}, ttl_s=1)
    assert list(redis_cache.get_many([("Down", NEKO), ("Tokyo_Demo", NEKO)])) == [("Tokyo_Demo", NEKO)]
    time.sleep(1.2)
    assert redis_cache.get_many([("Tokyo_Demo", NEKO)]) == {}


def test_another_process_on_the_machine_reads_what_one_process_cached_in_files(file_cache, tmp_path):
    file_cache.set_many({("Tokyo_Demo", NEKO): ANSWER})
    script = f"""
import django
from django.conf import settings
settings.configure(CACHES={{"default": {{"BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                                          "LOCATION": {str(tmp_path)!r}}}}})
django.setup()
from toshokan.federation import answer_cache
from toshokan.federation.answer_cache import AnswerCache
found = AnswerCache("default").get_many([("Tokyo_Demo", {NEKO!r})])
print(found[("Tokyo_Demo", {NEKO!r})])
"""
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    assert "status=<SystemStatus.CACHE: 'Cache'>" in out.stdout
    assert "'中央': <BranchStatus.AVAILABLE: '貸出可'>" in out.stdout


def test_an_entry_in_another_shape_is_asked_again_not_trusted(file_cache):
    caches["fed-files"].set(answer_cache._key(("Tokyo_Demo", NEKO)), {"libkeys": {"中央": "open"}})
    assert file_cache.get_many([("Tokyo_Demo", NEKO)]) == {}
