"""Which sessions belong to whom, so a removed membership can end them (Django's session
table has no user column) and a user can see where they are signed in."""

from django.conf import settings
from django.db import models


class SessionRecord(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="session_records"
    )
    session_key = models.CharField(max_length=40, unique=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True, default="")
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"session of {self.user} from {self.ip}"
