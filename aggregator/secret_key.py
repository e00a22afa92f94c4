"""The secret key of an install without SECRET_KEY in its environment: `manage.py bootstrap`
(which ./run.sh runs) writes one to settings.SECRET_KEY_FILE, and settings read it from there.

Settings never write it themselves (importing them has no side effects), so a process can
find no key at all. Commands that need none still run; the web server and the worker, which
sign sessions and unsubscribe links, refuse to start with `require()`'s message instead of
Django's "The SECRET_KEY setting must not be empty." at the first login.
"""

import os
import secrets
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def create(path: Path) -> bool:
    """Write a new random key to `path` (and its folder) unless one is there; True if
    written. Never replaces a key: that would log everyone out and void mailed links."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(secrets.token_urlsafe(50) + "\n")
    try:
        os.link(partial, path)  # whole, and only if there is none: two bootstraps agree
    except FileExistsError:
        return False
    finally:
        os.unlink(partial)
    return True


def present() -> bool:
    try:
        return bool(settings.SECRET_KEY)
    except ImproperlyConfigured:  # Django's answer for an empty one
        return False


# Placeholders that shipped in example configurations (docker-compose.yml once had the first):
# anyone could sign sessions with them.
PLACEHOLDERS = frozenset({"change-me-to-a-long-random-string", "change-me", "changeme"})


def require() -> None:
    """Raise ImproperlyConfigured saying what to do when there is no secret key, or a
    placeholder everybody knows."""
    if present() and settings.SECRET_KEY.strip().lower() in PLACEHOLDERS:
        raise ImproperlyConfigured(
            "SECRET_KEY is a published placeholder: set a long random one (python -c "
            "'import secrets; print(secrets.token_urlsafe(50))'), or unset it and run "
            f"`python manage.py bootstrap` once, which writes one to {settings.SECRET_KEY_FILE}."
        )
    if not present():
        raise ImproperlyConfigured(
            "No secret key: set SECRET_KEY in the environment, or run ./run.sh or "
            f"`python manage.py bootstrap` once, which write one to {settings.SECRET_KEY_FILE}."
        )
