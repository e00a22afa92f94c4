"""The secret key, hosts, TLS behind a proxy, cookies, the Content-Security-Policy, passwords,
sign-in limits and sessions."""

from datetime import timedelta
from urllib.parse import urlsplit

from .base import BASE_URL, DATA_DIR, env

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

# Every page's Content-Security-Policy (aggregator/csp.py): our own static files only, no inline
# script or style, so injected markup in event data could not run even if it escaped.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "events:overview"
LOGOUT_REDIRECT_URL = "login"

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
