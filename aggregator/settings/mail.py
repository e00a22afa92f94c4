"""Email, and the deliveries of notification rules (alerts/)."""

from .base import DATA_DIR, env

DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="aggregator@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# EMAIL_URL (smtp://user:pass@host:25, smtp+tls://… for STARTTLS, smtp+ssl://…) or the usual
# EMAIL_* variables. With neither, the embedded default writes each message to a file in
# DATA_DIR/mail, where a new user can read what would have been sent.
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
