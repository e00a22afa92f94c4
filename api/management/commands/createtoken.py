"""manage.py createtoken <username> [--scopes read write] [--name NAME]: prints a new token."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from api import tokens
from api.models import ApiToken


class Command(BaseCommand):
    help = "Create a personal API token for a user and print it (it is shown only once)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--scopes",
            nargs="+",
            default=["read", "write"],
            help=f"Some of {', '.join(tokens.SCOPES)} (default: read write).",
        )
        parser.add_argument("--name", default="", help="A note to recognise the token by.")

    def handle(self, *args, username, scopes, name, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        try:
            scopes = tokens.clean_scopes(scopes)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        if not scopes:
            raise CommandError("Give at least one scope.")
        _row, text = ApiToken.issue(user, scopes=scopes, name=name or "createtoken")
        self.stdout.write(text)
