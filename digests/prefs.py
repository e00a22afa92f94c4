"""What notification code asks about a user: do they want this email, and how to stop it."""

from django.conf import settings
from django.core import signing
from django.urls import reverse

from .models import NotificationSettings

UNSUBSCRIBE_SALT = "digests.unsubscribe"


def settings_for(user) -> NotificationSettings:
    obj, _ = NotificationSettings.objects.get_or_create(user=user)
    return obj


def wants_immediate_email(user, project) -> bool:
    """False when the user turned immediate emails off or muted the project."""
    prefs = NotificationSettings.objects.filter(user=user).first()
    if prefs is None:
        return True
    if not prefs.immediate_email:
        return False
    return not prefs.muted_projects.filter(pk=project.pk).exists()


def unsubscribe_token(user, project=None) -> str:
    return signing.dumps(
        {"u": user.pk, "p": project.pk if project is not None else None}, salt=UNSUBSCRIBE_SALT
    )


def read_unsubscribe_token(token: str) -> tuple[int, int | None]:
    """(user id, project id or None). Raises signing.BadSignature."""
    data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    return int(data["u"]), (int(data["p"]) if data.get("p") is not None else None)


def unsubscribe_url(user, project=None) -> str:
    """Absolute, signed, no login needed: with a project it mutes that project, without one
    it turns immediate emails and digests off."""
    path = reverse("digests:unsubscribe", args=[unsubscribe_token(user, project)])
    return settings.BASE_URL + path
