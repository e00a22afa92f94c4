"""manage.py replayfailed --id 3 --id 7 | --all: queue failed payloads again."""

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from ops import replay


class Command(BaseCommand):
    help = "Queue failed payloads (the status page's list) again, once their bug is fixed."

    def add_arguments(self, parser):
        parser.add_argument("--id", type=int, action="append", dest="ids", help="a payload id")
        parser.add_argument("--all", action="store_true", help="every failed payload")

    def handle(self, *args, ids=None, all=False, **options):
        if bool(ids) == bool(all):
            raise CommandError("give --id (one or more times) or --all")
        rows = replay.select(None if all else ids)
        total = rows.count()
        if ids:
            missing = set(ids) - set(rows.values_list("id", flat=True))
            if missing:
                raise CommandError(
                    f"no failed payload with id {', '.join(map(str, sorted(missing)))}"
                )
        with tqdm(total=total, unit="payload", file=self.stderr._out, disable=total == 0) as bar:
            result = replay.replay(rows.iterator(chunk_size=200), progress=bar.update)
        for pk, why in result.skipped.items():
            self.stderr.write(f"payload {pk} not replayable: {why}")
        self.stdout.write(f"{result.queued} of {total} failed payloads queued again")
        if result.skipped:
            raise CommandError(f"{len(result.skipped)} payloads could not be replayed")
