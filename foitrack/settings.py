"""All settings, read from the environment in this one module.

Absent ``DATABASE_URL`` means a SQLite file in the project root (the embedded default); absent
``CELERY_BROKER_URL``/``REDIS_URL`` means tasks run in-process, eagerly.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONE, SELF, UNSAFE_HASHES
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name: str, default: str = "False") -> bool:
    value = os.environ.get(name, default).strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def envint(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from None


def envint_or_none(name: str) -> int | None:
    """A whole number of at least 1, or None when unset or empty (the feature is off)."""
    if not os.environ.get(name):
        return None
    value = envint(name, 0)
    if value < 1:
        raise ImproperlyConfigured(f"{name} must be at least 1 (or unset to turn it off)")
    return value


def envlist(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = envbool("DEBUG", "False")
# Without SECRET_KEY, management commands (check, makemigrations) still run on a development
# key; `check --deploy` flags it, and the WSGI/ASGI entry points refuse to serve with it.
DEVELOPMENT_SECRET_KEY = "django-insecure-development-only-key-not-for-production-use-0123456789"
SECRET_KEY = os.environ.get("SECRET_KEY") or DEVELOPMENT_SECRET_KEY
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS")
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "foitrack.admin.FoitrackAdminConfig",  # django.contrib.admin, with foitrack's own site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "simple_history",
    "axes",
    "csp",
    "anymail",
    "requests_app",
    "aggregation",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Outside everything else, so that every response carries the policy.
    "csp.middleware.CSPMiddleware",
    # Before anything reads the request: a NUL in a path, query, header or form is a 400 here.
    "requests_app.inputs.RequestInputMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes requires: it turns a locked-out login into its 429 response.
    "axes.middleware.AxesMiddleware",
]

# Logins are throttled: django-axes checks every authentication first (it needs the request).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Five wrong passwords for one username from one address lock that pair out for 15 minutes.
AXES_FAILURE_LIMIT = envint("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=envint("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False  # one line per start-up and login in every command and test otherwise

# Content-Security-Policy on every response: scripts, styles and images from this site only, and
# nothing inline. The admin's own static files need no more, and the dashboard's charts are SVG
# drawn on the server (presentation attributes, no script, no style attribute). One exception,
# by its hash: the history list of django-simple-history styles its paginator inline.
SIMPLE_HISTORY_PAGINATOR_STYLE = "'sha256-XMXSevYjgSjXgRafBFDvtjwX+yyWLrxfso9DcNZ9UXM='"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_HASHES, SIMPLE_HISTORY_PAGINATOR_STYLE],
        "img-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

ROOT_URLCONF = "foitrack.urls"
WSGI_APPLICATION = "foitrack.wsgi.application"
ASGI_APPLICATION = "foitrack.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "foitrack" / "templates"],
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

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=envint("DB_CONN_MAX_AGE", 0),
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Shared by every process when set (throttle counts, say); per process otherwise.
CACHE_URL = os.environ.get("CACHE_URL", "")
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
    if CACHE_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}

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

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Uploaded responses live outside any public URL; they are served only through permission checks.
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))

# Responses: the upload limit and how long and how often a parse may try.
UPLOAD_MAX_BYTES = envint("UPLOAD_MAX_MB", 25) * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FILES = envint("UPLOAD_MAX_FILES", 20)
# A request body without its files (JSON, form fields): Django never counts uploaded files here.
DATA_UPLOAD_MAX_MEMORY_SIZE = envint("REQUEST_MAX_KB", 1024) * 1024
PARSE_TIME_LIMIT_SECONDS = envint("PARSE_TIME_LIMIT_SECONDS", 120)
PARSE_MAX_ATTEMPTS = envint("PARSE_MAX_ATTEMPTS", 3)
# How often a parse writes the rows it has read so far, for the admin and the API.
PARSE_PROGRESS_MS = envint("PARSE_PROGRESS_MS", 1000)
# Record lists (one row per crime, about child victims): their original files are deleted this
# many days after their figures were settled (approved, or parsed with nothing to review); the
# figures and the sheet and cell of each stay. Unset: originals are kept.
RECORD_LIST_RETENTION_DAYS = envint_or_none("RECORD_LIST_RETENTION_DAYS")

# Email: the overdue digest goes to each campaign owner.
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", BASE_DIR / "sent-emails")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = envint("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", "False")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "foitrack@localhost")
EMAIL_TIMEOUT = envint("EMAIL_TIMEOUT", 30)

# Requests go out by email and replies come back: each request's letter is sent from, and
# answered to, REPLY_ADDRESS with the request's unguessable token in place of {token}.
REPLY_ADDRESS = os.environ.get("REPLY_ADDRESS", "foi+{token}@localhost")
if REPLY_ADDRESS.count("{token}") != 1 or "@" not in REPLY_ADDRESS.partition("{token}")[2]:
    raise ImproperlyConfigured(
        f"REPLY_ADDRESS must be an address with one {{token}} before the @, not {REPLY_ADDRESS!r}"
    )
MAIL_MAX_ATTEMPTS = envint("MAIL_MAX_ATTEMPTS", 8)
MAIL_RETRY_SECONDS = envint("MAIL_RETRY_SECONDS", 60)
# Replies: fetched from this mailbox, e.g. imaps://user:password@imap.example.org/INBOX.
IMAP_URL = os.environ.get("IMAP_URL", "")
IMAP_POLL_SECONDS = envint("IMAP_POLL_SECONDS", 300)
# ... or posted by Mailgun's inbound route to /mail/inbound/mailgun/, signed with this key.
ANYMAIL = {"MAILGUN_WEBHOOK_SIGNING_KEY": os.environ.get("MAILGUN_WEBHOOK_SIGNING_KEY", "")}

# Celery: a broker URL means real workers; none means tasks run eagerly in-process.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL") or os.environ.get("REDIS_URL") or None
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_QUEUE", "celery")
# With the broker down, an upload must not hang: publish fails fast, the sweeper re-queues later.
CELERY_BROKER_CONNECTION_TIMEOUT = 3
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 1}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_MAX_MEMORY_PER_CHILD = envint("WORKER_MAX_MEMORY_KB", 1024 * 1024)
CELERY_BEAT_SCHEDULE = {
    "mark-overdue-daily": {
        "task": "requests_app.tasks.mark_overdue",
        "schedule": crontab(hour=7, minute=0),
    },
    "sweep-stuck-documents": {
        "task": "aggregation.tasks.sweep_stuck_documents",
        "schedule": 5 * 60,
    },
    "purge-record-list-originals-daily": {
        "task": "aggregation.tasks.purge_record_list_originals",
        "schedule": crontab(hour=3, minute=0),
    },
    "sweep-orphan-files": {
        "task": "aggregation.tasks.sweep_orphan_files",
        "schedule": 60 * 60,
    },
    "retry-emails": {"task": "requests_app.tasks.retry_emails", "schedule": 5 * 60},
    "fetch-replies": {"task": "requests_app.tasks.fetch_replies", "schedule": IMAP_POLL_SECONDS},
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["requests_app.permissions.ResearcherWritesOthersRead"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    # DRF's own parsers, bounded (depth) and refusing text PostgreSQL cannot store.
    "DEFAULT_PARSER_CLASSES": [
        "requests_app.inputs.JSONParser",
        "requests_app.inputs.FormParser",
        "requests_app.inputs.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 100,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "requests_app.api.exception_handler",
    # Bounds scripted abuse of the API; a signed-in researcher never comes near these.
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": os.environ.get("API_THROTTLE_ANON", "60/minute"),
        "user": os.environ.get("API_THROTTLE_USER", "1200/minute"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "foitrack API",
    "DESCRIPTION": "FOI requests to UK police forces, their deadlines and the figures returned.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema is part of the API: anonymous users get nothing.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "RequestStatusEnum": "requests_app.models.Status",
        "ConflictKindEnum": "aggregation.models.ConflictKind",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # In-process (eager) tasks would log every success into command output.
    "loggers": {"celery.app.trace": {"level": "WARNING"}},
}

# Production hardening: on whenever DEBUG is off, so `check --deploy` is clean.
if not DEBUG:
    SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", "True")
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    X_FRAME_OPTIONS = "DENY"
