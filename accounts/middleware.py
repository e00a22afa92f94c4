"""Request rules of signed-in users (after AuthenticationMiddleware and django-otp's)."""

import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.cache import patch_cache_control

from . import sso
from .twofactor import PENDING

RENEW_EVERY = 60  # seconds


class PrivatePagesMiddleware:
    """Pages of a signed-in user carry event data (stack traces, variables, request data):
    no cache between the app and the browser may keep them."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not response.has_header("Cache-Control"):
            patch_cache_control(response, private=True, no_store=True)
        return response


class IdleSessionMiddleware:
    """Sessions expire after SESSION_COOKIE_AGE without a request. Renewing the session on
    every request would write it on every page; renewing at most once per RENEW_EVERY of
    activity keeps the expiry within that much of the exact idle time."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        if session is not None and session.get(SESSION_KEY):
            now = int(time.time())
            renew_every = min(RENEW_EVERY, settings.SESSION_COOKIE_AGE // 10)
            if now - session.get("_renewed", 0) >= renew_every:
                session["_renewed"] = now  # modified: saved with a new expiry and cookie
        return self.get_response(request)


class TwoFactorMiddleware:
    """A session that still owes two-factor (accounts/twofactor.py, decided at sign-in) sees
    only the two-factor pages and log out; the API answers 403 to such a session. API
    tokens carry no session and are not affected."""

    EXEMPT = ("/accounts/2fa/", "/accounts/sso/", "/accounts/logout/", "/static/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        pending = session.get(PENDING) if session is not None else None
        if pending and session.get(SESSION_KEY) and not request.path.startswith(self.EXEMPT):
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": "Two-factor verification required."}, status=403)
            url = reverse("account-2fa-verify" if pending == "verify" else "account-2fa-setup")
            return redirect(f"{url}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)


class SsoRequiredMiddleware:
    """A password session of a member of an organization that requires single sign-on (decided
    at sign-in, accounts/sso.py) sees only the page that sends it to the provider, and log out;
    the API answers 403 to such a session. API tokens carry no session and are not affected.
    Before TwoFactorMiddleware: signing in again through the provider replaces the session."""

    EXEMPT = ("/accounts/sso/", "/accounts/logout/", "/static/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        pending = session.get(sso.PENDING) if session is not None else None
        if pending and session.get(SESSION_KEY) and not request.path.startswith(self.EXEMPT):
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": "Single sign-on required."}, status=403)
            url = reverse("account-sso-required")
            return redirect(f"{url}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)
