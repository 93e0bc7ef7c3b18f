"""Settings for council_reports, read from environment variables only.

DATABASE_URL       default sqlite:///<project>/db.sqlite3; postgres://... for PostgreSQL
DJANGO_SECRET_KEY  required when DJANGO_DEBUG is off
DJANGO_DEBUG       true/false (default false)
DJANGO_ALLOWED_HOSTS  comma-separated (default localhost,127.0.0.1 when debugging)
DJANGO_MEDIA_ROOT  folder for files the app writes, such as report packs (default <project>/media)
DJANGO_IMPORT_UPLOAD_DIR  folder where browser uploads wait for confirmation (default
                   <project>/var/uploads); the task worker sweeps it
DJANGO_STATIC_ROOT where collectstatic gathers static files for WhiteNoise (default
                   <project>/staticfiles)
REDIS_URL          redis://host:6379/0 for a cache shared by every app server and a task queue
                   in Redis (default: each process's own memory; tasks in the database)
DJANGO_HTTPS       true when users reach the app over HTTPS (default false): cookies sent over
                   HTTPS only, HTTP redirected to HTTPS, HSTS, and X-Forwarded-Proto: https
                   from the proxy in front trusted as HTTPS
DJANGO_SSL_REDIRECT     false when the proxy in front redirects HTTP itself (default: DJANGO_HTTPS)
DJANGO_HSTS_SECONDS     how long browsers keep to HTTPS (default 31536000, a year, with HTTPS)
DJANGO_HSTS_PRELOAD     false to leave "preload" out of the HSTS header (default: with HSTS)
DJANGO_PROXY_COUNT      how many proxies in front add to X-Forwarded-For (default 1 with
                        DJANGO_HTTPS, else 0): the client's address, for sign-in throttling and
                        audit-text access records, is the entry that many from the right
DJANGO_SIGNIN_ATTEMPTS  failed sign-ins before an account is locked from that address (default 5)
DJANGO_SIGNIN_LOCK_MINUTES  how long such a lock lasts (default 15)
DJANGO_SESSION_IDLE_MINUTES signed out after this long without a request (default 60)
DJANGO_SESSION_HOURS    signed out this long after signing in, however active (default 10)

A bad value fails loudly at start-up rather than running with a surprise.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from council_reports.csp import plotly_style_hashes

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        value = -1
    if value < 0:
        raise ImproperlyConfigured(f"{name} must be a whole number, 0 or more, not {raw!r}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", False)
# Under pytest a throwaway key is fine and the test client's host must be allowed.
TESTING = "pytest" in sys.modules

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if DEBUG or TESTING:
        SECRET_KEY = "insecure-development-key-do-not-use-in-production"  # noqa: S105 (debug/tests)
    else:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. Set it, or set DJANGO_DEBUG=true for local development."
        )

ALLOWED_HOSTS = env_list(
    "DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else []
)
if TESTING:
    ALLOWED_HOSTS = [*ALLOWED_HOSTS, "testserver", "localhost", "127.0.0.1"]

INSTALLED_APPS = [
    # django.contrib.admin with a site that only administrators may enter (council_reports.sites).
    "council_reports.apps.AdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "knox",
    "simple_history",
    "django_tasks",
    "django_tasks_db",
    "axes",
    "council_reports",
    "indicators",
    "workforce",
    "audits",
    "reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    # Static files straight from the app server (gunicorn), compressed and cached for a year
    # under content-hashed names once collectstatic has run: no separate web server needed.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "council_reports.middleware.SessionExpiryMiddleware",
    "council_reports.middleware.LoginRequiredMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

# Served over HTTPS (DJANGO_HTTPS): `manage.py check --deploy` then has nothing to warn of.
# The proxy or load balancer in front terminates TLS and says so in X-Forwarded-Proto; it checks
# /healthz over plain HTTP, so that path is never redirected.
HTTPS = env_bool("DJANGO_HTTPS", False)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = env_bool("DJANGO_SSL_REDIRECT", HTTPS)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31_536_000 if HTTPS else 0)
# The header covers the app's host and the hosts under it; "preload" only permits asking
# browsers to build HTTPS-only in (nothing is submitted): DJANGO_HSTS_PRELOAD=false withholds it.
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", SECURE_HSTS_SECONDS > 0)
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content Security Policy (django-csp): scripts, styles, fonts, images and connections from the
# app itself only, never another host; no plugins; forms post back to the app; no page may be
# framed but a committee paper's preview, inside the builder (reports.views.preview). Charts'
# data travels as JSON in <script type="application/json"> (json_script), which a policy
# never runs; plotly.js is the app's own static file, and the <style> elements it adds are
# allowed by their hashes (council_reports.csp), never by 'unsafe-inline'.
PLOTLY_DIR = Path(importlib.util.find_spec("plotly").origin).parent / "package_data"  # type: ignore[union-attr,arg-type]
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, *plotly_style_hashes(PLOTLY_DIR / "plotly.min.js")],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "frame-src": [SELF],
        "frame-ancestors": [NONE],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
    }
}

# Sign-in throttling (django-axes): after DJANGO_SIGNIN_ATTEMPTS failures for one username
# from one address, that pair is refused for DJANGO_SIGNIN_LOCK_MINUTES (429, the lockout
# page); a successful sign-in clears the count. `manage.py axes_reset_username NAME` lifts a
# lock early. Behind a proxy the client's address is read from X-Forwarded-For, trusting only
# the DJANGO_PROXY_COUNT proxies in front (council_reports.network). One address's failures
# across every username are counted too: after DJANGO_SIGNIN_ADDRESS_ATTEMPTS of them the
# address is refused for any username (council_reports.signin; `manage.py axes_reset_ip`).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("DJANGO_SIGNIN_ATTEMPTS", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("DJANGO_SIGNIN_LOCK_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "council_reports.views.locked_out"
AXES_HANDLER = "council_reports.signin.SignInHandler"
SIGNIN_ADDRESS_ATTEMPTS = env_int("DJANGO_SIGNIN_ADDRESS_ATTEMPTS", 30)
PROXY_COUNT = env_int("DJANGO_PROXY_COUNT", 1 if HTTPS else 0)
AXES_CLIENT_IP_CALLABLE = "council_reports.network.client_ip"

# Sessions end after DJANGO_SESSION_IDLE_MINUTES without a request and DJANGO_SESSION_HOURS
# after signing in however busy (council_reports.middleware.SessionExpiryMiddleware), and when
# the browser closes: machines in council offices are shared.
SESSION_IDLE_SECONDS = env_int("DJANGO_SESSION_IDLE_MINUTES", 60) * 60
SESSION_COOKIE_AGE = env_int("DJANGO_SESSION_HOURS", 10) * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# Uploads (the import page's CSV and XLSX): nothing past the largest accepted file is stored
# (council_reports.upload_limits); the form then refuses the file, naming its size.
FILE_UPLOAD_MAX_BYTES = 20 * 1024 * 1024
FILE_UPLOAD_HANDLERS = [
    "council_reports.upload_limits.UploadLimitHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

ROOT_URLCONF = "council_reports.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "council_reports.wsgi.application"

_database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
try:
    DATABASES = {"default": dj_database_url.parse(_database_url, conn_max_age=60)}
except Exception as exc:  # dj_database_url raises several types for a malformed URL
    raise ImproperlyConfigured(f"DATABASE_URL is not a valid database URL: {exc}") from exc
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers carry on while an import writes; the busy timeout waits for a lock
    # instead of failing at once when two processes write. IMMEDIATE takes the write lock
    # when a transaction begins, so concurrent saves wait their turn: a transaction that
    # read first cannot wait for it and fails at once with "database is locked"
    # (tests/faults/test_concurrent_edits.py: 2,073 such errors for 20 editors without it).
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "council_reports.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

if TESTING:
    # Hashing is deliberately slow; tests sign in hundreds of times.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-gb"
LANGUAGES = [("en-gb", _("English")), ("cy", _("Welsh"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT") or BASE_DIR / "staticfiles").resolve()
# plotly.js is served by the app, never a CDN: the bundle that ships inside the plotly
# package (package_data/plotly.min.js), at static/plotly/plotly.min.js.
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("plotly", PLOTLY_DIR),
]

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "council_reports.storage.StaticStorage"},
}

# One cache shared by every app server and worker when REDIS_URL is set; otherwise each
# process's own memory. It holds charts drawn as SVG (content-addressed, never stale) and the
# dashboards' tables, filed under the figures version (indicators.caching).
REDIS_URL = os.environ.get("REDIS_URL", "").strip()
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            # Local memory's default, 300 entries, is fewer than the overviews of a national
            # instance take (two pieces for each of 175 councils), and a full cache drops a
            # third of itself at once: every worker would draw them again and again. Pieces
            # are at most about 80 KB, so a worker's cache stays under about 80 MB.
            "OPTIONS": {"MAX_ENTRIES": 1000},
        }
    )
}

# Files the app writes (report packs under packs/). Never served as static media: they are
# downloaded through views that check who is asking.
MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT") or BASE_DIR / "media").resolve()
# Browser uploads waiting for confirmation (indicators.uploads); private, never served.
IMPORT_UPLOAD_DIR = Path(
    os.environ.get("DJANGO_IMPORT_UPLOAD_DIR") or BASE_DIR / "var" / "uploads"
).resolve()

# Background tasks (report packs) through django-tasks, run by `python manage.py worker`
# (`make run` and `make serve` start one beside the web server): queued in the database, or in
# Redis (RQ) when REDIS_URL is set.
if REDIS_URL:
    INSTALLED_APPS += ["django_rq", "django_tasks_rq"]
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    RQ_QUEUES = {"default": {"URL": REDIS_URL}}
else:
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# API tokens (django-rest-knox, council_reports.tokens): stored as digests, each with an
# expiry and optionally read-only, made and revoked by their owners at /account/tokens/.
# Token authentication comes first so that a script with no key, or a wrong or expired one,
# is answered 401 with a `WWW-Authenticate: Token` challenge.
KNOX_TOKEN_MODEL = "council_reports.ApiToken"  # noqa: S105 (a model's name, not a secret)
REST_KNOX = {"AUTH_HEADER_PREFIX": "Token", "TOKEN_TTL": timedelta(days=90)}
# knox's own migrations create its AuthToken table even when KNOX_TOKEN_MODEL replaces it: an
# empty table with a foreign key to users that backups do not know (and restore cannot empty).
# Without them, a swapped model gets no table at all.
MIGRATION_MODULES = {"knox": None}
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "council_reports.tokens.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "council_reports.tokens.TokenScope",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 500,
    "COERCE_DECIMAL_TO_STRING": False,
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "WARNING")},
    "loggers": {
        # Who was shown an audit's free text (audits.access): always logged, whatever
        # DJANGO_LOG_LEVEL, beside the AuditTextAccess records (issue 7, item 7).
        "council_reports.audit_access": {"level": "INFO"},
    },
}
