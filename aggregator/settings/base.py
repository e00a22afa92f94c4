"""Paths, the public address, the apps and the request pipeline, locale, logging."""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
DATA_DIR = Path(env("DATA_DIR", default=str(BASE_DIR / "data"))).resolve()

DEBUG = env.bool("DEBUG", default=False)
# Without BASE_URL, the address of the web server on this machine: its port follows WEB_PORT.
_local_url = f"http://localhost:{env('WEB_PORT', default='8000')}"  # lowercase: no setting
BASE_URL = env("BASE_URL", default=_local_url).rstrip("/")
# Where the UDP listener listens (the Procfile's udp: reads it too): the setup page's udp:// DSNs.
UDP_BIND = env("UDP_BIND", default="127.0.0.1:9001")

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
    "monitors",  # cron monitors
    "feedback",  # user feedback
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

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
}
