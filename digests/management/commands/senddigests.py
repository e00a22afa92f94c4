from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from digests import sending


class Command(BaseCommand):
    help = "Send the email digests that are due now (what the beat task does), or show them."

    def add_arguments(self, parser):
        parser.add_argument("--user", help="only this username")
        parser.add_argument(
            "--dry-run", action="store_true", help="print what is due; send and record nothing"
        )
        parser.add_argument(
            "--now",
            action="store_true",
            help="with --user: send that user's digest of what is new since their last one at "
            "once, due or not (that period is then never sent again)",
        )

    def handle(self, *args, user=None, dry_run=False, now=False, **options):
        found = get_user_model().objects.filter(username=user).first() if user else None
        if user is not None and found is None:
            raise CommandError(f"no user {user!r}")
        if now:
            if found is None or dry_run:
                raise CommandError("--now sends one user's digest: give --user, not --dry-run")
            results = [sending.send_now(found, timezone.now())]
        else:
            results = sending.run(timezone.now(), username=user, dry_run=dry_run)
        for r in results:
            period = f"{r.start:%Y-%m-%d %H:%M} to {r.end:%Y-%m-%d %H:%M} UTC"
            line = f"{r.status}: {r.username} <{r.email}>, {period}, {r.issues} issue(s)"
            self.stdout.write(line + (f": {r.subject}" if r.subject else ""))
        if not results:
            self.stdout.write("no digests due")
