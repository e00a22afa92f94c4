"""`{% may "app:view-name" "POST" as can_x %}`: whether the signed-in user may use a control
of the page, by the view's declared rule (projects.access.allows), so templates hide what the
role cannot use (viewers only read) without deciding it themselves."""

from django import template

from projects import access
from projects.models import Membership

register = template.Library()


def _organization_id(context) -> int | None:
    for name in ("project", "organization", "issue", "monitor", "release"):
        obj = context.get(name)
        if obj is None:
            continue
        if name == "organization":
            return obj.pk
        if name in ("issue", "monitor"):
            obj = obj.project
        if hasattr(obj, "organization_id"):
            return obj.organization_id
    return None


def membership(context) -> Membership | None:
    """The user's membership of the page's organization: the view's, else one query per
    organization and request."""
    given = context.get("membership")
    if isinstance(given, Membership):
        return given
    project = context.get("project")
    if isinstance(getattr(project, "membership", None), Membership):
        return project.membership
    org_id = _organization_id(context)
    if org_id is None:
        return None
    request = context["request"]
    cache = request.__dict__.setdefault("_memberships_by_org", {})
    if org_id not in cache:
        cache[org_id] = access.membership_of(request.user, org_id)
    return cache[org_id]


@register.simple_tag(takes_context=True)
def may(context, url_name: str, method: str = "GET") -> bool:
    request = context["request"]
    return access.allows(membership(context), url_name, method, user=request.user)
