"""What gets logged, from signals of the models and of django.contrib.auth, so the views that
change things need no audit calls of their own (the request comes from `log.CurrentRequest`)."""

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save
from django.dispatch import receiver
from django_otp.plugins.otp_totp.models import TOTPDevice

from alerts.models import NotificationRule
from api.models import ApiToken
from events.models import Issue
from projects.models import Invitation, Membership, Organization, Project, ProjectKey, Team

from .log import deleting, record


@receiver(user_logged_in)
def _login(sender, request, user, **kwargs):
    from accounts.sso import signed_in_with_sso

    session = getattr(request, "session", None)
    sso = session is not None and signed_in_with_sso(session)
    record("auth.login", actor=user, request=request, method="sso" if sso else "password")


@receiver(user_logged_out)
def _logout(sender, request, user, **kwargs):
    if user is not None:
        record("auth.logout", actor=user, request=request)


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs):
    if "username" not in credentials:  # a single sign-on: its callback logs why (auth.sso_failed)
        return
    name = str(credentials.get("username", ""))[:150]
    # The account, when it exists, so its organizations' admins see the attempts.
    actor = get_user_model().objects.filter(username=name).first()
    record("auth.login_failed", actor=actor, request=request, username=name)


@receiver(post_save, sender=TOTPDevice)
def _totp_saved(sender, instance, **kwargs):
    if instance.confirmed:
        record("2fa.enabled", actor=instance.user)


@receiver(post_delete, sender=TOTPDevice)
def _totp_deleted(sender, instance, **kwargs):
    if instance.confirmed:
        record("2fa.disabled", target=instance.user.get_username())


@receiver(pre_save, sender=Membership)
@receiver(pre_save, sender=Organization)
def _remember_before(sender, instance, **kwargs):
    """The row as it was, for entries that say what changed."""
    instance._audit_before = (
        sender.objects.filter(pk=instance.pk).first() if instance.pk is not None else None
    )


@receiver(post_save, sender=Membership)
def _member_saved(sender, instance, created, **kwargs):
    who = instance.user.get_username()
    before = getattr(instance, "_audit_before", None)
    if created:
        record("member.added", organization=instance.organization, target=who, role=instance.role)
    elif before is not None and before.role != instance.role:
        record("member.role_changed", organization=instance.organization, target=who,
               role=instance.role, was=before.role)  # fmt: skip


@receiver(post_delete, sender=Membership)
def _member_deleted(sender, instance, **kwargs):
    org = Organization.objects.filter(pk=instance.organization_id).first()
    user = get_user_model().objects.filter(pk=instance.user_id).first()
    if org is not None:
        record("member.removed", organization=org, target=user.get_username() if user else "",
               role=instance.role)  # fmt: skip


@receiver(pre_delete, sender=Organization)
def _org_deleting(sender, instance, **kwargs):
    # Its projects, keys and rules go first, each with a post_delete; entries written then
    # would point at the organization being deleted (log.py skips them).
    deleting.add(instance.pk)


@receiver(post_delete, sender=Organization)
def _org_deleted(sender, instance, **kwargs):
    deleting.discard(instance.pk)


@receiver(post_save, sender=Organization)
def _org_saved(sender, instance, created, **kwargs):
    before = getattr(instance, "_audit_before", None)
    fields = ("require_2fa", "require_sso", "sso_domains", "sso_role")
    if before is not None and any(getattr(before, f) != getattr(instance, f) for f in fields):
        record("org.sign_in_rules", organization=instance, target=instance.slug,
               **{f: getattr(instance, f) for f in fields})  # fmt: skip


def _org_of_project(project_id):
    return Organization.objects.filter(projects__pk=project_id).first()


@receiver(post_save, sender=Team)
def _team_saved(sender, instance, created, **kwargs):
    if created:
        record("team.created", organization=instance.organization, target=instance.name)


@receiver(post_delete, sender=Team)
def _team_deleted(sender, instance, **kwargs):
    org = Organization.objects.filter(pk=instance.organization_id).first()
    if org is not None:
        record("team.deleted", organization=org, target=instance.name)


@receiver(m2m_changed, sender=Team.members.through)
@receiver(m2m_changed, sender=Project.teams.through)
def _team_changed(sender, instance, action, pk_set, **kwargs):
    if action not in ("post_add", "post_remove") or not pk_set:
        return
    verb = "added" if action == "post_add" else "removed"
    if isinstance(instance, Team):
        kind = "members" if sender is Team.members.through else "projects"
        record("team.changed", organization=instance.organization, target=instance.name,
               **{kind: sorted(pk_set), "change": verb})  # fmt: skip
    else:  # a project's teams
        record("team.changed", organization=instance.organization, target=instance.name,
               teams=sorted(pk_set), change=verb)  # fmt: skip


@receiver(post_save, sender=Project)
def _project_saved(sender, instance, created, **kwargs):
    record("project.created" if created else "project.changed",
           organization=instance.organization, target=instance.slug)  # fmt: skip


@receiver(post_delete, sender=Project)
def _project_deleted(sender, instance, **kwargs):
    org = Organization.objects.filter(pk=instance.organization_id).first()
    if org is not None:
        record("project.deleted", organization=org, target=instance.slug)


@receiver(post_save, sender=ProjectKey)
def _key_saved(sender, instance, created, **kwargs):
    record("key.created" if created else "key.changed", organization=_org_of_project(instance.project_id),
           target=f"{instance.public_key[:8]}… ({instance.label})", active=instance.is_active,
           rate_limit_per_minute=instance.rate_limit_per_minute)  # fmt: skip


@receiver(post_delete, sender=ProjectKey)
def _key_deleted(sender, instance, **kwargs):
    org = _org_of_project(instance.project_id)
    if org is not None:
        record(
            "key.deleted", organization=org, target=f"{instance.public_key[:8]}… ({instance.label})"
        )


@receiver(post_save, sender=NotificationRule)
def _rule_saved(sender, instance, created, **kwargs):
    record("rule.created" if created else "rule.changed",
           organization=_org_of_project(instance.project_id), target=instance.name)  # fmt: skip


@receiver(post_delete, sender=NotificationRule)
def _rule_deleted(sender, instance, **kwargs):
    org = _org_of_project(instance.project_id)
    if org is not None:
        record("rule.deleted", organization=org, target=instance.name)


@receiver(post_save, sender=ApiToken)
def _token_saved(sender, instance, created, **kwargs):
    label = f"{instance.name or 'token'} {instance.prefix[:6]}…"
    if created:
        record("token.created", actor=instance.user, target=label, scopes=instance.scopes)
    elif instance.revoked is not None:
        record("token.revoked", target=label)


@receiver(post_delete, sender=Issue)
def _issue_deleted(sender, instance, **kwargs):
    org = _org_of_project(instance.project_id)
    if org is not None:
        record("issue.deleted", organization=org, target=f"#{instance.pk} {instance.title[:200]}")


@receiver(post_save, sender=Invitation)
def _invitation_saved(sender, instance, created, **kwargs):
    if created:
        action = "member.invited"
    elif instance.revoked is not None:
        action = "member.invitation_revoked"
    elif instance.accepted is not None:
        action = "member.invitation_accepted"
    else:
        return
    record(action, organization=instance.organization, target=instance.email, role=instance.role)
