"""Who did what, when, from which address. Entries are written, never changed: `save` of an
existing entry and `delete` raise, and the admin shows them read-only."""

from django.conf import settings
from django.db import models


class AuditEntry(models.Model):
    organization = models.ForeignKey(
        "projects.Organization", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="audit_entries",
    )  # fmt: skip
    # The actor's name is kept too: entries outlive accounts.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    actor_name = models.CharField(max_length=150, blank=True, default="")
    action = models.CharField(max_length=50, db_index=True)
    target = models.CharField(max_length=300, blank=True, default="")
    ip = models.GenericIPAddressField(null=True, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    created = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["organization", "-created"], name="audit_org_created")]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.created:%Y-%m-%d %H:%M} {self.actor_name or '-'} {self.action} {self.target}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("Audit entries cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Audit entries cannot be deleted.")
