from django.core.management.base import BaseCommand, CommandError

from events.models import Event, Issue
from sourcemaps import reprocess


class Command(BaseCommand):
    help = (
        "Map an issue's stored JavaScript/Node events again against the source maps uploaded "
        "now (events are not reprocessed by themselves when maps arrive after them). The "
        "events stay in their issue: grouping is not recomputed."
    )

    def add_arguments(self, parser):
        parser.add_argument("issue_id", type=int)
        parser.add_argument("--limit", type=int, default=10000, help="newest events first")

    def handle(self, issue_id, limit, **options):
        issue = Issue.objects.filter(pk=issue_id).first()
        if issue is None:
            raise CommandError(f"No issue {issue_id}.")
        seen = changed = frames = 0
        events = Event.objects.filter(issue=issue).order_by("-timestamp")[:limit]
        for event in events.iterator(chunk_size=200):
            seen += 1
            before = reprocess.mapped_count(event.data)
            data = reprocess.remap(event.data, event.project_id)
            gained = reprocess.mapped_count(data) - before
            if data != event.data:
                event.data = data
                event.save(update_fields=["data"])
                changed += 1
                frames += max(gained, 0)
        self.stdout.write(f"{seen} events read, {changed} updated, {frames} more frames mapped.")
