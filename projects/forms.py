"""Forms for organizations, projects and keys."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils.text import slugify

from .invitations import open_invitations
from .models import Membership, Organization, Project, ProjectKey, Team

PLATFORMS = [
    ("python", "Python"), ("javascript", "JavaScript (browser)"), ("node", "Node.js"),
    ("java", "Java"), ("go", "Go"), ("ruby", "Ruby"), ("php", "PHP"), ("csharp", ".NET"),
    ("native", "Native"), ("other", "Other"),
]  # fmt: skip


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


class SignInRulesForm(forms.ModelForm):
    """What owners require of members' sign-ins (accounts/ enforces it)."""

    class Meta:
        model = Organization
        fields = ["require_2fa"]
        labels = {"require_2fa": "Require two-factor sign-in"}


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
