"""Django settings for the benchmark's own processes and the app server it starts.

The product's settings (config.settings.base) with debugging off and the database and search index
taken from the environment, so that each benchmark step works on its own scratch SQLite database
under var/bench/ and never on the developer's var/toshokan.sqlite3:

    TOSHOKAN_BENCH_DB   the SQLite file (required unless the next is set)
    TOSHOKAN_BENCH_DATABASE_URL  a postgres:// URL instead (the circulation benchmark)
    TOSHOKAN_INDEX_DIR  the search index directory (read by config.settings.base)
"""

import os

from config.settings.base import *  # noqa: F403
from config.settings.base import database_config

DEBUG = False
if os.environ.get("TOSHOKAN_BENCH_DATABASE_URL"):
    # A scratch PostgreSQL database (the circulation step), configured as the product configures
    # DATABASE_URL (a connection pool per process).
    os.environ["DATABASE_URL"] = os.environ["TOSHOKAN_BENCH_DATABASE_URL"]
    DATABASES = {"default": database_config()}
else:
    # As config.settings.base configures SQLite, whatever DATABASE_URL says.
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ["TOSHOKAN_BENCH_DB"],
            "OPTIONS": {
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000;",
                "transaction_mode": "IMMEDIATE",
            },
        }
    }
# The benchmark's database holds no tasks worth running later: index updates happen in-process.
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
# Warnings and errors (a 500's traceback) to stderr, which the benchmark sends to var/bench/bench.log.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"stderr": {"class": "logging.StreamHandler", "level": "WARNING"}},
    "root": {"handlers": ["stderr"], "level": "WARNING"},
}
