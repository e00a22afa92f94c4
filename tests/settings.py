"""Settings of the test suite (pyproject.toml's DJANGO_SETTINGS_MODULE): the app's own, plus
what only tests need. pytest-django exports DJANGO_SETTINGS_MODULE, so the web servers,
workers and UDP listeners that tests start as subprocesses read this module too."""

import os
import sys
from pathlib import Path

from django.conf import global_settings

# pytest-xdist workers (`./test.sh -n 2`) each get a DATA_DIR of their own: SQLite test
# database, file broker, heartbeats, metrics. Only in the worker (it has imported xdist): the
# processes it starts inherit that DATA_DIR or are given one, and must not nest it again.
if "xdist" in sys.modules and (_worker := os.environ.get("PYTEST_XDIST_WORKER")):
    _base = os.environ.get("DATA_DIR") or str(Path(__file__).resolve().parents[1] / "data")
    os.environ["DATA_DIR"] = str(Path(_base) / _worker)

from aggregator.settings import *  # noqa: E402, F403
from aggregator.settings import DATA_DIR, DATABASES, env  # noqa: E402

# Fixed, so no test needs DATA_DIR/secret_key and every process of a test signs alike.
SECRET_KEY = "tests-only-not-secret-" + "x" * 40

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Tests that start real server and worker processes need a file all of them can open
    # (tests/conftest.py makes DATA_DIR).
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}
elif "TEST_DATABASE_NAME" in env:  # lets test runs side by side on one server keep apart
    DATABASES["default"]["TEST"] = {"NAME": env("TEST_DATABASE_NAME")}

# Outcomes: no flusher thread in the test process (tests call outcomes.tally.flush());
# tests/support/stack.py gives its processes a short interval.
OUTCOMES_FLUSH_SECONDS = env.float("OUTCOMES_FLUSH_SECONDS", default=0)

# A fast hasher for the users tests make (hundreds of them; the default PBKDF2 costs about a
# second each on a busy box). The processes tests start read this module too, so they check
# these passwords; the default hashers stay listed for hashes made elsewhere.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.MD5PasswordHasher",
    *global_settings.PASSWORD_HASHERS,
]
