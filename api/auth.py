"""How the API knows who is calling and what they may do: bearer tokens (or the browser
session), scopes per HTTP method, and throttling per token.

Which organizations and projects a caller sees is not decided here but in
`projects.access`, exactly as for the dashboard.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from rest_framework import authentication, exceptions, permissions, throttling

from . import tokens
from .models import ApiToken

# Writing last_used on every request would turn each read into a write; a minute is enough.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer <token>`. No header: not this scheme (the session may apply);
    a header with a bad token: 401, whatever else the request carries."""

    keyword = "bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Invalid Authorization header.")
        try:
            text = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("Invalid token.") from None
        token = ApiToken.find(text)
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid token.")
        now = timezone.now()
        if token.last_used is None or now - token.last_used > LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=token.pk).update(last_used=now)
        return token.user, token

    def authenticate_header(self, request):
        return "Bearer"


def granted_scopes(request) -> set[str]:
    """Scopes of the request: a token's own, or all of them for the browser session."""
    if isinstance(request.auth, ApiToken):
        return tokens.effective(request.auth.scopes)
    if request.user and request.user.is_authenticated:
        return set(tokens.SCOPES)
    return set()


class HasScope(permissions.BasePermission):
    """Needs an authenticated caller whose scopes cover the view's `required_scopes` for the
    method (default: read for safe methods, write for the others)."""

    message = "Your token does not have the scope this request needs."

    def has_permission(self, request, view):
        if not (request.user and request.user.is_authenticated):
            raise exceptions.NotAuthenticated()
        needed = required_scope(view, request.method)
        return needed in granted_scopes(request)


def required_scope(view, method: str) -> str:
    declared = getattr(view, "required_scopes", {})
    if method in declared:
        return declared[method]
    return "read" if method in permissions.SAFE_METHODS else "write"


class TokenRateThrottle(throttling.SimpleRateThrottle):
    """Requests per token (per user for the session); rate from settings.API_THROTTLE_RATE."""

    scope = "api"

    def get_rate(self):
        return getattr(settings, "API_THROTTLE_RATE", "1200/min")

    def allow_request(self, request, view):
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request, view):
        if isinstance(request.auth, ApiToken):
            ident = f"token-{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            ident = f"ip-{self.get_ident(request)}"
        return f"throttle_api_{ident}"
