"""medstream settings: everything comes from the environment (see README, "Configuration").

The embedded default needs no services: a SQLite file under ``var/`` and the in-memory channel
layer. ``DATABASE_URL`` switches to PostgreSQL and ``REDIS_URL`` to Redis; nothing else changes.
"""

from __future__ import annotations

import os
import secrets
import socket
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from medstream.environment import env_bool, env_float, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("MEDSTREAM_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)


def _secret_key() -> str:
    """``SECRET_KEY`` from the environment, else one generated once and kept in ``var/``.

    A deployment with several machines sets ``SECRET_KEY`` (or ``SECRET_KEY_FILE``) so that every
    worker signs sessions alike; on one machine the kept file serves every worker.
    """
    key = env_str("SECRET_KEY")
    if key:
        if len(key) < 50:
            raise ImproperlyConfigured("SECRET_KEY must be at least 50 characters long")
        return key
    path = VAR_DIR / "secret_key"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(64))
    return path.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
# Origins trusted besides the served site's own, by the CSRF check and the socket's alike
# (clinical.origins): exact, with scheme and port, or https://*.example.org for subdomains.
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
if env_str("WS_ALLOWED_ORIGINS"):
    raise ImproperlyConfigured(
        "WS_ALLOWED_ORIGINS is no longer read: a cookie-authenticated socket trusts exactly the "
        "origins a form does, the served site's own and CSRF_TRUSTED_ORIGINS; move them there"
    )

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "channels",
    "clinical",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # LOGIN_RATE at the portal's and the admin's sign-in forms, counted with the token endpoint's.
    "clinical.limits.LoginThrottleMiddleware",
]

ROOT_URLCONF = "medstream.urls"
# Error reports (the debug page, a logged 500) hide anything that looks secret, DEBUG or not.
DEFAULT_EXCEPTION_REPORTER_FILTER = "medstream.reports.SecretsHiddenFilter"
ASGI_APPLICATION = "medstream.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
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


def _database() -> dict:
    default_url = f"sqlite:///{VAR_DIR / 'medstream.sqlite3'}"
    url = env_str("DATABASE_URL", default_url)
    try:
        config = dj_database_url.parse(url, conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60))
    except ValueError as error:
        raise ImproperlyConfigured(f"DATABASE_URL is not a database URL: {error}") from None
    if config["ENGINE"] == "django.db.backends.sqlite3":
        Path(config["NAME"]).parent.mkdir(parents=True, exist_ok=True)
        # WAL lets readers (resume, REST) run while the stream writes; IMMEDIATE avoids the
        # "database is locked" upgrade deadlock between two writers.
        config["OPTIONS"] = {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
        # One long-lived connection on the one database thread (clinical.db).
        config["CONN_MAX_AGE"] = None
    else:
        options = config.setdefault("OPTIONS", {})
        options["connect_timeout"] = env_int("DATABASE_CONNECT_TIMEOUT", 5)
        # Parameters travel apart from the SQL: a stream's frames go in one bulk INSERT, and
        # client-side binding spent most of the worker's CPU quoting them into the statement.
        options["server_side_binding"] = True
        config["CONN_HEALTH_CHECKS"] = True
    return config


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL")
CHANNEL_LAYER_KIND = env_str("CHANNEL_LAYER", "pubsub")


def _channel_layer() -> dict:
    if not REDIS_URL:
        return {"BACKEND": "channels.layers.InMemoryChannelLayer"}
    if CHANNEL_LAYER_KIND == "pubsub":
        return {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL]},
        }
    if CHANNEL_LAYER_KIND == "core":
        return {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "capacity": 1000, "expiry": 30},
        }
    raise ImproperlyConfigured(f"CHANNEL_LAYER={CHANNEL_LAYER_KIND!r}: use pubsub or core")


CHANNEL_LAYERS = {"default": _channel_layer()}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# A signed-in session lasts one clinical shift from sign-in (12 hours: the longest common shift),
# not renewed by use (Django writes a new expiry only when the session's own data changes, which
# the portal's requests do not): a portal left signed in on a ward's shared computer does not
# carry into the next shift. Django's default was two weeks.
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 12 * 60 * 60, minimum=1)
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "knox.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "clinical.api.errors.exception_handler",
    "DEFAULT_PARSER_CLASSES": [
        "clinical.api.parsers.ProtocolJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    # Throttles identify a client by REMOTE_ADDR alone: the address daphne decided (the peer, or
    # behind the proxy with --proxy-headers, the address nginx set). Left at None, DRF would key
    # on X-Forwarded-For as the client sent it, and any made-up header escaped every throttle.
    "NUM_PROXIES": 0,
}
# API tokens (django-rest-knox): only a SHA-512 of each is stored, and each expires
# API_TOKEN_SECONDS after it was issued, however much it is used (no renewal on use, so a stolen
# token dies on schedule). A password change or a deactivation revokes them (clinical.credentials).
API_TOKEN_SECONDS = env_int("API_TOKEN_SECONDS", 36_000, minimum=1)
REST_KNOX = {
    "TOKEN_TTL": timedelta(seconds=API_TOKEN_SECONDS),
    "AUTO_REFRESH": False,
    "AUTH_HEADER_PREFIX": "Token",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "medstream API",
    "DESCRIPTION": "Clinical decision support streams: sessions, events, tickets, knowledge base.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Two fields are called "status": a session's and a stated symptom's.
    # Swagger UI from drf-spectacular-sidecar's pinned build, served by this site: no CDN script
    # runs on the origin of the clinicians' cookies, and the Content-Security-Policy holds.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # No badge fetched from validator.swagger.io.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "ENUM_NAME_OVERRIDES": {
        "SymptomStatusEnum": ["present", "absent", "unknown"],
        "SessionStatusEnum": "clinical.models.StreamSession.Status",
    },
}

# Security: HTTPS-only cookies and HSTS when served behind TLS (README, "Configuration").
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
HTTPS = env_bool("HTTPS", False)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS and env_bool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp 4: one dict; README, "Threat model"). Scripts and styles
# from this site only, none inline but the portal's import map by its per-request nonce; no
# plugin, no framing, no <base>, forms post here only. A stored string that ever reached the
# page as HTML could run nothing. The portal, the admin and the API docs run under it with no
# violation (tests/browser/test_content_security_policy.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# Streams and sockets (README, "Configuration").
WORKER_ID = env_str("WORKER_ID", f"{socket.gethostname()}:{os.getpid()}")
STREAM_LEASE_SECONDS = env_float("STREAM_LEASE_SECONDS", 6.0, minimum=1.0)
# Threads (and so PostgreSQL connections) a worker uses for database calls.
DATABASE_THREADS = env_int("DATABASE_THREADS", 16, minimum=1)
# How long a stream's frames may wait to be written together (one transaction, one publish).
STREAM_BATCH_MS = env_float("STREAM_BATCH_MS", 10.0)
# How many of one user's streams run at once on a worker; the next waits its turn, its "accepted"
# sent at once (clinical/streams/runner.py, UserTurns).
STREAMS_RUNNING_PER_USER = env_int("STREAMS_RUNNING_PER_USER", 4, minimum=1)
# The engine runs in a pool of processes, off the event loop (clinical/streams/engine_pool.py):
# how many, and how long one request (validation, a stream, a note preview) may take before it
# is stopped (the stream ends with stream_failed, the preview answers 503 engine_over_budget).
ENGINE_PROCESSES = env_int("ENGINE_PROCESSES", os.cpu_count() or 1, minimum=1)
ENGINE_BUDGET_SECONDS = env_float("ENGINE_BUDGET_SECONDS", 2.0, minimum=0.001)
WS_TICKET_SECONDS = env_int("WS_TICKET_SECONDS", 60, minimum=1)
# Spent and expired tickets are kept this long (to read an incident's sign-ins), then each worker's
# periodic sweep (every TICKET_PURGE_INTERVAL_SECONDS) or `manage.py purge_tickets` deletes them.
TICKET_RETENTION_HOURS = env_float("TICKET_RETENTION_HOURS", 24.0, minimum=0.0)
TICKET_PURGE_INTERVAL_SECONDS = env_float("TICKET_PURGE_INTERVAL_SECONDS", 3600.0, minimum=1.0)
WS_MAX_FRAME_BYTES = env_int("WS_MAX_FRAME_BYTES", 65_536, minimum=1024)
# How long a socket's opening handshake (and its set-up before accept) may take. Past daphne's
# 5 s default, autobahn dropped the connection unanswered: under a burst of reconnects on a busy
# machine, 33 of 588 soak sockets (make soak, 60 s), none at 20 s.
WS_HANDSHAKE_SECONDS = env_int("WS_HANDSHAKE_SECONDS", 20, minimum=1)
# Idle sockets are pinged every interval and closed when a ping goes unanswered for the timeout.
WS_PING_INTERVAL_SECONDS = env_int("WS_PING_INTERVAL_SECONDS", 20, minimum=1)
WS_PING_TIMEOUT_SECONDS = env_int("WS_PING_TIMEOUT_SECONDS", 30, minimum=1)
DRAIN_GRACE_SECONDS = env_float("DRAIN_GRACE_SECONDS", 10.0)
# Pending connections the listening socket holds (Twisted's default, 50, drops handshakes in a
# burst of reconnects); the kernel caps it at net.core.somaxconn.
LISTEN_BACKLOG = env_int("LISTEN_BACKLOG", 1024, minimum=1)

LOG_LEVEL = env_str("LOG_LEVEL", "INFO").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "medstream.logs.JsonFormatter"}},
    "filters": {
        "worker": {"()": "medstream.logs.WorkerFilter"},
        "disallowed_host": {"()": "medstream.logs.DisallowedHostFilter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "json", "filters": ["worker"]}
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "daphne": {"level": "WARNING"},
        # A bad Host header: one WARNING a minute without a traceback, not an ERROR per request.
        "django.security.DisallowedHost": {"filters": ["disallowed_host"]},
    },
}

# Abuse limits (README, "Configuration" and "Threat model"; clinical.limits). Counted in Redis
# when REDIS_URL is set, so every worker shares them; in each process's memory otherwise.
WS_MAX_SOCKETS_PER_USER = env_int("WS_MAX_SOCKETS_PER_USER", 10, minimum=1)
# A killed worker's sockets stop counting against their users' caps after this long.
WS_SOCKET_SLOT_SECONDS = env_int("WS_SOCKET_SLOT_SECONDS", 60, minimum=3)
STREAM_STARTS_PER_MINUTE = env_int("STREAM_STARTS_PER_MINUTE", 30, minimum=1)
# Notes read without a stream (POST /api/notes/read/, the portal's "Read note") per user.
NOTE_READS_PER_MINUTE = env_int("NOTE_READS_PER_MINUTE", 60, minimum=1)
WS_MESSAGES_PER_MINUTE = env_int("WS_MESSAGES_PER_MINUTE", 120, minimum=1)
# A socket that sends more than this many times its message limit in one minute is closed (1008).
WS_FLOOD_FACTOR = env_int("WS_FLOOD_FACTOR", 3, minimum=2)


def _throttle_rate(name: str, default: str) -> str:
    """A DRF rate, ``<count>/<second|minute|hour|day>``; anything else stops the process."""
    value = env_str(name, default).strip()
    count, _, period = value.partition("/")
    if not count.isdigit() or int(count) < 1 or period not in {"second", "minute", "hour", "day"}:
        raise ImproperlyConfigured(f"{name}={value!r}: use <count>/<second|minute|hour|day>")
    return value


API_USER_RATE = _throttle_rate("API_USER_RATE", "1200/minute")
API_ANON_RATE = _throttle_rate("API_ANON_RATE", "120/minute")
LOGIN_RATE = _throttle_rate("LOGIN_RATE", "20/minute")
REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] = [
    "clinical.limits.AnonThrottle",
    "clinical.limits.UserThrottle",
]
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {
    "anon": API_ANON_RATE,
    "user": API_USER_RATE,
    "note_read": f"{NOTE_READS_PER_MINUTE}/minute",
    "login": LOGIN_RATE,
}


def _caches() -> dict:
    """``limits`` holds the REST throttles' counts: in Redis when there is one, so that every
    worker counts alike; the default cache stays in each process's memory."""
    local = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    if not REDIS_URL:
        return {"default": local, "limits": local | {"LOCATION": "limits"}}
    shared = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "medstream",
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }
    return {"default": local, "limits": shared}


CACHES = _caches()
