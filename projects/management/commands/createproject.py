from django.core.management.base import BaseCommand, CommandError

from projects.setup import ensure_project


class Command(BaseCommand):
    help = "Create an organization and project if missing, and print the project's DSN."

    def add_arguments(self, parser):
        parser.add_argument("organization")
        parser.add_argument("name")
        parser.add_argument("--platform", default="")

    def handle(self, *args, organization, name, platform, **options):
        if not organization.strip() or not name.strip():
            raise CommandError("organization and project names must not be empty")
        project, created = ensure_project(organization, name, platform)
        key = project.keys.filter(is_active=True).order_by("id").first()
        if key is None:
            raise CommandError(f"project {project.slug} has no active key")
        verb = "Created" if created else "Found"
        self.stderr.write(
            f"{verb} project {project.organization.slug}/{project.slug} (id {project.id})"
        )
        self.stdout.write(key.dsn())
