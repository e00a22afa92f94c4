"""Single sign-on with an OpenID Connect provider (Keycloak, Authentik, Google, Entra ID, Okta),
through mozilla-django-oidc. Configured from the environment (OIDC_ISSUER, OIDC_CLIENT_ID,
OIDC_CLIENT_SECRET, ...); off when the issuer or the client id is missing. The provider's
endpoints come from its discovery document, fetched when first needed (a password sign-in
never waits for the provider) and kept for an hour.

Accounts are matched by verified email only (accounts/claims.py), else created; a new or
returning user joins the organizations whose owners allow their email domain. What a session
still owes is decided at sign-in (accounts/sessions.py): `PENDING` when a password session
belongs to a member of an organization that requires single sign-on (owners are exempt, so an
outage of the provider cannot lock an organization out)."""

from __future__ import annotations

import logging
import threading
import time

import jwt
import requests
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import SuspiciousOperation
from django.urls import reverse
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import import_from_settings

from projects.models import Membership, Organization

from . import claims as oidc_claims

log = logging.getLogger(__name__)

BACKEND = "accounts.sso.SsoBackend"
PENDING = "_sso_pending"
DISCOVERY_TTL = 3600  # seconds
FAILURE = "sso_failure"  # the request attribute that carries why a sign-in was refused

MESSAGES = {
    "email_not_verified": "Your identity provider has not verified your email address, so it "
    "cannot sign you in here. Verify the address with the provider, or ask an administrator.",
    "no_email": "Your identity provider did not share an email address with this site.",
    "ambiguous_email": "More than one account here has that email address. Ask an administrator.",
    "inactive": "This account is disabled.",
    "provider_denied": "The sign-in was cancelled at the identity provider.",
    "provider_error": "The identity provider's answer could not be checked. Try again later.",
    "unavailable": "The identity provider cannot be reached. Try again later.",
}
DEFAULT_MESSAGE = "Single sign-on did not complete. Try again."
PROVIDER_TROUBLE = ("provider_error", "unavailable")  # 502; other refusals are 403


class Unavailable(Exception):
    """The discovery document could not be had or is not usable."""


def enabled() -> bool:
    return bool(settings.OIDC_ISSUER and settings.OIDC_CLIENT_ID)


def display_name() -> str:
    return settings.OIDC_NAME or "single sign-on"


def context(request) -> dict:
    """Template context: the name on the login page's button, or "" when off."""
    return {"sso_name": display_name() if enabled() else ""}


_discovered: dict[str, tuple[float, dict]] = {}
_lock = threading.Lock()


def discovery(issuer: str | None = None) -> dict:
    """The provider's discovery document (cached per process for DISCOVERY_TTL)."""
    issuer = (issuer or settings.OIDC_ISSUER).rstrip("/")
    with _lock:
        cached = _discovered.get(issuer)
        if cached is not None and time.monotonic() - cached[0] < DISCOVERY_TTL:
            return cached[1]
    url = f"{issuer}/.well-known/openid-configuration"
    try:
        response = requests.get(url, timeout=settings.OIDC_TIMEOUT)
        response.raise_for_status()
        document = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise Unavailable(f"discovery document {url}: {exc}") from exc
    needed = ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri",
              "userinfo_endpoint")  # fmt: skip
    if not isinstance(document, dict) or any(not document.get(k) for k in needed):
        raise Unavailable(f"discovery document {url} lacks one of {', '.join(needed)}")
    if str(document["issuer"]).rstrip("/") != issuer:  # OpenID Connect Discovery 4.3
        raise Unavailable(f"discovery document {url} names issuer {document['issuer']!r}")
    with _lock:
        _discovered[issuer] = (time.monotonic(), document)
    return document


def forget_discovery() -> None:
    with _lock:
        _discovered.clear()


def sign_algorithm(document: dict) -> str:
    supported = document.get("id_token_signing_alg_values_supported") or ["RS256"]
    return "RS256" if "RS256" in supported else supported[0]


_FROM_DISCOVERY = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
}


def setting(name: str, *default):
    """mozilla-django-oidc's settings, answered from our environment and the discovery
    document, so that the library needs no OIDC_OP_* settings of its own."""
    if name in _FROM_DISCOVERY:
        return discovery()[_FROM_DISCOVERY[name]]
    fixed = {
        "OIDC_RP_CLIENT_ID": settings.OIDC_CLIENT_ID,
        "OIDC_RP_CLIENT_SECRET": settings.OIDC_CLIENT_SECRET,
        "OIDC_RP_SCOPES": settings.OIDC_SCOPES,
        "OIDC_AUTHENTICATION_CALLBACK_URL": "account-sso-callback",
        "OIDC_USE_PKCE": True,
        "OIDC_USE_NONCE": True,
    }
    if name in fixed:
        return fixed[name]
    if name == "OIDC_RP_SIGN_ALGO":
        return sign_algorithm(discovery())
    return import_from_settings(name, *default)


def fail(request, reason: str, **detail) -> None:
    """Notes why a sign-in is refused (the first reason wins); the callback view logs it."""
    if request is not None and not hasattr(request, FAILURE):
        setattr(request, FAILURE, (reason, detail))


def _lazy(name: str):
    return property(lambda self: setting(name))


class SsoBackend(OIDCAuthenticationBackend):
    """The code flow's back channel (token, ID token, userinfo) and the account it signs in.
    Inert for every request but the callback's: a password form posted with code and state
    parameters must not start a token exchange."""

    get_settings = staticmethod(setting)
    OIDC_OP_TOKEN_ENDPOINT = _lazy("OIDC_OP_TOKEN_ENDPOINT")
    OIDC_OP_USER_ENDPOINT = _lazy("OIDC_OP_USER_ENDPOINT")
    OIDC_OP_JWKS_ENDPOINT = _lazy("OIDC_OP_JWKS_ENDPOINT")
    OIDC_RP_CLIENT_ID = _lazy("OIDC_RP_CLIENT_ID")
    OIDC_RP_CLIENT_SECRET = _lazy("OIDC_RP_CLIENT_SECRET")
    OIDC_RP_SIGN_ALGO = _lazy("OIDC_RP_SIGN_ALGO")
    OIDC_RP_IDP_SIGN_KEY = None  # keys come from the provider's JWKS

    # Django's, which refuses an inactive user (the library's would keep their session).
    get_user = ModelBackend.get_user

    def __init__(self, *args, **kwargs):
        # Not the library's __init__: it reads the endpoints, and Django makes every backend
        # for every password sign-in too.
        self.UserModel = get_user_model()

    def authenticate(self, request, **kwargs):
        if request is None or "password" in kwargs or not enabled():
            return None
        if request.path != reverse("account-sso-callback"):
            return None
        try:
            return super().authenticate(request, **kwargs)
        except Unavailable as exc:
            fail(request, "unavailable", error=str(exc)[:300])
        except (requests.RequestException, SuspiciousOperation, jwt.PyJWTError, KeyError,
                ValueError, TypeError) as exc:  # fmt: skip
            log.warning("single sign-on refused: %s", exc)
            fail(request, "provider_error", error=str(exc)[:300])
        return None

    def verify_token(self, token, **kwargs):
        payload = super().verify_token(token, **kwargs)
        if "nonce" in kwargs:  # the ID token (userinfo as a JWT has no nonce)
            problem = oidc_claims.id_token_problem(
                payload, issuer=discovery()["issuer"], client_id=settings.OIDC_CLIENT_ID
            )
            if problem:
                fail(self.request, "provider_error", error=problem)
                raise SuspiciousOperation(f"ID token: {problem}")
        return payload

    def get_or_create_user(self, access_token, id_token, payload):
        info = self.get_userinfo(access_token, id_token, payload)
        if not isinstance(info, dict) or info.get("sub") != payload.get("sub"):
            fail(self.request, "provider_error", error="userinfo subject differs from the ID token")
            return None
        trust = settings.OIDC_TRUST_EMAIL
        reason = oidc_claims.refusal(info, trust_unflagged=trust)
        if reason:
            fail(self.request, reason, email=str(info.get("email", ""))[:254])
            return None
        email = oidc_claims.verified_email(info, trust_unflagged=trust)
        users = list(self.UserModel.objects.filter(email__iexact=email)[:2])
        if len(users) > 1:
            fail(self.request, "ambiguous_email", email=email)
            return None
        user = users[0] if users else self.create_user(info, email)
        if not user.is_active:
            fail(self.request, "inactive", email=email)
            return None
        join_by_domain(user, email)
        return user

    def create_user(self, claims, email=None):
        email = email or oidc_claims.verified_email(claims)
        first, last = oidc_claims.names(claims)
        username = free_username(oidc_claims.username_base(claims, email))
        user = self.UserModel(username=username, email=email, first_name=first, last_name=last)
        user.set_unusable_password()  # signs in through the provider (or a password reset)
        user.save()
        return user


def free_username(base: str) -> str:
    User = get_user_model()
    candidate, n = base, 1
    while User.objects.filter(username__iexact=candidate).exists():
        n += 1
        candidate = f"{base[:140]}-{n}"
    return candidate


def join_by_domain(user, email: str) -> list[Membership]:
    """Memberships for the organizations that let the email's domain join (with the role
    their owner chose) and that the user is not yet in."""
    domain = oidc_claims.email_domain(email)
    joined = []
    orgs = Organization.objects.filter(sso_domains__icontains=domain).exclude(
        memberships__user=user
    )
    for org in orgs:
        try:
            allowed = oidc_claims.parse_domains(org.sso_domains)
        except ValueError:
            continue
        if domain in allowed:
            membership, created = Membership.objects.get_or_create(
                user=user, organization=org, defaults={"role": org.sso_role}
            )
            if created:
                joined.append(membership)
    return joined


def signed_in_with_sso(session) -> bool:
    return session.get(BACKEND_SESSION_KEY) == BACKEND


def owed_by(user) -> list[Organization]:
    """The organizations that send this user's password sessions to single sign-on: those
    that require it, where the user is not an owner."""
    return list(
        Organization.objects.filter(
            require_sso=True, memberships__user=user,
            memberships__role__in=[r for r in Membership.Role.values if r != "owner"],
        ).order_by("name")
    )  # fmt: skip


def pending_for(user, *, sso: bool) -> bool:
    """At sign-in: must this session go through single sign-on before anything else?"""
    if sso or not enabled():  # without a provider configured nobody could comply
        return False
    return bool(owed_by(user))
