"""Fixtures shared by every app's tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings

from toshokan.search.engine import reset_backend

# A real SMTP server on loopback (aiosmtpd) for every test that sends e-mail: `smtp_server`, `smtp_down`.
pytest_plugins = [
    "toshokan.notices.tests.smtp",
    # Transactional tests' flush takes the audit log's append-only triggers off and back on.
    "toshokan.core.tests.audit_triggers",
]


@pytest.fixture(autouse=True)
def search_index(tmp_path: Path) -> Iterator[Path]:
    """Every test gets an empty search index of its own (the configured backend, in a temp dir)."""
    original = settings.TOSHOKAN_SEARCH
    settings.TOSHOKAN_SEARCH = {**original, "INDEX_DIR": tmp_path / "index"}
    reset_backend()
    yield tmp_path / "index"
    settings.TOSHOKAN_SEARCH = original
    reset_backend()


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    """Run on-commit work (reindexing) inside a test's transaction: `with on_commit(): service(...)`."""

    def run():  # type: ignore[no-untyped-def]
        return django_capture_on_commit_callbacks(execute=True)

    return run


@pytest.fixture
def admin_client(db, admin_user):  # type: ignore[no-untyped-def]
    """pytest-django's admin_client, signed in as staff sign in: password and second factor done
    (toshokan.staff.testing.sign_in), so the admin's pages open to it."""
    from django.test import Client

    from toshokan.staff.testing import sign_in

    return sign_in(Client(), admin_user)
