"""The audit log's append-only triggers, taken off and put back by tests.

Tests that run in real transactions (live servers, concurrency) end with Django's `flush`, which
empties every table — the audit log too, which its triggers refuse. While the test database is
flushed, the triggers are taken off and put back afterwards, as a database owner could do (and
as the tamper tests do to show the hash chain finding it). The application has no such path.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.core.management.commands import flush
from django.db import connections

MIGRATION = importlib.import_module("toshokan.core.migrations.0003_audit_log")


@contextmanager
def suspended(connection: Any) -> Iterator[None]:
    vendor = connection.vendor
    drop = {"sqlite": MIGRATION.SQLITE_DROP, "postgresql": MIGRATION.POSTGRESQL_DROP}[vendor]
    create = {"sqlite": MIGRATION.SQLITE_TRIGGERS, "postgresql": MIGRATION.POSTGRESQL_TRIGGERS}[vendor]
    with connection.cursor() as cursor:
        for sql in drop:
            cursor.execute(sql)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for sql in create:
                cursor.execute(sql)


@pytest.fixture(autouse=True, scope="session")
def _audit_log_flushable() -> Iterator[None]:
    original = flush.Command.handle

    def handle(self: flush.Command, **options: Any) -> None:
        with suspended(connections[options.get("database") or "default"]):
            original(self, **options)

    flush.Command.handle = handle  # type: ignore[method-assign]
    yield
    flush.Command.handle = original  # type: ignore[method-assign]
