import os
import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand

from aggregator import secret_key
from projects.models import Membership
from projects.setup import ensure_project


class Command(BaseCommand):
    help = (
        "First-run set-up, safe to repeat (./run.sh runs it at every start): DATA_DIR and its "
        "secret key (unless SECRET_KEY is set), migrations, an admin user (password: "
        "ADMIN_PASSWORD, else a random one saved in DATA_DIR/admin_password) and a demo project."
    )

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")
        # An address, so the demo project's default alert rule has someone to mail: with the
        # embedded default those emails land as files in DATA_DIR/mail for a new user to read.
        parser.add_argument("--email", default="admin@localhost")

    def handle(self, *args, username, email, **options):
        # Settings make no folders or files: the key first (the web server and the worker
        # need it), then the database, whose SQLite file lives in DATA_DIR too.
        settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
        if not secret_key.present():
            secret_key.create(settings.SECRET_KEY_FILE)
            settings.SECRET_KEY = settings.SECRET_KEY_FILE.read_text().strip()
        # Quiet on a normal start (./run.sh); `-v 2` lists the migrations. Errors stay loud.
        call_command("migrate", interactive=False, verbosity=max(0, options["verbosity"] - 1))
        User = get_user_model()
        password_file = settings.DATA_DIR / "admin_password"
        user = User.objects.filter(username=username).first()
        given = os.environ.get("ADMIN_PASSWORD", "")
        if user is None:
            password = given or secrets.token_urlsafe(12)
            user = User.objects.create_superuser(username, email, password)
            if not given:  # a password chosen by the operator is not written anywhere
                password_file.write_text(password + "\n")
                password_file.chmod(0o600)
        project, _ = ensure_project("Demo", "Demo project", "python")
        Membership.objects.get_or_create(
            user=user, organization=project.organization, defaults={"role": Membership.Role.OWNER}
        )
        key = project.keys.filter(is_active=True).order_by("id").first()
        if given:
            known = "the one in ADMIN_PASSWORD when the user was made"
        elif password_file.exists():
            known = f"{password_file.read_text().strip()}  (saved in {_shown(password_file)})"
        else:
            known = (
                f"(not saved; set one with: .venv/bin/python manage.py changepassword {username})"
            )
        mail = f"written to {_shown(settings.EMAIL_FILE_PATH)}/" if _file_mail() else "sent by SMTP"
        # The DSN last: these are the lines before the processes' own output in ./run.sh.
        self.stdout.write(
            f"\n  Dashboard:  {settings.BASE_URL}/\n"
            f"  User:       {username}\n"
            f"  Password:   {known}\n"
            f"  Mail:       alerts for {user.email or '(no address)'} are {mail}\n"
            f"  Try:        pip install sentry-sdk && python -c \"import sentry_sdk; sentry_sdk.init('{key.dsn()}');"
            f" sentry_sdk.capture_message('hello'); sentry_sdk.flush()\"\n"
            f"  DSN:        {key.dsn()}\n"
        )


def _shown(path) -> str:
    """A path relative to the current folder when it is inside it (data/admin_password)."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _file_mail() -> bool:
    return settings.EMAIL_BACKEND.endswith("filebased.EmailBackend")
