import os

from .base import *  # noqa: F403
from .base import VAR_DIR

DEBUG = False
# SQLite tests run on a file, not in memory: concurrency tests (twenty checkouts racing for one copy)
# need SQLite's real locking, which a shared-cache in-memory database does not have.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}  # noqa: F405
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
# Each test run (and each xdist worker) gets its own index directory; tests that need a clean
# index ask the `search_index` fixture for one.
TOSHOKAN_SEARCH = {
    "BACKEND": os.environ.get("TOSHOKAN_SEARCH_BACKEND", "tantivy"),
    "INDEX_DIR": VAR_DIR / f"test-index-{os.getpid()}",
    # Checkouts reach the index in their on-commit hook, so tests see them at once.
    "AVAILABILITY_DELAY_S": 0,
}
# Rules and calendars read afresh by every checkout, so a test that edits one sees it at once.
TOSHOKAN_CIRCULATION_CONFIG_TTL_S = 0
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Each test process keeps federation answers in memory; tests that need a shared cache build their own.
CACHES = {
    **CACHES,  # noqa: F405
    "federation": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "federation"},
}
# The archive's originals and tile pyramids of a test run (the demo's included) stay out of var/archive;
# archive tests use a directory of their own per test.
TOSHOKAN_ARCHIVE_DIR = VAR_DIR / f"test-archive-{os.getpid()}"
