"""Settings shared by every environment. Environment variables override what a deployment must choose."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("TOSHOKAN_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)

SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-insecure-key-change-me-in-production")
DEBUG = False
ALLOWED_HOSTS = [h for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",  # the API docs page served from this site's static files, not a CDN
    "django_htmx",
    "template_partials",
    "django_tasks",
    "django_tasks_db",
    "toshokan.core",
    "toshokan.catalog",
    "toshokan.search",
    "toshokan.patrons",
    "toshokan.notices",
    "toshokan.circulation",
    "toshokan.federation",
    "toshokan.archive",
    "toshokan.passkeys",
    "toshokan.identity",
    "toshokan.staff",
    "toshokan.portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "toshokan.core.security.ContentSecurityPolicyMiddleware",
    "toshokan.core.security.PermissionsPolicyMiddleware",
    "toshokan.core.security.JsonApiMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Staff sessions: second factor before staff pages, idle and absolute timeouts (docs/staff-accounts.md).
    "toshokan.staff.middleware.StaffSessionMiddleware",
]
# Every password check counts failures and honours lockouts; self-check devices sign in over SIP2 only.
AUTHENTICATION_BACKENDS = ["toshokan.staff.backends.StaffAuthenticationBackend"]
# The staff login page: password, then a second factor (/desk/login and /admin/login/ lead there).
LOGIN_URL = "staff:login"

ROOT_URLCONF = "config.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    }
]

WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"


def database_config() -> dict[str, Any]:
    """SQLite under var/ unless DATABASE_URL names another database (PostgreSQL in production)."""
    url = os.environ.get("DATABASE_URL")
    if url:
        config = dict(dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True))
        pool_size = int(os.environ.get("DATABASE_POOL_SIZE", "10"))
        if config["ENGINE"] == "django.db.backends.postgresql" and pool_size > 0:
            # The web server (ASGI) runs each request in a thread of its own, so Django's persistent
            # connections would be one new connection per request (~10 ms here, a backend forked
            # each time; docs/benchmarks.md, "Checkouts"). A psycopg pool per process hands them out.
            config.update(CONN_MAX_AGE=0, CONN_HEALTH_CHECKS=False)
            pool = {"min_size": 1, "max_size": pool_size, "timeout": 10}
            config["OPTIONS"] = {**dict(config.get("OPTIONS") or {}), "pool": pool}  # type: ignore[call-overload]
        return config
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": VAR_DIR / "toshokan.sqlite3",
        "OPTIONS": {
            # WAL lets the web server read while the worker or an import writes.
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000;",
            "transaction_mode": "IMMEDIATE",
        },
    }


DATABASES = {"default": database_config()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Argon2id first (RFC 9106): staff passwords hashed with an older hasher are rehashed at their next login.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", "日本語"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "toshokan" / "locale"]
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# Notices by e-mail (docs/notices.md): Django's SMTP backend, to the server the environment names.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("EMAIL_USE_TLS", "0") == "1"  # STARTTLS
EMAIL_USE_SSL = os.environ.get("EMAIL_USE_SSL", "0") == "1"  # implicit TLS (port 465)
EMAIL_TIMEOUT = float(os.environ.get("EMAIL_TIMEOUT", "10"))  # a server that hangs fails the notice
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "noreply@toshokan.invalid")
# How long the per-patron notice log is kept (`manage.py send_notices` prunes older notices).
TOSHOKAN_NOTICE_RETENTION_DAYS = int(os.environ.get("TOSHOKAN_NOTICE_RETENTION_DAYS", "365"))
# The patron's account page, linked from every e-mail (empty: no link).
TOSHOKAN_ACCOUNT_URL = os.environ.get("TOSHOKAN_ACCOUNT_URL", "")

# How long a process may reuse the circulation rules and branch calendars it read (seconds).
TOSHOKAN_CIRCULATION_CONFIG_TTL_S = float(os.environ.get("TOSHOKAN_CIRCULATION_CONFIG_TTL_S", "5"))

# Search: the embedded engine needs no server; "postgres" uses the database (PostgreSQL only).
TOSHOKAN_SEARCH = {
    "BACKEND": os.environ.get("TOSHOKAN_SEARCH_BACKEND", "tantivy"),
    "INDEX_DIR": Path(os.environ.get("TOSHOKAN_INDEX_DIR", VAR_DIR / "index")),
    # Checkouts and returns reach the index this many seconds later, many in one commit (0: at once).
    "AVAILABILITY_DELAY_S": float(os.environ.get("TOSHOKAN_SEARCH_AVAILABILITY_DELAY_S", "1")),
}

# The library's name in the page header, per language.
TOSHOKAN_LIBRARY_NAME = {"ja": "デモ市立図書館", "en": "Demo City Library"}

# The SIP2 self-check server (`manage.py sip2_server`, started by `serve`; docs/sip2.md).
TOSHOKAN_SIP2 = {
    "ENCODING": os.environ.get("SIP2_ENCODING", "utf-8"),  # utf-8 | cp932 (older kiosks)
    "LOGIN_REQUIRED": os.environ.get("SIP2_LOGIN_REQUIRED", "1") != "0",  # 93 with a staff account first
    "DEFAULT_BRANCH": os.environ.get("SIP2_DEFAULT_BRANCH", ""),  # when a kiosk sends an empty AO
    "IDLE_TIMEOUT": float(os.environ.get("SIP2_IDLE_TIMEOUT", "0")),  # seconds; 0 keeps sessions open
    "WORKERS": int(os.environ.get("SIP2_WORKERS", "4")),  # database threads (1 on SQLite)
}

# Data the demo library loads; shipped in the repository (data/README.md lists sources and licences).
TOSHOKAN_DATA_DIR = BASE_DIR / "data"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # pymarc warns of every field with one or three indicators; the import reports what matters.
    "loggers": {"django.db.backends": {"level": "WARNING"}, "pymarc": {"level": "ERROR"}},
}

# Live availability across library systems (docs/federation.md). The answer cache is shared by every
# process on a machine (a file-based cache under var/) or, with TOSHOKAN_REDIS_URL, by every machine.
_REDIS_URL = os.environ.get("TOSHOKAN_REDIS_URL", "")
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "federation": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _REDIS_URL}
        if _REDIS_URL
        else {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "federation-cache"),
            "OPTIONS": {"MAX_ENTRIES": 100_000},
        }
    ),
}
TOSHOKAN_FEDERATION = {
    "CACHE_ALIAS": "federation",
    "CACHE_TTL_S": float(os.environ.get("TOSHOKAN_FEDERATION_CACHE_TTL_S", "600")),
    "PER_HOST": int(os.environ.get("TOSHOKAN_FEDERATION_PER_HOST", "2")),  # requests at once to one host
    "CONNECTIONS": int(os.environ.get("TOSHOKAN_FEDERATION_CONNECTIONS", "1000")),  # per check
    "MAX_RESPONSE_BYTES": int(os.environ.get("TOSHOKAN_FEDERATION_MAX_RESPONSE_BYTES", str(5 * 1024 * 1024))),
    "RETRIES": 1,  # only GETs that never got a byte back
    "BREAKER_FAILURES": int(os.environ.get("TOSHOKAN_FEDERATION_BREAKER_FAILURES", "5")),
    "BREAKER_COOLDOWN_S": float(os.environ.get("TOSHOKAN_FEDERATION_BREAKER_COOLDOWN_S", "60")),
    # Check sessions (/calil/check, docs/calil-api.md): "inprocess" runs checks on a thread of each web
    # process; "tasks" hands chunks of systems to the task workers of every machine, which share the
    # "federation" cache through Redis (docs/federation-deployment.md).
    "RUNNER": os.environ.get("TOSHOKAN_FEDERATION_RUNNER", "inprocess"),
    "CHUNK_SYSTEMS": int(os.environ.get("TOSHOKAN_FEDERATION_CHUNK_SYSTEMS", "50")),  # systems per task
    "MAX_ISBNS": int(os.environ.get("TOSHOKAN_FEDERATION_MAX_ISBNS", "50")),  # per check request
    "MAX_SYSTEMS": int(os.environ.get("TOSHOKAN_FEDERATION_MAX_SYSTEMS", "1000")),  # per check request
    "SESSION_TTL_S": int(os.environ.get("TOSHOKAN_FEDERATION_SESSION_TTL_S", "600")),  # how long to poll
}
# The map on "where can I borrow this now?": a tile URL template ({z}/{x}/{y}) and the attribution its
# licence asks for. Empty: the libraries are drawn on a plain background and the list works alone.
TOSHOKAN_MAP_TILES = {
    "URL": os.environ.get("TOSHOKAN_MAP_TILES_URL", ""),
    "ATTRIBUTION": os.environ.get("TOSHOKAN_MAP_TILES_ATTRIBUTION", ""),
}
# toshokan's own Calil appkey, for systems registered with connector = "calil" (empty: they answer Error).
TOSHOKAN_CALIL_APPKEY = os.environ.get("TOSHOKAN_CALIL_APPKEY", "")
# Calil's API, for the systems registered with connector = "calil" and no endpoint of their own.
TOSHOKAN_CALIL_API_URL = os.environ.get("TOSHOKAN_CALIL_API_URL", "https://api.calil.jp")
# The library registry file (docs/libraries.md): unset, `load_libraries` and the demo load the shipped one.
TOSHOKAN_LIBRARIES = os.environ.get("TOSHOKAN_LIBRARIES") or str(BASE_DIR / "data/libraries/demo.toml")
# Appkeys that /calil/library and /calil/check accept, comma-separated; empty: any appkey (or none).
_APPKEYS = os.environ.get("TOSHOKAN_CALIL_APPKEYS", "")
TOSHOKAN_CALIL_APPKEYS = [k.strip() for k in _APPKEYS.split(",") if k.strip()]
# This site's public base URL (https://library.example.jp), for links other sites show: `reserveurl`.
TOSHOKAN_PUBLIC_URL = os.environ.get("TOSHOKAN_PUBLIC_URL", "")

# `manage.py load_demo` runs these in order; each module has load(progress) and demo_fingerprint().
TOSHOKAN_DEMO_STEPS = [
    "toshokan.catalog.demo",
    "toshokan.core.demo_staff",
    "toshokan.circulation.demo",
    "toshokan.federation.demo",  # the library registry: needs the catalogue's branches
    "toshokan.staff.demo",  # TOTP for the demo staff (after core.demo_staff made them)
    "toshokan.archive.demo",  # the IIIF validator's test image and Edo-period pages (docs/iiif.md)
]

# Browser security (docs/security.md). Cookies: the session is never readable by scripts and not
# sent on other sites' cross-site requests; production (prod.py) adds Secure and HSTS.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"


# Content Security Policy (django-csp): this site's own scripts, styles, fonts and connections only,
# never inline script; images also from the map tile server when one is configured (added per response
# by toshokan.core.security.ContentSecurityPolicyMiddleware from TOSHOKAN_MAP_TILES).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        # The one inline style OpenSeadragon (the archive's image viewer) inserts, allowed by its hash.
        "style-src": ["'self'", "'sha256-9xTiqzfwFaL2SGb1rmr8gysEwVVjIvqWAgmZgqFqpEE='"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'none'"],
        "report-uri": "/csp-report",
    }
}

# Who may register and what a provisional (online) card may do (docs/signup.md); the defaults are in
# toshokan/patrons/domain/eligibility.py and provisional.py.
TOSHOKAN_REGISTRATION_RULES: dict[str, Any] = {}
