"""Writing entries. The request being served (set by `CurrentRequest`) supplies the actor and
the address, so hooks on model signals need not be handed them."""

from __future__ import annotations

import contextvars
import logging

from .models import AuditEntry

log = logging.getLogger(__name__)
_request = contextvars.ContextVar("audit_request", default=None)

ACTIONS = {
    "auth.login": "signed in", "auth.login_failed": "failed to sign in",
    "auth.logout": "signed out", "auth.sso_failed": "failed to sign in with single sign-on", "auth.password_changed": "changed their password",
    "2fa.enabled": "turned on two-factor", "2fa.disabled": "turned off two-factor",
    "2fa.recovery_codes": "made new recovery codes",
    "member.added": "added a member", "member.role_changed": "changed a member's role",
    "member.removed": "removed a member", "member.invited": "invited someone",
    "member.invitation_revoked": "revoked an invitation",
    "member.invitation_accepted": "accepted an invitation",
    "team.created": "created a team", "team.deleted": "deleted a team",
    "team.changed": "changed a team",
    "project.created": "created a project", "project.changed": "changed project settings",
    "project.deleted": "deleted a project",
    "key.created": "created a key", "key.changed": "changed a key", "key.deleted": "deleted a key",
    "rule.created": "created a rule", "rule.changed": "changed a rule",
    "rule.deleted": "deleted a rule",
    "token.created": "created an API token", "token.revoked": "revoked an API token",
    "org.sign_in_rules": "changed the sign-in rules",
    "issue.deleted": "deleted an issue",
}  # fmt: skip


class CurrentRequest:
    """Middleware: remembers the request for `record` (a context variable: threads and
    async tasks each see their own)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _request.set(request)
        try:
            return self.get_response(request)
        finally:
            _request.reset(token)


def current_request():
    return _request.get()


# Organizations being deleted in this process (hooks.py): their entries go with them.
deleting: set[int] = set()


def record(action: str, *, organization=None, target: str = "", actor=None, request=None,
           **detail) -> AuditEntry | None:  # fmt: skip
    if organization is not None and organization.pk in deleting:
        return None
    from accounts.throttle import client_ip

    request = request or current_request()
    if actor is None and request is not None:
        user = getattr(request, "user", None)
        actor = user if user is not None and user.is_authenticated else None
    return AuditEntry.objects.create(
        organization=organization,
        actor=actor,
        actor_name=actor.get_username() if actor is not None else detail.pop("username", ""),
        action=action,
        target=str(target)[:300],
        ip=client_ip(request) if request is not None else None,
        detail=detail,
    )
