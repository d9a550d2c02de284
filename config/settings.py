"""Parley settings, read from the environment.

Two shapes, one code base (see docs/architecture.md):
- embedded (neither DATABASE_URL nor REDIS_URL set): SQLite under var/, the in-memory channel
  layer, Celery on the in-process memory:// transport with a worker thread, periodic jobs on an
  in-process timer. `make run` uses it; it needs nothing but Python.
- production (DATABASE_URL and REDIS_URL set): Postgres over psycopg 3, channels-redis, Celery on
  Redis, separate web / worker / beat processes.
"""

import os
import secrets
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
import redis.exceptions as redis_errors
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("PARLEY_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, "").split(",") if item.strip()]


DATABASE_URL = os.environ.get("DATABASE_URL", "")
REDIS_URL = os.environ.get("REDIS_URL", "")
EMBEDDED = not DATABASE_URL and not REDIS_URL

# --- Core: secrets and hosts. Production refuses to start without them rather than guess. ---
DEBUG = env_bool("DEBUG", default=False)
PUBLIC_URL = os.environ.get("PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
_public = urlsplit(PUBLIC_URL)
PUBLIC_URL_IS_HTTPS = _public.scheme == "https"


def _embedded_secret_key() -> str:
    """A per-checkout key kept in var/, so sessions survive a restart of `make run`."""
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not EMBEDDED:
        raise ImproperlyConfigured("SECRET_KEY is required when DATABASE_URL or REDIS_URL is set.")
    SECRET_KEY = _embedded_secret_key()

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
if not ALLOWED_HOSTS:
    if not EMBEDDED:
        raise ImproperlyConfigured("ALLOWED_HOSTS is required when DATABASE_URL or REDIS_URL is set.")
    ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]
if _public.hostname and _public.hostname not in ALLOWED_HOSTS and "*" not in ALLOWED_HOSTS:
    ALLOWED_HOSTS.append(_public.hostname)
CSRF_TRUSTED_ORIGINS = [f"{_public.scheme}://{_public.netloc}"]

# --- Applications: our three apps plus the wiring app that hosts `serve`. ---
INSTALLED_APPS = [
    "daphne",  # first, so `runserver` serves ASGI (websockets) in development
    "audit.admin_config.AuditedAdminConfig",  # django.contrib.admin whose every change is audited
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "channels",
    "django_htmx",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files, served as our own static files
    "conversations",
    "agents",
    "desk",
    "channels_in",
    "customer_clients",
    "simulator",
    "outbound_webhooks",
    "api",
    "knowledge",
    "answerbot",
    "reports",
    "audit",
    "automation",
    "operations",
    "privacy",  # a person's export and erasure (docs/privacy.md)
    "config",
]

MIDDLEWARE = [
    "operations.middleware.RequestIdAndRoute",  # first: the request id, and its route for the metrics
    "django.middleware.security.SecurityMiddleware",
    "config.static_files.StaticFilesMiddleware",  # WhiteNoise, sync and async
    "config.middleware.InputBoundaryMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "audit.context.AuditRequestMiddleware",  # who acts, and from where, for the audit log
    "desk.language.DeskLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"
WSGI_APPLICATION = None

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

# --- Database: Postgres with persistent connections in production, SQLite file when embedded. ---
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL)}
    # Persistent per-thread connections leak under ASGI (each request may run on a new thread),
    # so connections are reused through psycopg's pool instead: at most DB_POOL_MAX_SIZE per
    # process. Budget: (web + worker processes) x DB_POOL_MAX_SIZE < Postgres max_connections.
    DB_POOL_MAX_SIZE = int(os.environ.get("DB_POOL_MAX_SIZE", "20"))
    if DB_POOL_MAX_SIZE > 0:
        DATABASES["default"]["OPTIONS"] = {
            "pool": {"min_size": 1, "max_size": DB_POOL_MAX_SIZE, "timeout": 10, "max_idle": 300}
        }
    # Explicit, so a forked live server (daphne.testing) finds the same test database
    # (django/channels#2176); PARLEY_TEST_DB lets parallel runs use their own.
    DATABASES["default"]["TEST"] = {
        "NAME": os.environ.get("PARLEY_TEST_DB", f"test_{DATABASES['default']['NAME']}")
    }
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "parley.sqlite3",
            # Writers wait for each other instead of failing with "database is locked".
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
            "TEST": {"NAME": VAR_DIR / "test_parley.sqlite3"},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# The reports' covering index (reports.DailyFigure) has INCLUDE columns: Postgres reads the pages
# from it alone; SQLite (`make run`) keeps the index and ignores those columns, which is all it can.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

# --- Real time: channels-redis pub/sub in production, in-memory layer (one process) when embedded. ---
CHANNEL_LAYER_MAX_CONNECTIONS = int(os.environ.get("CHANNEL_LAYER_MAX_CONNECTIONS", "1000"))
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            # Pub/sub fan-out with a bounded queue per socket: config/channel_layer.py says why.
            "BACKEND": "config.channel_layer.BoundedPubSubChannelLayer",
            "CONFIG": {
                "hosts": [
                    {
                        "address": REDIS_URL,
                        # redis-py 8 raises past its pool cap instead of waiting: set it explicitly.
                        "max_connections": CHANNEL_LAYER_MAX_CONNECTIONS,
                        # redis-py 8 reads with a 5 s timeout by default; give reads room.
                        "socket_timeout": 30,
                        # After a Redis restart pooled connections are dead: check idle ones before
                        # use and retry a command refused by a dead connection on a fresh one.
                        "health_check_interval": 10,
                        "retry_on_error": [redis_errors.ConnectionError],
                    }
                ],
                "prefix": os.environ.get("CHANNEL_LAYER_PREFIX", "parley"),
                "capacity": 1000,
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

CACHES = (
    {"default": {"BACKEND": "config.cache.RedisCache", "LOCATION": REDIS_URL}}
    if REDIS_URL
    else {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
)

# --- Celery: Redis broker in production; memory:// with an in-process worker when embedded. ---
CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A killed worker's unacked task comes back after visibility_timeout (default one hour): keep it
# short, and never schedule an ETA longer than it (docs/architecture.md, "Delivery guarantees").
CELERY_VISIBILITY_TIMEOUT = int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "300"))
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
    "unacked_restore_interval": 10,
}
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE = {
    "wake-snoozed-conversations": {
        "task": "conversations.tasks.wake_snoozed_conversations",
        "schedule": timedelta(seconds=30),
    },
    "reroute-live-chats-of-agents-gone": {
        "task": "agents.tasks.reroute_live_chats_of_agents_gone",
        "schedule": timedelta(seconds=30),
    },
    "sweep-agent-presence": {
        "task": "agents.tasks.sweep_agent_presence",
        "schedule": timedelta(seconds=60),
    },
    "expire-live-sessions": {
        "task": "conversations.tasks.expire_live_sessions",
        "schedule": timedelta(seconds=15),
    },
    "auto-resolve-pending-conversations": {
        "task": "conversations.tasks.auto_resolve_pending_conversations",
        "schedule": timedelta(minutes=5),
    },
    "requeue-stalled-outbound": {
        "task": "conversations.tasks.requeue_stalled_outbound",
        "schedule": timedelta(seconds=60),
    },
    "settle-bot-episodes": {
        "task": "answerbot.tasks.settle_quiet_episodes",
        "schedule": timedelta(minutes=5),
    },
    "requeue-due-webhooks": {
        "task": "outbound_webhooks.tasks.requeue_due_webhooks",
        "schedule": timedelta(seconds=60),
    },
    "sync-message-templates": {
        "task": "conversations.tasks.sync_message_templates",
        "schedule": timedelta(hours=1),
    },
    "apply-pending-webhook-receipts": {
        "task": "channels_in.tasks.apply_pending_receipts",
        "schedule": timedelta(seconds=60),
    },
    "poll-email-mailboxes": {  # IMAP: each email inbox's new mail (channels_in/email/imap.py)
        "task": "channels_in.tasks.poll_mailboxes",
        "schedule": timedelta(seconds=30),
    },
    "forget-quiet-mail-senders": {  # the mail-storm counts of windows that are over
        "task": "channels_in.tasks.forget_quiet_mail_senders",
        "schedule": timedelta(hours=1),
    },
    "sweep-sla-breaches": {
        "task": "reports.tasks.sweep_sla_breaches",
        "schedule": timedelta(seconds=30),
    },
    "catch-up-report-rollups": {
        "task": "reports.tasks.catch_up_rollups",
        "schedule": timedelta(minutes=5),
    },
    "requeue-stale-surveys": {
        "task": "reports.csat.tasks.requeue_stale_surveys",
        "schedule": timedelta(minutes=1),
    },
    "sweep-retention": {  # each inbox's resolved conversations past its retention (privacy.retention)
        "task": "privacy.tasks.sweep_retention",
        "schedule": timedelta(hours=1),
    },
}
# Without Redis nothing else can reach the memory:// broker: `serve` runs a worker thread and the
# beat schedule inside the web process.
PARLEY_EMBEDDED_WORKER = not REDIS_URL

# --- Auth and i18n. ---
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/desk/login/"
LOGIN_REDIRECT_URL = "/desk/"
LANGUAGE_CODE = "en"
# The help center's own words (buttons, headings, messages) in the languages a portal is offered in.
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static and media files: WhiteNoise serves static from the one web process. ---
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
if EMBEDDED:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # served from the finders; WhiteNoise wants the root
STATICFILES_DIRS = [BASE_DIR / "static"]
# Production serves collectstatic's hashed, compressed files (the Dockerfile collects them); a
# checkout that never ran collectstatic (make run, live-server tests) serves the sources.
STATIC_MANIFEST = env_bool("STATICFILES_MANIFEST", default=not EMBEDDED and not DEBUG)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "config.storage.HashedModulesStaticFilesStorage"
        if STATIC_MANIFEST
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not STATIC_MANIFEST
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
# Attachments on S3-compatible storage (AWS, MinIO, R2…) when a bucket is named: private objects
# read through short-lived signed URLs. Credentials come from boto3's usual chain (AWS_ACCESS_KEY_ID…).
if MEDIA_S3_BUCKET := os.environ.get("MEDIA_S3_BUCKET", ""):
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": MEDIA_S3_BUCKET,
            "endpoint_url": os.environ.get("MEDIA_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("MEDIA_S3_REGION") or None,
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": 3600,
            "file_overwrite": False,
        },
    }

# --- Security: safe by default; https-only cookies and HSTS when PUBLIC_URL is https. ---
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
if PUBLIC_URL_IS_HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=False)
    if not SECURE_HSTS_PRELOAD:
        # Preloading is a promise about the whole domain that only its owner can make; opt in above.
        SILENCED_SYSTEM_CHECKS = [*SILENCED_SYSTEM_CHECKS, "security.W021"]

# --- Email: transcripts and "you have a reply" notices. SMTP when EMAIL_HOST is set; otherwise each
# message is written as a file under var/mail/ (nothing is lost, nothing leaves the machine). ---
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Parley <no-reply@localhost>")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=EMAIL_PORT == 587)
    EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", default=EMAIL_PORT == 465)
    EMAIL_TIMEOUT = 20
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = VAR_DIR / "mail"

# --- Logging: one line per event to stderr; the process manager keeps it. ---
# Embedded (`make run`), the in-process worker's line per task and the HTTP client's line per
# provider call would bury the demo logins and addresses printed at start: those loggers say only
# warnings there, unless LOG_LEVEL is set.
_QUIET_LOGGERS = ("celery", "httpx", "daphne") if EMBEDDED and "LOG_LEVEL" not in os.environ else ()
from config.observability import *  # noqa: E402, F403  (log format, /metrics, workers' metrics port)

LOGGING = logging_config(quiet_loggers=_QUIET_LOGGERS)  # noqa: F405

# --- Providers: one base URL each, so tests and the simulator can point adapters at a local server. ---
TWILIO_API_URL = os.environ.get("TWILIO_API_URL", "https://api.twilio.com")
META_GRAPH_URL = os.environ.get("META_GRAPH_URL", "https://graph.facebook.com")
META_GRAPH_VERSION = os.environ.get("META_GRAPH_VERSION", "v21.0")
TELEGRAM_API_URL = os.environ.get("TELEGRAM_API_URL", "https://api.telegram.org")
# Kept well under CELERY_VISIBILITY_TIMEOUT: a send must end before its lease does.
PARLEY_PROVIDER_TIMEOUT_SECONDS = float(os.environ.get("PARLEY_PROVIDER_TIMEOUT_SECONDS", "15"))
# The demo's provider simulator: `manage.py serve` runs a fake Twilio/Meta/Telegram in-process, points
# the URLs above at it and serves /simulator/, a no-login page that plays customers. So it is on only
# when embedded with no provider URL set; PARLEY_SIMULATOR=1 forces it (never on a public server).
_PROVIDER_URL_SET = any(
    os.environ.get(name) for name in ("TWILIO_API_URL", "META_GRAPH_URL", "TELEGRAM_API_URL")
)
PARLEY_SIMULATOR = env_bool("PARLEY_SIMULATOR", default=EMBEDDED and not _PROVIDER_URL_SET)

# --- Parley's own knobs (sessions, routing, live chat, self-service, email): config/product_settings.py. ---
from config.product_settings import *  # noqa: E402, F403

# --- REST API (api/, docs/api.md): agents by token or desk session; one error shape and schema. ---
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.AgentTokenAuthentication",  # first: its "Token" challenge makes 401s
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["api.authentication.IsAgent"],
    "DEFAULT_PARSER_CLASSES": ["api_common.parsers.BoundaryJSONParser"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_SCHEMA_CLASS": "api_common.openapi.ParleySchema",
    "EXCEPTION_HANDLER": "api.errors.api_exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Parley API",
    "DESCRIPTION": "Parley's REST API. For agents (token per agent): contacts, conversations, messages, "
    "labels and inboxes (docs/api.md). For a business's own app as a channel (inbox token, under "
    "/api/v1/channel/): its customers' messages in and their conversations out (docs/channels.md).",
    "VERSION": "1.0.0",
    "SWAGGER_UI_DIST": "SIDECAR",  # no CDN: the page works on a network without internet
    "SWAGGER_UI_FAVICON_HREF": "/favicon.ico",  # ours, which redirects to the icon
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SERVE_INCLUDE_SCHEMA": False,
    "ENUM_NAME_OVERRIDES": {
        "ConversationStatusEnum": "conversations.models.Conversation.Status",
        "PriorityEnum": "conversations.models.Conversation.Priority",
        "DeliveryStatusEnum": "conversations.models.Message.DeliveryStatus",
        "SenderKindEnum": "conversations.models.Message.SenderKind",
        "MessageContentTypeEnum": "conversations.models.Message.ContentType",
        "ChannelTypeEnum": "conversations.models.ChannelType",
        "InboxModeEnum": "conversations.models.Inbox.Mode",
    },
}
