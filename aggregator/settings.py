"""The one settings module. Everything comes from the environment; with nothing set the
embedded default runs: SQLite and a file-based Celery broker under DATA_DIR, no servers.

Importing it reads the environment (and the secret key file) and nothing else: whoever
needs a folder under DATA_DIR makes it (`manage.py bootstrap`, the file broker, the SQLite
ingest queue, collectstatic). Test-only settings are in tests/settings.py."""

from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import environ
from whitenoise.compress import Compressor

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
DATA_DIR = Path(env("DATA_DIR", default=str(BASE_DIR / "data"))).resolve()
# Written once by `manage.py bootstrap` (./run.sh runs it) when SECRET_KEY is not set.
SECRET_KEY_FILE = DATA_DIR / "secret_key"


def _secret_key() -> str:
    """SECRET_KEY from the environment, else the one in SECRET_KEY_FILE. Empty when there
    is neither: commands that need no key still run (bootstrap, which writes it, among
    them), and the web server and the worker refuse to start (aggregator/secret_key.py)."""
    if env("SECRET_KEY", default=""):  # empty counts as unset (docker-compose.yml passes it so)
        return env("SECRET_KEY")
    try:
        return SECRET_KEY_FILE.read_text().strip()
    except FileNotFoundError:
        return ""


SECRET_KEY = _secret_key()
DEBUG = env.bool("DEBUG", default=False)
# Without BASE_URL, the address of the web server on this machine: its port follows WEB_PORT.
_LOCAL_URL = f"http://localhost:{env('WEB_PORT', default='8000')}"
BASE_URL = env("BASE_URL", default=_LOCAL_URL).rstrip("/")
# Where the UDP listener listens (the Procfile's udp: reads it too): the setup page's udp:// DSNs.
UDP_BIND = env("UDP_BIND", default="127.0.0.1:9001")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[]) or [  # empty: as if unset
    urlsplit(BASE_URL).hostname,
    "localhost",
    "127.0.0.1",
    "[::1]",
]
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[BASE_URL])

# --- Behind a reverse proxy that terminates TLS: requests count as https when the proxy says
# so (redirects, CSRF's origin check). Only for a proxy that sets X-Forwarded-Proto itself,
# replacing the client's, or any client could claim https.
if env.bool("BEHIND_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Cookies over https only when the site is served over https.
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = urlsplit(BASE_URL).scheme == "https"
# HSTS is opt-in: once a browser has seen it, it refuses plain http for that long.
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "projects",
    "events",
    "events.dashboard",
    "digests",
    "alerts",
    "api",
    "sourcemaps",
    "releases",  # releases, deploys, commits; hooks into the worker's batch write
    "outcomes",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "accounts",
    "audit",
    "ops",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "audit.log.CurrentRequest",  # who and from where, for the audit log
    "accounts.middleware.IdleSessionMiddleware",
    "accounts.middleware.PrivatePagesMiddleware",
    "accounts.middleware.SsoRequiredMiddleware",
    "accounts.middleware.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "aggregator.csp.ContentSecurityPolicyMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns axes' lockout into our login page
]

# Every page's Content-Security-Policy (aggregator/csp.py): our own static files only, no inline
# script or style, so injected markup in event data could not run even if it escaped.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)

ROOT_URLCONF = "aggregator.urls"
WSGI_APPLICATION = "aggregator.wsgi.application"

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
                "accounts.sso.context",  # the login page's "Sign in with ..." button
            ],
        },
    },
]

# --- Database: PostgreSQL when DATABASE_URL says so, else SQLite in DATA_DIR.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{DATA_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            # WAL lets the web process read while a worker writes; IMMEDIATE takes the write
            # lock up front so concurrent writers wait (timeout) instead of failing mid-way.
            "init_command": "PRAGMA auto_vacuum=INCREMENTAL; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
        }
    )
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", 60)
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis (optional): the ingest queue and the cache live there when it is configured.
REDIS_URL = env("REDIS_URL", default="")

# --- Celery: Redis or RabbitMQ when CELERY_BROKER_URL says so, else a folder under DATA_DIR.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://localhost//")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = DATA_DIR / "broker"  # made by the transport when it connects
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "control_folder": str(_broker_dir / "control"),
        "polling_interval": 0.2,
    }
    CELERY_BROKER_TRANSPORT = "aggregator.fsbroker:Transport"  # whole messages only
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# The worker's CPU priority below the web's (nice 0-19; aggregator/priority.py): ingest
# first in a burst, processing catches up after it.
WORKER_NICE = env.int("WORKER_NICE", default=0)
# Prefork children in process groups of their own (aggregator/celery.py), for supervisors
# that stop a worker by signalling its group: the Procfile sets it, for honcho.
WORKER_CHILDREN_OWN_GROUP = env.bool("WORKER_CHILDREN_OWN_GROUP", default=False)
# Beat as a thread of the worker (aggregator/embedded_beat.py), instead of a process of its
# own: for one worker only, with no separate `celery beat`.
WORKER_BEAT = env.bool("WORKER_BEAT", default=False)
# The raven UDP listener as a thread of the worker (aggregator/embedded_udp.py), instead of
# `manage.py udpserver`: HOST:PORT, for one worker only. ./run.sh sets it from UDP_BIND.
WORKER_UDP_BIND = env("WORKER_UDP_BIND", default="")
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BEAT_SCHEDULE = {
    # Safety net: ingest kicks a drain itself; this catches anything a kick missed
    # (a broker hiccup, a worker restart) and reclaims events of dead consumers.
    "drain-ingest-queue": {
        "task": "events.tasks.process_ingest_queue",
        "schedule": 2.0,
        "options": {"expires": 10},
    },
    # Payloads spooled to local disk while the queue was away, left by a web process that
    # has not replayed them itself (it replays its own as soon as the queue answers).
    "replay-spool": {
        "task": "events.tasks.replay_spool",
        "schedule": 10.0,
        "options": {"expires": 30},
    },
    # Email digests that are due (digests/sending.py); a missed or repeated run is harmless.
    "send-digests": {
        "task": "digests.tasks.send_digests",
        "schedule": 300.0,
        "options": {"expires": 240},
    },
    # Alert deliveries recorded but never tried (their send task was lost).
    "send-stuck-alert-deliveries": {
        "task": "alerts.tasks.send_stuck_deliveries",
        "schedule": 300.0,
        "options": {"expires": 240},
    },
}
# --- Data lifecycle (events/lifecycle.py): retention runs hourly, in batches of this many
# events per transaction; past EVENTS_PER_ISSUE stored events (a project may set its own) an
# issue keeps a sample, its counts stay exact (events/processing/store.py).
CELERY_BEAT_SCHEDULE["expire-events"] = {
    "task": "events.tasks.expire_events",
    "schedule": env.float("RETENTION_EVERY_SECONDS", default=3600.0),
    "options": {"expires": 1800},
}
CLEANUP_BATCH_SIZE = env.int("CLEANUP_BATCH_SIZE", default=1000)
# Share of the time a cleanup spends deleting (it pauses between batches): 1 = no pauses.
CLEANUP_DUTY = env.float("CLEANUP_DUTY", default=0.2)
EVENTS_PER_ISSUE = env.int("EVENTS_PER_ISSUE", default=1000)

CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")
# Beat records a heartbeat on every tick (ops/beat.py), for /-/ready/ and the status page.
CELERY_BEAT_SCHEDULER = "ops.beat:HeartbeatScheduler"
# The status page's queue chart and ingest rates (ops/tasks.py).
CELERY_BEAT_SCHEDULE["sample-pipeline"] = {
    "task": "ops.tasks.sample_pipeline",
    "schedule": 60.0,
    "options": {"expires": 50},
}

# --- Ingest queue: a Redis stream when Redis is configured, else a SQLite file in DATA_DIR.
INGEST_QUEUE_URL = env(
    "INGEST_QUEUE_URL", default=REDIS_URL or f"sqlite:///{DATA_DIR / 'ingest.sqlite3'}"
)
INGEST_BATCH_SIZE = env.int("INGEST_BATCH_SIZE", default=500)
INGEST_VISIBILITY_TIMEOUT = env.int("INGEST_VISIBILITY_TIMEOUT", default=120)
# Past this many queued events ingest answers 429 + Retry-After instead of growing the queue
# (50,000 brotli envelopes of the benchmark are ~170 MB of Redis memory).
INGEST_MAX_BACKLOG = env.int("INGEST_MAX_BACKLOG", default=50_000)
# Ingest first (events/processing/pacing.py): while more events than this arrive per second,
# drains wait, unless the backlog has reached INGEST_FIRST_MAX_BACKLOG. 0 turns it off.
# ./run.sh's one-worker default layout sets 2,500.
INGEST_FIRST_ABOVE = env.int("INGEST_FIRST_ABOVE", default=0)
INGEST_FIRST_MAX_BACKLOG = env.int("INGEST_FIRST_MAX_BACKLOG", default=INGEST_MAX_BACKLOG // 2)
# Payloads kept on local disk while the queue is unreachable; past this, 429.
INGEST_MAX_SPOOL = env.int("INGEST_MAX_SPOOL", default=100_000)
# Each accepted payload asks a worker to drain; off, draining waits for beat (every 2 s).
INGEST_AUTO_DRAIN = env.bool("INGEST_AUTO_DRAIN", default=True)
INGEST_MAX_BODY_BYTES = env.int("INGEST_MAX_BODY_BYTES", default=20 * 1024 * 1024)
UDP_RCVBUF_BYTES = env.int("UDP_RCVBUF_BYTES", default=8 * 1024 * 1024)  # manage.py udpserver

# --- Operations (ops/): Prometheus metrics and the status page.
# Each process's counters, as memory-mapped files that /metrics adds up (aggregator/metrics.py).
METRICS_DIR = Path(env("METRICS_DIR", default=str(DATA_DIR / "metrics")))
# /metrics answers requests that carry `Authorization: Bearer <METRICS_TOKEN>`; with no token
# set it answers only on METRICS_BIND (host:port, `manage.py metricsserver`), never on the web
# port.
METRICS_TOKEN = env("METRICS_TOKEN", default="")
METRICS_BIND = env("METRICS_BIND", default="127.0.0.1:9091")

if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- The REST API at /api/0/ (api/): tokens or the session, JSON only, throttled per token.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.auth.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",  # with CSRF
    ],
    "DEFAULT_PERMISSION_CLASSES": ["api.auth.HasScope"],
    "DEFAULT_THROTTLE_CLASSES": ["api.auth.TokenRateThrottle"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "api.schema.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "EXCEPTION_HANDLER": "api.errors.handle",
}
API_THROTTLE_RATE = env("API_THROTTLE_RATE", default="1200/min")
SPECTACULAR_SETTINGS = {
    "TITLE": "Aggregator API",
    "DESCRIPTION": "The Sentry-compatible web API: organizations, projects, issues, events, keys.",
    "VERSION": "0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SCHEMA_PATH_PREFIX": "/api/0/",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "RuleMatchEnum": "api.rule_serializers.MATCH",
        "RuleStatusEnum": "api.rule_serializers.RULE_STATUS",
        "DeliveryStatusEnum": "alerts.models.Delivery.Status",
        "MemberRoleEnum": "api.member_views.ROLES",  # role and orgRole: one name
    },
    # A summary on every operation for the docs page (api/summaries.py), after the default.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.summaries.add_summaries",
    ],
}

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "events:overview"
LOGOUT_REDIRECT_URL = "login"
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="aggregator@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Email: EMAIL_URL (smtp://user:pass@host:25, smtp+tls://… for STARTTLS, smtp+ssl://…)
# or the usual EMAIL_* variables. With neither, the embedded default writes each message to a
# file in DATA_DIR/mail, where a new user can read what would have been sent.
if "EMAIL_URL" in env:
    _email = env.email_url("EMAIL_URL")
    EMAIL_BACKEND = _email["EMAIL_BACKEND"]
    EMAIL_HOST = _email["EMAIL_HOST"] or "localhost"
    EMAIL_HOST_USER = _email["EMAIL_HOST_USER"] or ""
    EMAIL_HOST_PASSWORD = _email["EMAIL_HOST_PASSWORD"] or ""
    EMAIL_USE_TLS = _email.get("EMAIL_USE_TLS", False)  # smtp+tls://
    EMAIL_USE_SSL = _email.get("EMAIL_USE_SSL", False)  # smtp+ssl://
    EMAIL_PORT = _email["EMAIL_PORT"] or (465 if EMAIL_USE_SSL else 25)
    EMAIL_FILE_PATH = _email["EMAIL_FILE_PATH"] or str(DATA_DIR / "mail")  # filemail://
elif "EMAIL_HOST" in env:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = env("EMAIL_HOST")
    EMAIL_PORT = env.int("EMAIL_PORT", default=25)
    EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
    EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
    EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
    EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = str(DATA_DIR / "mail")
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)

# --- Notification rules (alerts/): webhook guard and the retry schedule of deliveries.
# Webhooks to loopback, private and link-local addresses are refused unless this is on.
ALERTS_WEBHOOK_ALLOW_PRIVATE = env.bool("ALERTS_WEBHOOK_ALLOW_PRIVATE", default=False)
ALERTS_WEBHOOK_TIMEOUT = env.float("ALERTS_WEBHOOK_TIMEOUT", default=5.0)
ALERTS_MAX_RETRIES = env.int("ALERTS_MAX_RETRIES", default=5)
ALERTS_RETRY_BASE_SECONDS = env.float("ALERTS_RETRY_BASE_SECONDS", default=30.0)  # doubles

# --- Outcomes (outcomes/): the edges fold their in-process counts this often (seconds).
OUTCOMES_FLUSH_SECONDS = env.float("OUTCOMES_FLUSH_SECONDS", default=5.0)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Accounts (accounts/): guessing limits, sessions.
# django-axes counts failed sign-ins per account and per client address (separately, in the
# database); at LOGIN_FAILURE_LIMIT either is locked for LOGIN_LOCKOUT_MINUTES, with the same
# message whether or not the account exists (accounts/throttle.py).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "accounts.sso.SsoBackend",  # inert unless OIDC_* below are set
]
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False  # a lockout ends on its own clock
AXES_LOCKOUT_CALLABLE = "accounts.throttle.locked_out"
AXES_CLIENT_IP_CALLABLE = "accounts.throttle.client_ip"
AXES_VERBOSE = False
# Password-reset requests per client address and per email (a `limits` rate string).
PASSWORD_RESET_LIMIT = env("PASSWORD_RESET_LIMIT", default="5/hour")
# A session ends after this long without a request (accounts.middleware.IdleSessionMiddleware
# renews it at most once a minute).
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_MINUTES", default=14 * 24 * 60) * 60
# An invitation link to join an organization works this many days.
INVITATION_DAYS = env.int("INVITATION_DAYS", default=7)
# Two-factor (django-otp): the name authenticator apps show next to the code.
OTP_TOTP_ISSUER = env("OTP_TOTP_ISSUER", default="Aggregator")
# Single sign-on (accounts/sso.py, mozilla-django-oidc): OpenID Connect, on when the issuer and
# the client id are set. The issuer URL is the one whose /.well-known/openid-configuration is
# the discovery document; register BASE_URL/accounts/sso/callback/ as the redirect URI.
OIDC_ISSUER = env("OIDC_ISSUER", default="").rstrip("/")
OIDC_CLIENT_ID = env("OIDC_CLIENT_ID", default="")
OIDC_CLIENT_SECRET = env("OIDC_CLIENT_SECRET", default="")
OIDC_NAME = env("OIDC_NAME", default="single sign-on")  # the login page's "Sign in with ..."
OIDC_SCOPES = env("OIDC_SCOPES", default="openid email profile")
# Providers that send no email_verified claim but only verified addresses (Entra ID): trust
# an email without the claim. An email_verified of false is refused whatever this says.
OIDC_TRUST_EMAIL = env.bool("OIDC_TRUST_EMAIL", default=False)
OIDC_TIMEOUT = env.float("OIDC_TIMEOUT", default=10.0)  # seconds, each call to the provider

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Made by collectstatic: ./run.sh's in DATA_DIR, the Docker image's at build time (STATIC_ROOT).
STATIC_ROOT = Path(env("STATIC_ROOT", default=str(DATA_DIR / "static")))
# Serve app static files even where collectstatic has not run (tests, a fresh checkout).
WHITENOISE_USE_FINDERS = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "aggregator.staticstorage.StaticFilesStorage"},
}
# Source maps (7 of Swagger UI's and ReDoc's 11 MB) are read by browser dev tools only:
# compressing them took most of a first start's collectstatic.
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = [*Compressor.SKIP_COMPRESS_EXTENSIONS, "map"]

# --- Source maps (sourcemaps/): chunks, bundles and release files go through Django's storage
# API: a folder under DATA_DIR, or any django-storages backend (SOURCEMAP_STORAGE_BACKEND and
# its options as JSON, e.g. {"bucket_name": "maps"}). The limits are announced to sentry-cli
# by the chunk-upload options and enforced on arrival and when a bundle is assembled.
STORAGES["sourcemaps"] = {
    "BACKEND": env(
        "SOURCEMAP_STORAGE_BACKEND", default="django.core.files.storage.FileSystemStorage"
    ),
    "OPTIONS": env.json("SOURCEMAP_STORAGE_OPTIONS", default={})
    or {"location": str(DATA_DIR / "sourcemaps")},
}
SOURCEMAP_CHUNK_SIZE = env.int("SOURCEMAP_CHUNK_SIZE", default=8 * 1024 * 1024)
SOURCEMAP_CHUNKS_PER_REQUEST = env.int("SOURCEMAP_CHUNKS_PER_REQUEST", default=16)
SOURCEMAP_MAX_REQUEST_SIZE = env.int("SOURCEMAP_MAX_REQUEST_SIZE", default=32 * 1024 * 1024)
SOURCEMAP_MAX_BUNDLE_SIZE = env.int("SOURCEMAP_MAX_BUNDLE_SIZE", default=256 * 1024 * 1024)
SOURCEMAP_MAX_UNCOMPRESSED = env.int("SOURCEMAP_MAX_UNCOMPRESSED", default=512 * 1024 * 1024)
SOURCEMAP_MAX_FILE_SIZE = env.int("SOURCEMAP_MAX_FILE_SIZE", default=40 * 1024 * 1024)
SOURCEMAP_MAX_ENTRIES = env.int("SOURCEMAP_MAX_ENTRIES", default=10000)
# What 2.x may use ("release_files", "artifact_bundles"): both, so it sends artifact bundles.
SOURCEMAP_ACCEPT = env.list("SOURCEMAP_ACCEPT", default=["release_files", "artifact_bundles"])
SOURCEMAP_CACHE_BYTES = env.int("SOURCEMAP_CACHE_BYTES", default=256 * 1024 * 1024)  # per worker
CELERY_BEAT_SCHEDULE["expire-sourcemap-chunks"] = {  # chunks live a day after their upload
    "task": "sourcemaps.tasks.expire_chunks",
    "schedule": 3600.0,
    "options": {"expires": 3000},
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
}

# --- Cron monitors and user feedback (monitors/, feedback/): their apps, and beat's pass for
# missed check-ins and timeouts once a minute (monitors/beat.py).
INSTALLED_APPS += ["monitors", "feedback"]
CELERY_BEAT_SCHEDULE["check-monitors"] = {
    "task": "monitors.tasks.check_monitors",
    "schedule": 60.0,
    "options": {"expires": 50},
}
