"""Django settings for Common Ground.

Everything that differs between the demo and a production hub comes from the environment:

``DATABASE_URL``        database (default: SQLite file ``var/commonground.sqlite3``)
``COMMONGROUND_DATA``   a city's data folder with ``datapackage.json`` (default ``../shared/data``)
``SECRET_KEY``          required when ``DEBUG`` is off (no fallback key exists then)
``DEBUG``               ``1`` for development and the demo (``make demo`` sets it); off otherwise
``ALLOWED_HOSTS``       comma-separated host names; required when ``DEBUG`` is off
``COMMONGROUND_DATASTORE``  folder for dataset versions and uploads (default ``var/datastore``),
                        or ``s3://bucket/prefix`` for versions in an S3-compatible store
                        (``COMMONGROUND_S3_ENDPOINT_URL``, ``COMMONGROUND_DATASTORE_LOCAL``;
                        see ``commonground/datastore/storage.py``)
``COMMONGROUND_MAX_UPLOAD_MB``  largest file accepted for ingest (default 1024)
``COMMONGROUND_SITE_URL``  the public address links in emails start with
``COMMONGROUND_TASKS``  ``database`` (default: a ``db_worker`` process runs ingests) or
                        ``immediate`` (run them inside the request; no worker needed)
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("COMMONGROUND_VAR", BASE_DIR / "var"))
(VAR_DIR / "static").mkdir(parents=True, exist_ok=True)  # SQLite file and collected static files

#: Debug mode only when asked for (``DEBUG=1``): the demo script asks, a server never should.
DEBUG = os.environ.get("DEBUG", "") == "1"
#: Outside debug mode there is no fallback key: anyone who knew it could forge signed links.
SECRET_KEY = os.environ.get("SECRET_KEY", "") or (
    "demo-only-insecure-key-set-SECRET_KEY-in-production" if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured(
        "Set SECRET_KEY in the environment (a long random string, kept secret), or DEBUG=1 "
        "for the local demo.")
ALLOWED_HOSTS = [h.strip() for h in os.environ.get(
    "ALLOWED_HOSTS", "127.0.0.1,localhost,testserver" if DEBUG else "").split(",") if h.strip()]
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured(
        "Set ALLOWED_HOSTS in the environment (the site's host names, comma-separated) when "
        "DEBUG is off.")

#: The city's data folder (a Frictionless Data Package). See docs/ARCHITECTURE.md.
COMMONGROUND_DATA = Path(os.environ.get("COMMONGROUND_DATA", BASE_DIR.parent / "shared" / "data"))

#: Dataset versions (Parquet), original files and staged uploads: a folder, or an
#: ``s3://bucket/prefix`` URL (a string) for versions in an S3-compatible object store.
_datastore = os.environ.get("COMMONGROUND_DATASTORE", "") or str(VAR_DIR / "datastore")
COMMONGROUND_DATASTORE: Path | str = (_datastore if _datastore.startswith("s3://")
                                      else Path(_datastore))
#: With a store: the local folder for staged uploads, scratch and scoped download copies.
COMMONGROUND_DATASTORE_LOCAL = Path(os.environ.get("COMMONGROUND_DATASTORE_LOCAL", "")
                                    or VAR_DIR / "datastore")
# The store's address when it is not AWS (MinIO, Ceph...), COMMONGROUND_S3_ENDPOINT_URL, and
# its keys (AWS_ACCESS_KEY_ID...) are read from the environment by datastore/storage.py.
#: Large uploads are received into the data store's scratch folder, not the system's /tmp,
#: so the ingest sweep (catalogue/services/reclaim.py) deletes those a killed worker left.
FILE_UPLOAD_TEMP_DIR = (COMMONGROUND_DATASTORE_LOCAL if isinstance(COMMONGROUND_DATASTORE, str)
                        else COMMONGROUND_DATASTORE) / "tmp"
FILE_UPLOAD_TEMP_DIR.mkdir(parents=True, exist_ok=True)
#: Largest upload accepted (bytes); larger uploads are refused while they stream in.
COMMONGROUND_MAX_UPLOAD_BYTES = int(os.environ.get("COMMONGROUND_MAX_UPLOAD_MB", "1024")) << 20
#: Files up to this size are ingested inside the request (the report shows at once);
#: larger ones go to the background worker with a progress bar.
COMMONGROUND_INLINE_INGEST_BYTES = int(os.environ.get("COMMONGROUND_INLINE_INGEST_MB", "5")) << 20
#: Fetch resource URLs on private or loopback addresses: never on a public hub (the
#: operator's `commonground harvest --allow-private` passes its own flag instead).
COMMONGROUND_FETCH_ALLOW_PRIVATE = os.environ.get("COMMONGROUND_FETCH_ALLOW_PRIVATE") == "1"
#: Longest a URL download may take in all (seconds), however slowly the server sends.
COMMONGROUND_FETCH_MAX_SECONDS = float(os.environ.get("COMMONGROUND_FETCH_MAX_SECONDS", "600"))
#: Small counts below this are suppressed in datasets about people (issue 4 uses it too).
COMMONGROUND_DISCLOSURE_THRESHOLD = int(os.environ.get("COMMONGROUND_DISCLOSURE_THRESHOLD", "10"))
#: A disclosure decision over more base areas than this (a region, a country: minutes of linear
#: programming) is made once by the background worker and stored, never on a page request;
#: until it is made every count of that table is shown as being checked (docs/DISCLOSURE.md).
COMMONGROUND_DISCLOSURE_INLINE_AREAS = int(os.environ.get("COMMONGROUND_DISCLOSURE_INLINE_AREAS",
                                                          "2000"))
#: Seconds a CKAN ``datastore_search_sql`` statement may run before it is stopped.
COMMONGROUND_SQL_TIMEOUT = float(os.environ.get("COMMONGROUND_SQL_TIMEOUT", "5"))
#: Largest JSON answer (records) of one ``datastore_search_sql`` call; a larger result is
#: refused while it is being fetched, before it fills the worker's memory (bytes).
COMMONGROUND_SQL_MAX_BYTES = int(os.environ.get("COMMONGROUND_SQL_MAX_MB", "50")) << 20

#: django-ninja's package folder, found without importing it: the API docs page uses its own
#: template and static files (Swagger UI), never a CDN's, without "ninja" as an installed app,
#: whose import at set-up (pydantic, django.test, jinja2) every command would pay ~0.15 s for.
NINJA_DIR = Path(importlib.util.find_spec("ninja").submodule_search_locations[0])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_tasks",
    "django_tasks_db",
    "commonground.accounts",
    "commonground.activity",
    "commonground.places",
    "commonground.catalogue",
    "commonground.energy",
    "commonground.community",
    "commonground.consultations",
    "commonground.evidence",
    "commonground.projects",
    "commonground.feeds",
    "commonground.participation",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "commonground.nulchars.RefuseNulCharacters",  # PostgreSQL text cannot hold NUL
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
]

#: Content-Security-Policy (django-csp): scripts, styles, images, fonts and fetches come from
#: the hub itself; no plugins, no framing, forms post only here. Pages have no inline script
#: (page scripts are static files). Inline styles stay allowed: the server-drawn SVG maps
#: carry their own focus and hover rules, and style cannot run code. Images may be data: URLs
#: (the API docs' icons).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

ROOT_URLCONF = "commonground.urls"
WSGI_APPLICATION = "commonground.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "commonground" / "templates", NINJA_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "commonground.places.context.city",
                "commonground.activity.context.unread",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'commonground.sqlite3'}", conn_max_age=60
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    #: SQLite under concurrent requests: WAL lets readers go on while one writer writes;
    #: transactions take the write lock when they begin (IMMEDIATE), so a transaction that
    #: reads and then writes waits its turn (up to ``timeout`` seconds) instead of failing with
    #: "database is locked"; synchronous=NORMAL is safe with WAL (a power cut may lose the
    #: last commits, never corrupt the file). One writer at a time: see the README on load.
    DATABASES["default"].setdefault("OPTIONS", {}).update({
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    })
    #: Connections are kept, as on PostgreSQL: a new SQLite connection costs about 5 ms
    #: before its first answer (opening the file, the pragmas above, reading the schema),
    #: a quarter of a Data Hub request (benchmarks/feeds.py). Health checks drop a broken one.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

#: Background work (large ingests, URL fetches) goes through django-tasks. The database backend
#: needs a worker: `manage.py db_worker` (the demo script starts one beside the web server).
_TASK_BACKENDS = {"database": "django_tasks_db.DatabaseBackend",
                  "immediate": "django_tasks.backends.immediate.ImmediateBackend"}
TASKS = {"default": {"BACKEND": _TASK_BACKENDS[os.environ.get("COMMONGROUND_TASKS", "database")]}}

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"
#: Uploads stream to temporary files beyond this size (bytes), never held in memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 << 20
FILE_UPLOAD_HANDLERS = [
    "commonground.catalogue.uploads.LimitedUploadHandler",  # stops oversized uploads early
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True
USE_THOUSAND_SEPARATOR = False

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "commonground" / "static", NINJA_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

WHITENOISE_USE_FINDERS = DEBUG  # serve app static files without collectstatic in development

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {"commonground": {"handlers": ["console"], "level": "INFO", "propagate": False}},
}

if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = os.environ.get("SECURE_SSL_REDIRECT", "1") == "1"
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

#: SAP 2012 climate region of the city (Appendix U, Table U6 maps postcode districts to
#: regions): its monthly irradiation and temperatures drive solar estimates. Milton Keynes'
#: MK postcodes are in region 1, "Thames"; set this for another city.
COMMONGROUND_SOLAR_REGION = os.environ.get("COMMONGROUND_SOLAR_REGION", "Thames")
#: Typical ground height of the city, metres above sea level (Milton Keynes: about 100 m).
COMMONGROUND_SOLAR_ALTITUDE_M = float(os.environ.get("COMMONGROUND_SOLAR_ALTITUDE_M", "100"))

#: Email: the console in the demo (messages are printed), SMTP etc. through EMAIL_BACKEND.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND",
                               "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Common Ground <noreply@localhost>")
#: Where links in emails (digests, energy registrations' own links) point: the site's
#: public address, never the Host header a request came with.
COMMONGROUND_SITE_URL = os.environ.get("COMMONGROUND_SITE_URL", "http://127.0.0.1:8000")
#: Rate limits (``commonground.accounts.ratelimit``): action -> (how many, per seconds).
#: Sign-up counts per client address; sign-in per account and per address; the others per
#: account. Over the limit: HTTP 429.
COMMONGROUND_RATE_LIMITS = {
    "sign up": (int(os.environ.get("COMMONGROUND_SIGNUP_LIMIT", "5")), 3600),
    "ask for data": (int(os.environ.get("COMMONGROUND_REQUEST_LIMIT", "5")), 3600),
    "comment": (int(os.environ.get("COMMONGROUND_COMMENT_LIMIT", "20")), 3600),
    "ask to join a group": (10, 3600),
    "reset a password": (int(os.environ.get("COMMONGROUND_RESET_LIMIT", "5")), 3600),
    # Sign-in tries count per account and per client address (each try hashes a password).
    "sign in": (int(os.environ.get("COMMONGROUND_SIGNIN_LIMIT", "10")), 900),
    "sign in from an address": (int(os.environ.get("COMMONGROUND_SIGNIN_ADDRESS_LIMIT", "30")), 900),
    # Energy registrations count per client address and per email address (each one sends an
    # email); raise it for a sign-up event where many people share one connection.
    "register interest": (int(os.environ.get("COMMONGROUND_REGISTER_LIMIT", "10")), 3600),
    # Requests emailed to one organisation's contact address (one nobody answers for on the
    # hub), whoever asks: past it the requests are still published, not emailed.
    "email an organisation": (int(os.environ.get("COMMONGROUND_ORG_EMAIL_LIMIT", "5")), 86400),
}
#: The cache holding rate-limit slots is shared by every worker process and thread: the
#: database cache, in the site's own database (its table is made by ``migrate``), so two
#: workers cannot double a limit. Room for many entries, so no slot is dropped early.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache",
                      "LOCATION": "commonground_cache",
                      "OPTIONS": {"MAX_ENTRIES": 100_000, "CULL_FREQUENCY": 10}}}
#: Reverse proxies in front of the site whose X-Forwarded-For is trusted (0: use REMOTE_ADDR).
COMMONGROUND_PROXY_HOPS = int(os.environ.get("COMMONGROUND_PROXY_HOPS", "0"))
