from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from projects.models import Membership, Organization
from projects.setup import ensure_project

SHOWN_MEMBERS = 10


class Command(BaseCommand):
    help = (
        "Create an organization and project if missing, and print the project's DSN. A new "
        "organization gets an owner (--owner, by default the admin `bootstrap` made), so that "
        "someone can see it in the dashboard and the API."
    )

    def add_arguments(self, parser):
        parser.add_argument("organization")
        parser.add_argument("name")
        parser.add_argument("--platform", default="")
        parser.add_argument(
            "--owner",
            default=None,
            help="User name of the organization's owner (default: the first superuser, "
            "the admin that bootstrap made). Added as owner to an existing organization too.",
        )

    def handle(self, *args, organization, name, platform, owner, **options):
        if not organization.strip() or not name.strip():
            raise CommandError("organization and project names must not be empty")
        user = _owner(owner)
        project, created = ensure_project(organization, name, platform)
        org = project.organization
        if owner is not None or not org.memberships.exists():
            Membership.objects.get_or_create(
                user=user, organization=org, defaults={"role": Membership.Role.OWNER}
            )
        key = project.keys.filter(is_active=True).order_by("id").first()
        if key is None:
            raise CommandError(f"project {project.slug} has no active key")
        verb = "Created" if created else "Found"
        self.stderr.write(
            f"{verb} project {org.slug}/{project.slug} (id {project.id}); "
            f"who can see it: {_members(org)}"
        )
        self.stdout.write(key.dsn())


def _owner(username: str | None):
    """The named user, or the first superuser; CommandError saying what to do if none."""
    User = get_user_model()
    if username is not None:
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(
                f"No user named {username!r}: give an existing user name with --owner, or "
                "create the user first (manage.py createsuperuser)."
            )
        return user
    user = User.objects.filter(is_superuser=True, is_active=True).order_by("id").first()
    if user is None:
        raise CommandError(
            "No admin user to own the organization: run `manage.py bootstrap` (./run.sh does) "
            "or name an owner with --owner <username>."
        )
    return user


def _members(org: Organization) -> str:
    rows = list(org.memberships.select_related("user").order_by("id")[: SHOWN_MEMBERS + 1])
    shown = ", ".join(f"{m.user.username} ({m.role})" for m in rows[:SHOWN_MEMBERS])
    if len(rows) > SHOWN_MEMBERS:
        shown += f" and {org.memberships.count() - SHOWN_MEMBERS} more"
    return shown
