"""The project's notification rules: members read, admins edit."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from events.dashboard.panels import Panel
from projects import access

from . import testsend
from .forms import RuleForm
from .models import Delivery, NotificationRule

RECENT_DELIVERIES = 50
ISSUE_DELIVERIES = 10


def issue_panel(request, issue) -> Panel:
    """The issue page's panel (events/dashboard/panels.py): its latest deliveries, one query.
    The page checked access to the issue; its project and organization are loaded."""
    deliveries = list(issue.alert_deliveries.order_by("-created", "-id")[:ISSUE_DELIVERIES])
    context = {
        "deliveries": deliveries,
        "organization_slug": issue.project.organization.slug,
        "project_slug": issue.project.slug,
    }
    return Panel("Notifications", "alerts/_issue_deliveries.html", context)


def _project(user, org_slug: str, project_slug: str, *, admin: bool = False):
    """(project, is_admin); 404 for strangers, 403 for members when `admin` is asked."""
    project = access.project_or_404(user, org_slug, project_slug, admin=admin)
    return project, access.is_admin(project.membership)


def _rule(project, rule_id: int) -> NotificationRule:
    rule = project.alert_rules.filter(pk=rule_id).first()
    if rule is None:
        raise Http404("No such rule.")
    return rule


@access.rule("viewer")
@login_required
def rules(request, org_slug, project_slug):
    project, is_admin = _project(request.user, org_slug, project_slug)
    return render(request, "alerts/rules.html", {
        "project": project, "is_admin": is_admin,
        "rules": list(project.alert_rules.prefetch_related("email_members").order_by("pk")),
        "deliveries": list(Delivery.objects.filter(project=project).select_related("issue")
                           .order_by("-created", "-pk")[:RECENT_DELIVERIES]),
    })  # fmt: skip


# "Send test notification" buttons: the form fields each test needs valid.
TEST_FIELDS = {
    "email": ("email_to", "email_members", "email_addresses"),
    "webhook": ("webhook_url",),
}


def _edit(request, project, rule):
    form = RuleForm(request.POST or None, instance=rule, project=project)
    test = request.POST.get("test") if request.method == "POST" else None
    if test in TEST_FIELDS:
        # A test sends with what is entered now, saved or not, and saves nothing.
        form.is_valid()
        if any(name in form.errors for name in TEST_FIELDS[test]):
            result = testsend.Outcome(False, "Correct the fields marked below first.")
        elif test == "email":
            result = testsend.send_email(form.cleaned_data, project)
        else:
            result = testsend.send_webhook(form.cleaned_data, project)
        return render(request, "alerts/rule_form.html", {
            "project": project, "form": form, "rule": rule, "test": test, "test_result": result,
        })  # fmt: skip
    if request.method == "POST" and form.is_valid():
        rule = form.save()
        messages.success(request, f"Rule “{rule.name}” saved.")
        return redirect("alerts:rules", project.organization.slug, project.slug)
    return render(
        request, "alerts/rule_form.html", {"project": project, "form": form, "rule": rule}
    )


@access.rule("admin")
@login_required
def rule_new(request, org_slug, project_slug):
    project, _ = _project(request.user, org_slug, project_slug, admin=True)
    return _edit(request, project, None)


@access.rule("admin")
@login_required
def rule_edit(request, org_slug, project_slug, rule_id):
    project, _ = _project(request.user, org_slug, project_slug, admin=True)
    return _edit(request, project, _rule(project, rule_id))


@access.rule("admin")
@login_required
@require_POST
def rule_delete(request, org_slug, project_slug, rule_id):
    project, _ = _project(request.user, org_slug, project_slug, admin=True)
    rule = _rule(project, rule_id)
    rule.delete()
    messages.success(request, f"Rule “{rule.name}” deleted.")
    return redirect("alerts:rules", project.organization.slug, project.slug)
