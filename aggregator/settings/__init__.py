"""The settings, by concern, in the modules of this package; `aggregator.settings` is still
the one DJANGO_SETTINGS_MODULE. Everything comes from the environment (django-environ); with
nothing set the embedded default runs: SQLite and a file-based Celery broker under DATA_DIR,
no servers.

Importing it reads the environment (and the secret key file) and nothing else: whoever
needs a folder under DATA_DIR makes it (`manage.py bootstrap`, the file broker, the SQLite
ingest queue, collectstatic). Test-only settings are in tests/settings.py.

    base      paths, DATA_DIR, BASE_URL, apps, middleware, templates, locale, logging
    security  secret key, hosts, proxy, cookies, CSP, passwords, sign-in limits, sessions
    database  the database, Redis and the cache
    worker    Celery: broker, worker options, beat's schedule
    ingest    the ingest queue and its limits, data lifecycle, outcomes, metrics
    api       the REST API
    mail      email, and notification rules' deliveries
    storage   static files and source maps
"""

from .api import *  # noqa: F403
from .base import *  # noqa: F403
from .database import *  # noqa: F403
from .ingest import *  # noqa: F403
from .mail import *  # noqa: F403
from .security import *  # noqa: F403
from .storage import *  # noqa: F403
from .worker import *  # noqa: F403
