"""Configuration: who owns what, and the keys SDKs send with."""

import secrets
from urllib.parse import urlsplit

from django.conf import settings
from django.db import models, transaction
from django.utils.text import slugify


def new_key() -> str:
    return secrets.token_hex(16)


class Organization(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    created = models.DateTimeField(auto_now_add=True)
    # Events older than this are deleted (events/lifecycle); a project may override it.
    retention_days = models.PositiveIntegerField(
        default=90, help_text="Days events are kept, unless a project says otherwise."
    )
    monthly_event_quota = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Events per month across all projects of the organization; empty = no limit.",
    )
    # A sign-in rule the owners set (accounts/): members without two-factor are sent to set
    # it up first.
    require_2fa = models.BooleanField(default=False)
    # Single sign-on (accounts/sso.py): members but owners sign in through the provider; and
    # who signs in through it with a verified email of these domains joins with `sso_role`.
    require_sso = models.BooleanField(default=False)
    sso_domains = models.TextField(blank=True, default="")  # one per line, lowercase
    sso_role = models.CharField(
        max_length=10, default="member",
        choices=[("admin", "Admin"), ("member", "Member"), ("viewer", "Viewer (read only)")],
    )  # fmt: skip

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    class Role(models.TextChoices):
        OWNER = "owner", "Owner"
        ADMIN = "admin", "Admin"
        MEMBER = "member", "Member"
        VIEWER = "viewer", "Viewer (read only)"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "organization"], name="unique_membership"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.organization} ({self.role})"


class Team(models.Model):
    """A group of members; a member who is not an owner or admin sees the projects of their
    teams (and projects that belong to no team). Access rules: projects/access.py."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="teams")
    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=100)
    members = models.ManyToManyField(Membership, related_name="teams", blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "slug"], name="unique_team_slug"),
        ]

    def __str__(self) -> str:
        return self.name


class Project(models.Model):
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="projects"
    )
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100)
    platform = models.CharField(max_length=64, blank=True, default="")
    created = models.DateTimeField(auto_now_add=True)
    teams = models.ManyToManyField(Team, related_name="projects", blank=True)
    rate_limit_per_minute = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Events per minute for the whole project; empty = no limit.",
    )
    # The last short id number given to an issue of this project (WEB-1, WEB-2, ...).
    issue_counter = models.PositiveBigIntegerField(default=0, editable=False)
    # Data lifecycle (events/lifecycle.py, events/processing/store.py); empty = the default.
    retention_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="Days events are kept; empty = the organization's."
    )
    events_per_issue = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Events stored per issue; past it only a sample is kept (counts stay exact). "
        "Empty = the server's default.",
    )
    # Quotas over longer windows, counted at the edge like the per-minute limit.
    rate_limit_per_hour = models.PositiveIntegerField(
        null=True, blank=True, help_text="Events per hour; empty = no limit."
    )
    rate_limit_per_day = models.PositiveIntegerField(
        null=True, blank=True, help_text="Events per day; empty = no limit."
    )
    rate_limit_per_month = models.PositiveIntegerField(
        null=True, blank=True, help_text="Events per month (30 days); empty = no limit."
    )
    # Inbound filters (events/wire/inbound_filters.py): what matches is not stored, only
    # counted (outcome "filtered" with the filter's name).
    filter_localhost = models.BooleanField(
        default=False, help_text="Events from localhost (127.0.0.1, ::1, localhost URLs)."
    )
    filter_browser_extensions = models.BooleanField(
        default=False, help_text="Errors caused by known browser extensions."
    )
    filter_legacy_browsers = models.BooleanField(
        default=False, help_text="Events from old browsers (IE, old Safari, Firefox, Chrome...)."
    )
    filter_web_crawlers = models.BooleanField(
        default=False, help_text="Events sent by web crawlers and bots (by user agent)."
    )
    filter_messages = models.TextField(
        blank=True, default="", help_text="Error messages to drop: one glob pattern per line."
    )
    filter_releases = models.TextField(
        blank=True, default="", help_text="Releases to drop: one glob pattern per line."
    )
    filter_ip_ranges = models.TextField(
        blank=True,
        default="",
        help_text="Client IPs to drop: one address or CIDR range (10.0.0.0/8) per line.",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "slug"], name="unique_project_slug"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        # Every project has a key from the start: admin, commands and factories all pass here.
        creating = self._state.adding
        if not self.slug:
            self.slug = slugify(self.name)[:100] or "project"
        if not creating and kwargs.get("update_fields") is None:
            # The short-id counter belongs to the worker (events/shortids.py): a stale copy
            # saved from a form or the admin must not set it back.
            kwargs["update_fields"] = [
                f.name for f in self._meta.concrete_fields
                if not f.primary_key and f.name != "issue_counter"
            ]  # fmt: skip
        with transaction.atomic():
            super().save(*args, **kwargs)
            if creating and not self.keys.exists():
                ProjectKey.objects.create(project=self, label="Default")

    def retention(self) -> int:
        """Days its events are kept: its own setting, else the organization's."""
        return self.retention_days or self.organization.retention_days


class ProjectKey(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="keys")
    label = models.CharField(max_length=100, blank=True, default="")
    public_key = models.CharField(max_length=32, unique=True, default=new_key)
    # Never checked on ingest (SDKs stopped sending it), but raven 5 refuses a DSN without one.
    secret_key = models.CharField(max_length=32, default=new_key)
    is_active = models.BooleanField(default=True)
    created = models.DateTimeField(auto_now_add=True)
    rate_limit_per_minute = models.PositiveIntegerField(
        null=True, blank=True, help_text="Events per minute for this key; empty = no limit."
    )

    def __str__(self) -> str:
        return f"{self.project} key {self.public_key[:8]}"

    def dsn(self, base_url: str | None = None) -> str:
        return self._dsn(base_url, self.public_key)

    def secret_dsn(self, base_url: str | None = None) -> str:
        """The legacy form with the secret, which raven 5.x insists on."""
        return self._dsn(base_url, f"{self.public_key}:{self.secret_key}")

    def _dsn(self, base_url: str | None, userinfo: str) -> str:
        parts = urlsplit(base_url or settings.BASE_URL)
        return (
            f"{parts.scheme}://{userinfo}@{parts.netloc}{parts.path.rstrip('/')}/{self.project_id}"
        )


class Invitation(models.Model):
    """An emailed link to join an organization, for an address without an account here. The
    link holds a token of which only a hash is stored; it works once, until `expires`, unless
    revoked, and whoever opens it joins with a new account or the one they are signed in to."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField()
    role = models.CharField(max_length=10, choices=Membership.Role.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    created = models.DateTimeField(auto_now_add=True)
    expires = models.DateTimeField()
    accepted = models.DateTimeField(null=True, blank=True)
    revoked = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"invitation of {self.email} to {self.organization}"

    @property
    def is_open(self) -> bool:
        from django.utils import timezone

        return self.accepted is None and self.revoked is None and self.expires > timezone.now()
