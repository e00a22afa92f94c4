"""The user's API token page: list, create (the token is shown once), revoke."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from projects import access

from . import tokens
from .models import ApiToken

NEW_TOKEN_KEY = "api_new_token"


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100, required=False, label="Name")
    scopes = forms.MultipleChoiceField(
        choices=[
            ("read", "read: everything you can see"),
            ("write", "write: triage issues, change project settings"),
            ("admin", "admin: DSN keys and members"),
        ],
        widget=forms.CheckboxSelectMultiple,
        initial=["read"],
    )


@access.rule(access.USER)
@login_required
@require_http_methods(["GET", "POST"])
def token_list(request):
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        _row, text = ApiToken.issue(
            request.user,
            scopes=tokens.clean_scopes(form.cleaned_data["scopes"]),
            name=form.cleaned_data["name"],
        )
        # Shown once on the page the redirect leads to, so a reload does not make another.
        request.session[NEW_TOKEN_KEY] = text
        return redirect("api-tokens:list")
    new_token = request.session.pop(NEW_TOKEN_KEY, None)
    rows = list(request.user.api_tokens.filter(revoked__isnull=True).order_by("-created"))
    return render(
        request, "api/tokens.html", {"form": form, "tokens": rows, "new_token": new_token}
    )


@access.rule(access.USER)
@login_required
@require_POST
def token_revoke(request, token_id):
    token = get_object_or_404(request.user.api_tokens, pk=token_id, revoked__isnull=True)
    token.revoked = timezone.now()
    token.save(update_fields=["revoked"])
    messages.success(request, "Token revoked.")
    return redirect("api-tokens:list")
