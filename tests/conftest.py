"""Fixtures for every test. The shared helpers live in tests/support/: the modules below
hold fixtures (real server and worker processes, the browser, a webhook receiver) and are
loaded as plugins; the others are imported where they are used."""

import os

import pytest
from django.conf import settings

from events.ingest import keys
from events.queue import get_queue
from tests.support.factories import ProjectFactory

pytest_plugins = ["tests.support.stack", "tests.support.browser", "tests.support.webhooks"]


# Tests marked `one_pass` run only in the embedded pass (SQLite, the default a user runs).
# Their result cannot depend on the database, queue or broker of the pass: pure functions,
# templates and access rules, clients' wire formats, browsers, and tests that bring their own
# servers or strip the pass's settings. ONE_PASS=all runs them with PostgreSQL too.
ONE_PASS_SKIP = "backend-independent: runs in the embedded pass (ONE_PASS=all runs it here)"


def embedded_pass() -> bool:
    return settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    # Skipped here, before any fixture (a module's server or browser) is set up.
    if item.get_closest_marker("one_pass") and not embedded_pass():
        if os.environ.get("ONE_PASS") != "all":
            pytest.skip(ONE_PASS_SKIP)


def pytest_configure(config):
    # Settings make no folders. The SQLite test database lives in DATA_DIR (tests/settings.py);
    # STATIC_ROOT is collectstatic's, and WhiteNoise warns about it missing at every start.
    settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
    settings.STATIC_ROOT.mkdir(parents=True, exist_ok=True)


@pytest.fixture(autouse=True, scope="session")
def _own_ingest_queue(tmp_path_factory):
    """Tests never share the ingest queue of a locally running instance."""
    if settings.INGEST_QUEUE_URL.startswith("sqlite://"):
        path = tmp_path_factory.mktemp("queue") / "ingest.sqlite3"
        settings.INGEST_QUEUE_URL = f"sqlite:///{path}"
    settings.INGEST_AUTO_DRAIN = False  # tests drain the queue themselves
    yield


@pytest.fixture(autouse=True)
def _tasks_run_inline(request):
    """Tasks that code under test queues (rule evaluation after a stored batch, deliveries)
    run right here, instead of piling up in a broker no test worker reads. Tests with a real
    worker (the live_stack fixture) send what they queue to it."""
    from aggregator.celery import app

    # Under the CELERY_ namespace the Django-style key wins over `task_always_eager`.
    app.conf.update(CELERY_TASK_ALWAYS_EAGER="live_stack" not in request.fixturenames)
    yield


@pytest.fixture
def ingest_queue():
    queue = get_queue()
    queue.clear()
    keys.clear()
    yield queue
    queue.clear()


@pytest.fixture
def project():
    return ProjectFactory()


@pytest.fixture
def key(project):
    """The project's default key."""
    return project.keys.get()


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server; Django's mail goes to it for the test. Yields its Inbox."""
    from tests.support import mailserver

    controller, inbox = mailserver.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = controller.hostname, controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    try:
        yield inbox
    finally:
        controller.stop()
