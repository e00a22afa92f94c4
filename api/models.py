"""Personal API tokens. The token itself is shown once and never stored (see tokens.py)."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from . import tokens


class ApiTokenQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked__isnull=True, user__is_active=True)


class ApiToken(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100, blank=True, default="")
    scopes = models.JSONField(default=list, help_text='Some of "read", "write", "admin".')
    prefix = models.CharField(max_length=tokens.PREFIX_LENGTH, db_index=True)
    hashed = models.CharField(max_length=64, unique=True)
    created = models.DateTimeField(default=timezone.now)
    last_used = models.DateTimeField(null=True, blank=True)
    revoked = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    def __str__(self) -> str:
        return f"{self.name or 'token'} {self.prefix[:6]}… of {self.user}"

    @classmethod
    def issue(cls, user, *, scopes, name: str = "") -> tuple["ApiToken", str]:
        """A new token for `user`; returns the row and the token text (shown once)."""
        text = tokens.new_token()
        row = cls.objects.create(
            user=user,
            name=name[:100],
            scopes=tokens.clean_scopes(scopes),
            prefix=tokens.prefix_of(text),
            hashed=tokens.hash_token(text),
        )
        return row, text

    @classmethod
    def find(cls, text: str) -> "ApiToken | None":
        """The active token with this text, or None."""
        if not tokens.looks_like_token(text):
            return None
        for row in (
            cls.objects.active().select_related("user").filter(prefix=tokens.prefix_of(text))
        ):
            if tokens.matches(text, row.hashed):
                return row
        return None

    def allows(self, scope: str) -> bool:
        return tokens.allows(self.scopes, scope)
