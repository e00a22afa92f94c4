"""`manage.py cleanup`: retention by hand, with a progress bar and a summary (monitor
check-ins go with the events: events/lifecycle.py).

The beat task `events.tasks.expire_events` does the same every hour; this is for operators
who want it now, for other days than the projects' own, or to see first what would go."""

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q
from django.utils import timezone
from tqdm import tqdm

from events import lifecycle, space
from projects.models import Project


class Command(BaseCommand):
    help = (
        "Delete events and monitor check-ins older than the retention (each project's,"
        " or --days), in batches."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days", type=int, help="Keep this many days instead of each project's retention."
        )
        parser.add_argument(
            "--project",
            action="append",
            default=[],
            metavar="ORG/PROJECT",
            help="Only this project (org-slug/project-slug, or its id); repeatable.",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what would go; delete nothing."
        )
        parser.add_argument("--batch", type=int, help="Events per transaction.")
        parser.add_argument(
            "--vacuum",
            action="store_true",
            help="SQLite: rewrite the file once so later cleanups shrink it (older databases).",
        )

    def handle(self, *args, days, project, dry_run, batch, vacuum, **options):
        if days is not None and days < 0:
            raise CommandError("--days must be 0 or more.")
        if batch is not None and batch < 1:
            raise CommandError("--batch must be 1 or more.")
        projects = self._projects(project)
        now = timezone.now()
        total = lifecycle.pending(projects, now, days)
        with tqdm(
            total=total,
            unit="event",
            desc="would delete" if dry_run else "deleting",
            file=self.stderr._out,
            disable=None,  # no bar when stderr is not a terminal
        ) as bar:
            summary = lifecycle.Summary()
            for p in projects:
                summary.add(
                    lifecycle.expire_project(
                        p, now, days, dry_run=dry_run, batch=batch, tick=bar.update
                    )
                )
        if (summary.events or summary.others) and not dry_run:
            lifecycle.shrink()
        if vacuum and not dry_run:
            space.vacuum_sqlite()
        verb = "Would delete" if dry_run else "Deleted"
        self.stdout.write(
            f"{verb} {summary.events} events and {summary.issues} issues"
            f" in {len(projects)} projects."
        )
        for label, n in sorted(summary.others.items()):
            self.stdout.write(f"{verb} {n} {label}.")
        for name, n in sorted(summary.projects.items()):
            if n:
                self.stdout.write(f"  {name}: {n} events")

    def _projects(self, names: list[str]) -> list[Project]:
        projects = Project.objects.select_related("organization").order_by("id")
        if not names:
            return list(projects)
        found = []
        for name in names:
            org, _, slug = name.rpartition("/")
            q = Q(organization__slug=org, slug=slug) if org else Q(slug=slug)
            if name.isdigit():
                q |= Q(pk=int(name))
            match = list(projects.filter(q))
            if len(match) != 1:
                raise CommandError(
                    f"--project {name}: {'no' if not match else 'more than one'} project"
                    " (use org-slug/project-slug or the id)."
                )
            found += match
        return found
