"""Forms for organizations, projects and keys."""

from django import forms
from django.contrib.auth import get_user_model
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.text import slugify

from .invitations import open_invitations
from .models import Membership, Organization, Project, ProjectKey, Team

PLATFORMS = [
    ("python", "Python"), ("javascript", "JavaScript (browser)"), ("node", "Node.js"),
    ("java", "Java"), ("go", "Go"), ("ruby", "Ruby"), ("php", "PHP"), ("csharp", ".NET"),
    ("native", "Native"), ("other", "Other"),
]  # fmt: skip


MAX_RETENTION_DAYS = 3650
MAX_EVENTS_PER_ISSUE = 1_000_000

RESERVED_SLUGS = {"new"}  # /orgs/<org>/projects/new/ creates a project


class ProjectForm(forms.ModelForm):
    platform = forms.ChoiceField(choices=PLATFORMS, initial="python")

    class Meta:
        model = Project
        fields = ["name", "slug", "platform"]
        help_texts = {"slug": "Used in URLs; leave empty to derive it from the name."}

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.organization = organization
        self.fields["slug"].required = False

    def clean_slug(self):
        slug = self.cleaned_data.get("slug") or slugify(self.data.get("name") or "")[:100]
        if slug in RESERVED_SLUGS:
            raise forms.ValidationError(f"“{slug}” is reserved; choose another slug.")
        if slug:
            taken = Project.objects.filter(organization=self.organization, slug=slug)
            if self.instance.pk:
                taken = taken.exclude(pk=self.instance.pk)
            if taken.exists():
                raise forms.ValidationError("Another project of this organization has this slug.")
        return slug

    def save(self, commit=True):
        self.instance.organization = self.organization
        return super().save(commit)


class DataForm(forms.ModelForm):
    """How long events are kept and how many per issue (events/lifecycle.py, store.py)."""

    class Meta:
        model = Project
        fields = ["retention_days", "events_per_issue"]
        labels = {
            "retention_days": "Keep events for (days)",
            "events_per_issue": "Events stored per issue",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["retention_days"].min_value = 1
        self.fields["retention_days"].max_value = MAX_RETENTION_DAYS
        self.fields["retention_days"].validators += [
            MinValueValidator(1),
            MaxValueValidator(MAX_RETENTION_DAYS),
        ]
        self.fields["events_per_issue"].validators += [
            MinValueValidator(1),
            MaxValueValidator(MAX_EVENTS_PER_ISSUE),
        ]


class OrganizationDataForm(forms.ModelForm):
    class Meta:
        model = Organization
        fields = ["retention_days"]
        labels = {"retention_days": "Keep events for (days)"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["retention_days"].validators += [
            MinValueValidator(1),
            MaxValueValidator(MAX_RETENTION_DAYS),
        ]


class KeyForm(forms.ModelForm):
    class Meta:
        model = ProjectKey
        fields = ["label", "rate_limit_per_minute"]
        labels = {"rate_limit_per_minute": "Rate limit (events per minute)"}


class AddMemberForm(forms.Form):
    email = forms.EmailField()
    role = forms.ChoiceField(choices=Membership.Role.choices, initial=Membership.Role.MEMBER)

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.organization = organization

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        user = get_user_model().objects.filter(email__iexact=email).order_by("pk").first()
        if user and Membership.objects.filter(user=user, organization=self.organization).exists():
            raise forms.ValidationError("This person is already a member.")
        if user is None and open_invitations(self.organization).filter(email=email).exists():
            raise forms.ValidationError("This address has an open invitation.")
        self.existing_user = user
        return email


MAX_FILTER_TEXT = 10_000  # characters of globs or ranges per filter


class QuotasForm(forms.ModelForm):
    """A project's limits; all counted at the edge (events/ingest/ratelimit.py)."""

    class Meta:
        model = Project
        fields = [
            "rate_limit_per_minute", "rate_limit_per_hour", "rate_limit_per_day",
            "rate_limit_per_month",
        ]  # fmt: skip
        labels = {
            "rate_limit_per_minute": "Events per minute",
            "rate_limit_per_hour": "Events per hour",
            "rate_limit_per_day": "Events per day",
            "rate_limit_per_month": "Events per month (30 days)",
        }


class FiltersForm(forms.ModelForm):
    """A project's inbound filters (events/wire/inbound_filters.py)."""

    class Meta:
        model = Project
        fields = [
            "filter_localhost", "filter_browser_extensions", "filter_legacy_browsers",
            "filter_web_crawlers", "filter_messages", "filter_releases", "filter_ip_ranges",
        ]  # fmt: skip
        labels = {
            "filter_localhost": "Filter out events from localhost",
            "filter_browser_extensions": "Filter out errors caused by browser extensions",
            "filter_legacy_browsers": "Filter out events from legacy browsers",
            "filter_web_crawlers": "Filter out events from web crawlers",
            "filter_messages": "Error messages (globs)",
            "filter_releases": "Releases (globs)",
            "filter_ip_ranges": "Client IP addresses and ranges",
        }
        widgets = {
            name: forms.Textarea(attrs={"rows": 3, "class": "mono"})
            for name in ("filter_messages", "filter_releases", "filter_ip_ranges")
        }

    def _text(self, name: str) -> str:
        text = self.cleaned_data.get(name) or ""
        if len(text) > MAX_FILTER_TEXT:
            raise forms.ValidationError(f"At most {MAX_FILTER_TEXT} characters.")
        return "\n".join(line.strip() for line in text.splitlines() if line.strip())

    def clean_filter_messages(self):
        return self._text("filter_messages")

    def clean_filter_releases(self):
        return self._text("filter_releases")

    def clean_filter_ip_ranges(self):
        from events.wire.inbound_filters import parse_networks

        text = self._text("filter_ip_ranges")
        try:
            parse_networks(text)
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None
        return text


class OrganizationQuotaForm(forms.ModelForm):
    class Meta:
        model = Organization
        fields = ["monthly_event_quota"]
        labels = {"monthly_event_quota": "Events per month (30 days), all projects together"}


class SignInRulesForm(forms.ModelForm):
    """What owners require of members' sign-ins (accounts/ enforces it), and who joins through
    single sign-on (accounts/sso.py)."""

    class Meta:
        model = Organization
        fields = ["require_2fa", "require_sso", "sso_domains", "sso_role"]
        labels = {
            "require_2fa": "Require two-factor sign-in",
            "require_sso": "Require single sign-on (owners may still use their password)",
            "sso_domains": "Email domains that join through single sign-on",
            "sso_role": "Role of members who join that way",
        }
        help_texts = {
            "sso_domains": "Whoever signs in through single sign-on with a verified email of "
            "these domains becomes a member. One per line; empty = nobody joins that way.",
        }
        widgets = {"sso_domains": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        from accounts import sso

        super().__init__(*args, **kwargs)
        if not sso.enabled():  # nothing to require or join through: the settings stay as they are
            for name in ("require_sso", "sso_domains", "sso_role"):
                del self.fields[name]

    def clean_sso_domains(self):
        from accounts.claims import parse_domains

        try:
            return "\n".join(parse_domains(self.cleaned_data["sso_domains"]))
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from exc


class TeamForm(forms.ModelForm):
    class Meta:
        model = Team
        fields = ["name"]

    def clean(self):
        data = super().clean()
        team = self.instance
        team.slug = slugify(data.get("name") or "")[:100] or "team"
        if Team.objects.filter(organization=team.organization, slug=team.slug).exists():
            raise forms.ValidationError("A team with that name exists.")
        return data
