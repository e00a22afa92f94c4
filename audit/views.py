"""The organization's audit log page (owners and admins)."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.http import require_GET

from projects import access

from . import reads
from .log import ACTIONS

PAGE_SIZE = 100


class FilterForm(forms.Form):
    action = forms.ChoiceField(
        required=False,
        choices=[("", "Any action")]
        + [(g, f"{g}.*") for g in sorted({a.split(".")[0] for a in ACTIONS})]
        + sorted(ACTIONS.items()),
    )
    actor = forms.CharField(required=False, max_length=150, label="User")
    since = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))


@access.rule("admin")
@login_required
@require_GET
def audit_log(request, org_slug):
    org = access.membership_or_404(request.user, org_slug, admin=True).organization
    form = FilterForm(request.GET)
    data = form.cleaned_data if form.is_valid() else {}
    qs = reads.filtered(reads.for_organization(org), action=data.get("action") or "",
                        actor=data.get("actor") or "", since=data.get("since"))  # fmt: skip
    page = Paginator(qs.order_by("-created", "-pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return render(request, "audit/log.html", {
        "organization": org, "form": form, "page": page, "actions": ACTIONS,
        "params": params.urlencode(),
    })  # fmt: skip
