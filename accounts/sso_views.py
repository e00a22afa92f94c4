"""The single sign-on pages: the start (to the provider), the callback (back from it) and the
page a password session is sent to when an organization requires single sign-on. The flow
itself is mozilla-django-oidc's; accounts/sso.py answers its settings."""

from django.contrib import auth
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import SuspiciousOperation
from django.http import Http404
from django.shortcuts import render
from django.views.generic import View
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from audit.log import record
from projects import access

from . import sso
from .views import _next


def _login_page(request, message: str, status: int):
    return render(request, "registration/login.html", {
        "form": AuthenticationForm(request), "sso_error": message,
        "next": request.GET.get("next", ""),
    }, status=status)  # fmt: skip


@access.rule(access.PUBLIC)
class SsoLoginView(OIDCAuthenticationRequestView):
    get_settings = staticmethod(sso.setting)

    def __init__(self, **kwargs):
        View.__init__(self, **kwargs)  # the library's reads the endpoints: get() does, below

    def get(self, request):
        if not sso.enabled():
            raise Http404("Single sign-on is not configured.")
        try:
            self.OIDC_OP_AUTH_ENDPOINT = sso.setting("OIDC_OP_AUTHORIZATION_ENDPOINT")
        except sso.Unavailable as exc:
            record("auth.sso_failed", request=request, reason="unavailable", error=str(exc)[:300])
            return _login_page(request, sso.MESSAGES["unavailable"], 502)
        self.OIDC_RP_CLIENT_ID = sso.setting("OIDC_RP_CLIENT_ID")
        return super().get(request)


@access.rule(access.PUBLIC)
class SsoCallbackView(OIDCAuthenticationCallbackView):
    get_settings = staticmethod(sso.setting)

    def get(self, request):
        if not sso.enabled():
            raise Http404("Single sign-on is not configured.")
        try:
            return super().get(request)
        except SuspiciousOperation as exc:  # a state this session did not start
            sso.fail(request, "bad_state", error=str(exc)[:300])
            return self.login_failure()

    def login_success(self):
        # The library skips the login when the session's user is the same one: a password
        # session going through single sign-on must become a single sign-on session (what it
        # owes is decided again, accounts/sessions.py).
        auth.login(self.request, self.user)
        return super().login_success()

    def login_failure(self):
        request = self.request
        reason, detail = getattr(request, sso.FAILURE, (None, {}))
        if reason is None:
            error = request.GET.get("error", "")
            reason = "provider_denied" if error == "access_denied" else "incomplete"
            detail = {"error": error[:100]} if error else {}
        email = detail.get("email", "")
        actor = None
        if email:  # the account it was aimed at, so its organizations' admins see it
            from django.contrib.auth import get_user_model

            actor = get_user_model().objects.filter(email__iexact=email).first()
        record("auth.sso_failed", actor=actor, request=request, reason=reason,
               username=email, **detail)  # fmt: skip
        message = sso.MESSAGES.get(reason, sso.DEFAULT_MESSAGE)
        return _login_page(request, message, 502 if reason in sso.PROVIDER_TROUBLE else 403)


@access.rule(access.USER)
@login_required
def sso_required(request):
    """Where a password session of a member of an organization that requires single sign-on
    is sent (accounts.middleware.SsoRequiredMiddleware)."""
    if not request.session.get(sso.PENDING):
        return _next(request)
    return render(request, "accounts/sso_required.html", {
        "organizations": sso.owed_by(request.user), "next": request.GET.get("next", ""),
    })  # fmt: skip
