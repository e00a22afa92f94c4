"""Who may see and do what: the one place the dashboard and the REST API ask.

Roles of a membership, from least to most: viewer (reads), member (also triages issues),
admin (also manages projects, keys, rules, teams and members), owner (also owners and the
organization's sign-in rules). Owners and admins see every project of the organization;
members and viewers see the projects of their teams, and projects that belong to no team.

Another organization's objects, and projects a member cannot see, answer 404, so URLs do not
even reveal that they exist; a member who can see an object but whose role is too low for
the action gets 403 (PermissionDenied; DRF answers it as 403 too).

Every view declares its rule with `@access.rule(...)` (a test walks every URL pattern and
fails on a view without one, then checks each role against it):

    @access.rule("viewer")                      # any method: viewers and up
    @access.rule(GET="viewer", POST="admin")    # per method
    @access.rule(access.USER)                   # any signed-in user; filters by what they see
    @access.rule(access.PUBLIC)                 # no sign-in (ingest, login, links with tokens)

Querysets of other apps (issues, events) are narrowed with `for_member`, given the path from
their model to Project, so this module never imports them.
"""

from __future__ import annotations

import functools

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404
from django.urls import URLPattern, URLResolver, get_resolver

from .models import Membership, Organization, Project

Role = Membership.Role
ADMIN_ROLES = (Role.OWNER, Role.ADMIN)
RANK = {Role.VIEWER: 0, Role.MEMBER: 1, Role.ADMIN: 2, Role.OWNER: 3}
PUBLIC = "public"
USER = "user"
STAFF = "staff"  # Django's staff flag (the admin site)
KINDS = (PUBLIC, USER, STAFF, *RANK)

# Views of other packages, declared by URL name (namespace:name); the admin site is STAFF.
BY_URL_NAME = {
    "login": PUBLIC, "logout": PUBLIC, "password_reset": PUBLIC, "password_reset_done": PUBLIC,
    "password_reset_confirm": PUBLIC, "password_reset_complete": PUBLIC,
    "password_change": USER, "password_change_done": USER,
    "api:schema": PUBLIC,
    # Ingest: the project key in the request is the credential (events/ingest/admission.py);
    # declared here so the hot path imports nothing more.
    "ingest:sentry": PUBLIC, "ingest:airbrake-notices": PUBLIC, "ingest:airbrake-v2": PUBLIC,
    "ingest:airbrake-locate": STAFF,
    # Also ingest edges (the DSN's key is the credential): cron check-ins over plain HTTP,
    # the crash-report dialog's script and form.
    "monitors:http-checkin": PUBLIC, "feedback:error-page": PUBLIC,
}  # fmt: skip


def rule(default: str | None = None, **per_method: str):
    """Declares who may call a view (function or class); the view still checks with the
    functions below. `per_method` keys are HTTP methods; `default` covers the others."""
    for kind in (default, *per_method.values()):
        if kind is not None and kind not in KINDS:
            raise ValueError(f"unknown access kind {kind!r}; one of {KINDS}")
    rules = {m.upper(): k for m, k in per_method.items()}
    if default is not None:
        rules["*"] = default

    def mark(view):
        view.access_rule = rules
        return view

    return mark


def declared(callback, url_name: str | None) -> dict | None:
    """The rule a view declared ({method or "*": kind}), or None."""
    for holder in (callback, getattr(callback, "cls", None), getattr(callback, "view_class", None)):
        rules = getattr(holder, "access_rule", None)
        if rules is not None:
            return rules
    if url_name is not None and url_name.split(":")[0] == "admin":
        return {"*": STAFF}
    if url_name in BY_URL_NAME:
        return {"*": BY_URL_NAME[url_name]}
    return None


def rule_for(view_rules: dict, method: str) -> str | None:
    return view_rules.get(method.upper(), view_rules.get("*"))


@functools.cache
def _views_by_name(resolver) -> dict:
    """{namespace:name: view} of every named URL pattern of the URLconf."""
    found = {}

    def walk(patterns, namespace):
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, ":".join(x for x in (namespace, p.namespace) if x))
            elif isinstance(p, URLPattern) and p.name:
                found.setdefault(f"{namespace}:{p.name}" if namespace else p.name, p.callback)

    walk(resolver.url_patterns, "")
    return found


def allows(membership: Membership | None, url_name: str, method: str = "GET", *, user=None) -> bool:
    """Whether the view named `url_name` lets this membership call it with `method`, by the
    rule the view declared: pages show a control (link, button, form) only where it does
    (the `may` template tag, projects/templatetags/access_tags.py)."""
    view = _views_by_name(get_resolver())[url_name]
    kind = rule_for(declared(view, url_name) or {}, method)
    if kind in (PUBLIC, USER):
        return True
    if kind == STAFF:
        return user is not None and user.is_staff
    return kind in RANK and has_role(membership, kind)


def has_role(membership: Membership | None, role: str) -> bool:
    return membership is not None and RANK[membership.role] >= RANK[role]


def require(membership: Membership, role: str) -> Membership:
    """403 unless the membership's role is at least `role`."""
    if not has_role(membership, role):
        label = {"member": "Viewers may only read", "admin": "Only owners and admins of the "
                 "organization may do this", "owner": "Only owners of the organization may do "
                 "this"}.get(role, "Not allowed")  # fmt: skip
        raise PermissionDenied(f"{label}.")
    return membership


def organizations_for(user) -> QuerySet[Organization]:
    if not user.is_authenticated:
        return Organization.objects.none()
    return Organization.objects.filter(memberships__user=user)


def roles_at_least(role: str | None) -> list[str]:
    return [r for r in RANK if role is None or RANK[r] >= RANK[role]]


def visible_project_ids(user, role: str | None = None) -> QuerySet:
    """A subquery of the ids of the projects the user sees (with `role`: as that role or
    higher); no duplicates, no extra query."""
    roles = roles_at_least(role)
    seen = (
        Q(organization__memberships__user=user,
          organization__memberships__role__in=[r for r in ADMIN_ROLES if r in roles])
        | Q(organization__memberships__user=user, organization__memberships__role__in=roles,
            teams__isnull=True)
        | Q(teams__members__user=user, teams__members__role__in=roles)
    )  # fmt: skip
    return Project.objects.filter(seen).values("pk")


def projects_for(user, role: str | None = None) -> QuerySet[Project]:
    if not user.is_authenticated:
        return Project.objects.none()
    return Project.objects.filter(pk__in=visible_project_ids(user, role))


def for_member(
    queryset: QuerySet, user, *, project_path: str = "project", role: str | None = None
) -> QuerySet:
    """Rows of any model whose `project_path` leads to a project the user can see (with
    `role`: where the user has that role or higher)."""
    if not user.is_authenticated:
        return queryset.none()
    return queryset.filter(**{f"{project_path}__in": visible_project_ids(user, role)})


def get_for_member_or_404(
    queryset: QuerySet, user, *, project_path: str = "project", role: str | None = None, **lookup
):
    """The object, if the user can see its project; with `role`, 403 below that role."""
    try:
        obj = for_member(queryset, user, project_path=project_path).get(**lookup)
    except queryset.model.DoesNotExist:
        raise Http404("No such object.") from None
    if role is not None:
        project = obj
        for part in project_path.split("__"):
            project = getattr(project, part)
        require(membership_of(user, project.organization_id), role)
    return obj


def membership_of(user, organization_id: int) -> Membership | None:
    if not user.is_authenticated:
        return None
    return Membership.objects.filter(user=user, organization_id=organization_id).first()


def membership_or_404(
    user, org_slug: str, *, admin: bool = False, role: str | None = None
) -> Membership:
    """The user's membership of the organization (with it selected); 404 if none; 403 if
    the role is below `role` (`admin=True` means role="admin")."""
    membership = (
        Membership.objects.select_related("organization")
        .filter(user=user if user.is_authenticated else None, organization__slug=org_slug)
        .first()
    )
    if membership is None:
        raise Http404("No such organization.")
    role = Role.ADMIN if admin else role
    if role is not None:
        require(membership, role)
    return membership


def admin_membership_or_403(user, org_slug: str) -> Membership:
    """404 for a non-member, 403 for a member below admin."""
    return membership_or_404(user, org_slug, role=Role.ADMIN)


def project_or_404(
    user, org_slug: str, project_slug: str, *, admin: bool = False, role: str | None = None
) -> Project:
    """The project, if the user sees it (404 otherwise); 403 if the role is below `role`."""
    membership = membership_or_404(user, org_slug)
    projects = Project.objects.select_related("organization").filter(
        organization=membership.organization, slug=project_slug
    )
    if not is_admin(membership):  # the team rule, in the same query
        projects = projects.filter(pk__in=visible_project_ids(user))
    project = projects.first()
    if project is None:
        raise Http404("No such project.")
    role = Role.ADMIN if admin else role
    if role is not None:
        require(membership, role)
    project.membership = membership
    return project


def is_admin(membership: Membership | None) -> bool:
    return membership is not None and membership.role in ADMIN_ROLES


def admin_org_ids(user) -> set[int]:
    if not user.is_authenticated:
        return set()
    return set(
        Membership.objects.filter(user=user, role__in=ADMIN_ROLES).values_list(
            "organization_id", flat=True
        )
    )


def can_grant(membership: Membership, role: str) -> bool:
    """Admins add viewers, members and admins; only owners make owners."""
    if not is_admin(membership):
        return False
    return role != Role.OWNER or membership.role == Role.OWNER


def members_who_see(project: Project) -> QuerySet[Membership]:
    """The memberships that see the project ("email all members" of a rule)."""
    memberships = Membership.objects.filter(organization_id=project.organization_id)
    if not project.teams.exists():
        return memberships
    return memberships.filter(Q(role__in=ADMIN_ROLES) | Q(teams__projects=project)).distinct()
