"""Organization pages, project creation and settings, DSN keys and members."""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import UserCreationForm
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from . import access, invitations, members, snippets
from .forms import (
    AddMemberForm,
    DataForm,
    FiltersForm,
    KeyForm,
    OrganizationDataForm,
    OrganizationQuotaForm,
    ProjectForm,
    QuotasForm,
    SignInRulesForm,
    TeamForm,
)
from .models import Membership, ProjectKey, Team


@access.rule("viewer")
@login_required
def organization(request, org_slug):
    membership = access.membership_or_404(request.user, org_slug)
    org = membership.organization
    return render(request, "projects/organization.html", {
        "organization": org, "membership": membership, "is_admin": access.is_admin(membership),
        "members": org.memberships.select_related("user").order_by("user__username"),
        "projects": access.projects_for(request.user).filter(organization=org).order_by("name"),
        "teams": org.teams.prefetch_related("members__user", "projects").order_by("name"),
        "invitations": invitations.open_invitations(org).order_by("email"),
        "team_form": TeamForm(),
        "form": AddMemberForm(organization=org),
        "data_form": OrganizationDataForm(instance=org, prefix="data"),
        "quota_form": OrganizationQuotaForm(instance=org),
        "rules_form": SignInRulesForm(instance=org) if membership.role == "owner" else None,
    })  # fmt: skip


@access.rule("owner")
@login_required
@require_POST
def sign_in_rules(request, org_slug):
    from accounts import twofactor
    from accounts.sessions import end_password_sessions, end_sessions_without_2fa

    membership = access.membership_or_404(request.user, org_slug)
    if membership.role != Membership.Role.OWNER:
        raise PermissionDenied("Only owners set the sign-in rules.")
    org = membership.organization
    was_required, sso_was_required = org.require_2fa, org.require_sso
    form = SignInRulesForm(request.POST, instance=org)
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect("projects:organization", org.slug)
    org = form.save()
    if org.require_2fa and not was_required:
        # Members without two-factor sign in again, and are sent to set it up first.
        end_sessions_without_2fa(org, keep=request.session.session_key)
        if not twofactor.enabled(request.user):
            request.session[twofactor.PENDING] = "setup"
    if org.require_sso and not sso_was_required:
        # Members' password sessions end; they sign in again, through the provider.
        end_password_sessions(org, keep=request.session.session_key)
    messages.success(request, "Sign-in rules saved.")
    return redirect("projects:organization", org.slug)


@access.rule("admin")
@login_required
@require_POST
def organization_data(request, org_slug):
    """The organization's default retention (projects may set their own)."""
    org = access.membership_or_404(request.user, org_slug, admin=True).organization
    form = OrganizationDataForm(request.POST, instance=org, prefix="data")
    if form.is_valid():
        form.save()
        messages.success(request, "Retention saved.")
    else:
        messages.error(request, "Retention: " + " ".join(form.errors.get("retention_days", [])))
    return redirect("projects:organization", org_slug)


@access.rule("admin")
@login_required
@require_POST
def organization_quota(request, org_slug):
    org = access.membership_or_404(request.user, org_slug, admin=True).organization
    form = OrganizationQuotaForm(request.POST, instance=org)
    if form.is_valid():
        form.save()
        messages.success(request, "Monthly quota saved.")
    else:
        messages.error(request, "The quota must be a positive number or empty.")
    return redirect("projects:organization", org.slug)


@access.rule("admin")
@login_required
@require_POST
def add_member(request, org_slug):
    membership = access.membership_or_404(request.user, org_slug, admin=True)
    org = membership.organization
    form = AddMemberForm(request.POST, organization=org)
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect("projects:organization", org.slug)
    email = form.cleaned_data["email"]
    try:
        added, invited = members.add(
            request, membership, email, form.cleaned_data["role"], form.existing_user
        )
    except members.MemberError as exc:
        messages.error(request, str(exc))
        return redirect("projects:organization", org.slug)
    if invited:
        messages.success(request, f"Invited {email}: they were sent a link to join.")
    else:
        messages.success(request, f"Added {added.user.get_username()} to {org.name}.")
    return redirect("projects:organization", org.slug)


@access.rule("admin")
@login_required
@require_POST
def remove_member(request, org_slug, membership_id):
    membership = access.membership_or_404(request.user, org_slug, admin=True)
    target = membership.organization.memberships.filter(pk=membership_id).first()
    if target is None:
        messages.error(request, "No such member.")
        return redirect("projects:organization", org_slug)
    try:
        members.remove(membership, target)
    except members.MemberError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Removed {target.user.get_username()}.")
    return redirect("projects:organization", org_slug)


@access.rule("admin")
@login_required
def project_create(request, org_slug):
    org = access.membership_or_404(request.user, org_slug, admin=True).organization
    form = ProjectForm(request.POST or None, organization=org)
    if request.method == "POST" and form.is_valid():
        project = form.save()
        messages.success(request, f"Project {project.name} created. Send it events with this DSN.")
        return redirect("projects:setup", org.slug, project.slug)
    return render(request, "projects/project_create.html", {"organization": org, "form": form})


@access.rule("viewer")
@login_required
def project_setup(request, org_slug, project_slug):
    project = access.project_or_404(request.user, org_slug, project_slug)
    key = project.keys.filter(is_active=True).order_by("pk").first()
    shown = []
    if key is not None:
        host = urlsplit(settings.BASE_URL).hostname or "localhost"
        udp_port = settings.UDP_BIND.rpartition(":")[2]
        secret = f"{key.public_key}:{key.secret_key}"
        shown = snippets.snippets(
            project.platform, dsn=key.dsn(), secret_dsn=key.secret_dsn(),
            udp_dsn=f"udp://{key.public_key}@{host}:{udp_port}/{project.pk}",
            udp_secret_dsn=f"udp://{secret}@{host}:{udp_port}/{project.pk}",
            base_url=settings.BASE_URL, project_id=project.pk, public_key=key.public_key,
        )  # fmt: skip
    return render(request, "projects/project_setup.html", {
        "project": project, "key": key, "snippets": shown,
    })  # fmt: skip


@access.rule("admin")
@login_required
def project_settings(request, org_slug, project_slug):
    project = access.project_or_404(request.user, org_slug, project_slug, admin=True)
    form = ProjectForm(request.POST or None, instance=project, organization=project.organization)
    if request.method == "POST" and form.is_valid():
        project = form.save()
        messages.success(request, "Project saved.")
        return redirect("projects:settings", project.organization.slug, project.slug)
    keys = list(project.keys.order_by("pk"))
    for key in keys:
        key.form = KeyForm(instance=key, prefix=f"key{key.pk}")
    return render(request, "projects/project_settings.html", {
        "project": project, "form": form, "keys": keys, "new_key_form": KeyForm(prefix="new"),
        "data_form": DataForm(instance=project, prefix="data"),
        "events_per_issue_default": settings.EVENTS_PER_ISSUE,
        "quotas_form": QuotasForm(instance=project, prefix="quotas"),
        "filters_form": FiltersForm(instance=project, prefix="filters"),
    })  # fmt: skip


_SECTIONS = {"quotas": (QuotasForm, "Quotas saved."), "filters": (FiltersForm, "Filters saved.")}


@access.rule("admin")
@login_required
@require_POST
def project_section(request, org_slug, project_slug, section):
    """The quotas and the inbound filters, each a form of its own on the settings page."""
    project = access.project_or_404(request.user, org_slug, project_slug, admin=True)
    form_class, saved = _SECTIONS[section]
    form = form_class(request.POST, instance=project, prefix=section)
    if form.is_valid():
        form.save()
        messages.success(request, saved + " The ingest edge applies them within a minute.")
    else:
        errors = "; ".join(f"{form.fields[f].label}: {' '.join(e)}" for f, e in form.errors.items())
        messages.error(request, f"Not saved. {errors}")
    return redirect("projects:settings", project.organization.slug, project.slug)


@access.rule("admin")
@login_required
@require_POST
def project_data(request, org_slug, project_slug):
    """Retention and the per-issue cap (their own form: the create page has neither)."""
    project = access.project_or_404(request.user, org_slug, project_slug, admin=True)
    form = DataForm(request.POST, instance=project, prefix="data")
    if form.is_valid():
        form.save()
        messages.success(request, "Data settings saved.")
    else:
        errors = "; ".join(f"{form[f].label}: {' '.join(e)}" for f, e in form.errors.items())
        messages.error(request, errors)
    return redirect("projects:settings", project.organization.slug, project.slug)


@access.rule("admin")
@login_required
@require_POST
def key_action(request, org_slug, project_slug):
    project = access.project_or_404(request.user, org_slug, project_slug, admin=True)
    action = request.POST.get("action")
    key = (
        project.keys.filter(pk=request.POST.get("key") or 0).first() if action != "create" else None
    )
    if action == "create":
        form = KeyForm(request.POST, prefix="new", instance=ProjectKey(project=project))
        if form.is_valid():
            form.save()
            messages.success(request, "Key created.")
    elif key is None:
        messages.error(request, "No such key.")
    elif action == "update":
        form = KeyForm(request.POST, prefix=f"key{key.pk}", instance=key)
        if form.is_valid():
            form.save()
            messages.success(request, "Key saved.")
        else:
            messages.error(request, "Rate limit must be a positive number or empty.")
    elif action in ("disable", "enable"):
        key.is_active = action == "enable"
        key.save(update_fields=["is_active"])
        messages.success(request, f"Key {action}d.")
    elif action == "delete":
        key.delete()
        messages.success(request, "Key deleted.")
    return redirect("projects:settings", project.organization.slug, project.slug)


@access.rule("admin")
@login_required
@require_POST
def team_create(request, org_slug):
    org = access.membership_or_404(request.user, org_slug, admin=True).organization
    form = TeamForm(request.POST, instance=Team(organization=org))
    if form.is_valid():
        team = form.save()
        messages.success(request, f"Team {team.name} created.")
    else:
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    return redirect("projects:organization", org.slug)


@access.rule("admin")
@login_required
@require_POST
def team_action(request, org_slug, team_id):
    """Add or remove a member or a project of a team, or delete the team."""
    org = access.membership_or_404(request.user, org_slug, admin=True).organization
    team = get_object_or_404(org.teams, pk=team_id)
    action, ident = request.POST.get("action"), request.POST.get("id") or ""
    ident = int(ident) if ident.isdigit() and len(ident) < 19 else 0
    if action in ("add-member", "remove-member"):
        member = org.memberships.filter(pk=ident).first()
        if member is None:
            messages.error(request, "No such member.")
        else:
            (team.members.add if action == "add-member" else team.members.remove)(member)
            messages.success(request, f"Team {team.name} changed.")
    elif action in ("add-project", "remove-project"):
        project = org.projects.filter(pk=ident).first()
        if project is None:
            messages.error(request, "No such project.")
        else:
            (team.projects.add if action == "add-project" else team.projects.remove)(project)
            messages.success(request, f"Team {team.name} changed.")
    elif action == "delete":
        team.delete()
        messages.success(request, f"Team {team.name} deleted.")
    else:
        messages.error(request, "Unknown action.")
    return redirect("projects:organization", org.slug)


@access.rule("admin")
@login_required
@require_POST
def invitation_revoke(request, org_slug, invitation_id):
    org = access.membership_or_404(request.user, org_slug, admin=True).organization
    invitation = get_object_or_404(invitations.open_invitations(org), pk=invitation_id)
    invitations.revoke(invitation)
    messages.success(request, f"Invitation of {invitation.email} revoked.")
    return redirect("projects:organization", org.slug)


class JoinForm(UserCreationForm):
    class Meta(UserCreationForm.Meta):
        fields = ("username",)


@access.rule(access.PUBLIC)  # the token in the link is the credential
def invitation(request, token):
    """Join through an invitation: as the signed-in user, or with a new account."""
    found = invitations.find_open(token)
    if found is None:
        return render(request, "projects/invitation.html", {"invalid": True}, status=404)
    form = JoinForm(initial={"username": found.email})
    if request.method == "POST" and request.user.is_authenticated:
        invitations.accept(found, request.user)
        messages.success(request, f"You joined {found.organization.name}.")
        return redirect("projects:organization", found.organization.slug)
    if request.method == "POST":
        form = JoinForm(request.POST)
        if form.is_valid():
            with transaction.atomic():
                user = form.save(commit=False)
                user.email = found.email
                user.save()
                invitations.accept(found, user)
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, f"Welcome! You joined {found.organization.name}.")
            return redirect("projects:organization", found.organization.slug)
    return render(request, "projects/invitation.html", {"invitation": found, "form": form})
