"""Request rules of signed-in users (after AuthenticationMiddleware and django-otp's)."""

import time

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.utils.cache import patch_cache_control

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
