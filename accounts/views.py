"""Sign-in pages of our own: the throttled password reset and two-factor set-up and
verification (the login itself is Django's, with django-axes counting its failures)."""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from projects import access

from . import throttle, twofactor

RESET_LIMITED = "Too many password reset requests. Try again later."
WRONG_CODE = "That code did not work. Check your device's clock, or wait a moment and try again."


@access.rule(access.PUBLIC)
class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset (it never says whether the email has an account), with a limit per
    address and per email; over it, the same refusal for every email."""

    def form_valid(self, form):
        if not throttle.reset_allowed(self.request, form.cleaned_data["email"]):
            form.add_error(None, RESET_LIMITED)
            response = self.form_invalid(form)
            response.status_code = 429
            return response
        return super().form_valid(form)


def _next(request, default="events:overview"):
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return redirect(target)
    return redirect(default)


@access.rule(access.USER)
@login_required
def two_factor(request):
    return render(request, "accounts/two_factor.html", {
        "enabled": twofactor.enabled(request.user),
        "required": twofactor.required_by_org(request.user),
    })  # fmt: skip


@access.rule(access.USER)
@login_required
def two_factor_setup(request):
    if request.session.get(twofactor.PENDING) == "verify":  # a password alone must not enroll
        return redirect("account-2fa-verify")
    device = twofactor.unconfirmed_device(request.user)
    error = None
    if request.method == "POST":
        codes = twofactor.confirm(request, device, request.POST.get("code", ""))
        if codes is not None:
            return render(request, "accounts/recovery_codes.html", {
                "codes": codes, "next": request.POST.get("next", ""),
            })  # fmt: skip
        error = WRONG_CODE
    context = {"qr": twofactor.qr_svg(device), "secret": twofactor.secret_b32(device),
               "error": error, "next": request.GET.get("next") or request.POST.get("next", ""),
               "required": request.session.get(twofactor.PENDING) == "setup"}  # fmt: skip
    return render(request, "accounts/two_factor_setup.html", context, status=400 if error else 200)


@access.rule(access.USER)
@login_required
def two_factor_verify(request):
    if not twofactor.enabled(request.user):
        return _next(request)
    if request.method == "POST":
        if twofactor.verify(request, request.POST.get("code", "")):
            return _next(request)
        context = {"error": WRONG_CODE, "next": request.POST.get("next", "")}
        return render(request, "accounts/two_factor_verify.html", context, status=400)
    return render(request, "accounts/two_factor_verify.html", {"next": request.GET.get("next", "")})


@access.rule(access.USER)
@login_required
@require_POST
def two_factor_disable(request):
    if not twofactor.verify(request, request.POST.get("code", "")):
        messages.error(request, WRONG_CODE)
        return redirect("account-2fa")
    twofactor.disable(request)
    messages.success(request, "Two-factor sign-in is off.")
    return redirect("account-2fa")


@access.rule(access.USER)
@login_required
@require_POST
def two_factor_recovery(request):
    if not twofactor.verify(request, request.POST.get("code", "")):
        messages.error(request, WRONG_CODE)
        return redirect("account-2fa")
    codes = twofactor.new_recovery_codes(request.user)
    return render(request, "accounts/recovery_codes.html", {"codes": codes, "next": ""})
