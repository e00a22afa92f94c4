"""Creating organizations and projects from the command line (and tests)."""

from django.db import transaction
from django.utils.text import slugify

from .models import Organization, Project


@transaction.atomic
def ensure_project(org_name: str, project_name: str, platform: str = "") -> tuple[Project, bool]:
    """The named project in the named organization, creating whatever is missing."""
    org_slug = slugify(org_name)[:100] or "org"
    organization, _ = Organization.objects.get_or_create(slug=org_slug, defaults={"name": org_name})
    slug = slugify(project_name)[:100] or "project"
    project, created = Project.objects.get_or_create(
        organization=organization, slug=slug, defaults={"name": project_name, "platform": platform}
    )
    return project, created
