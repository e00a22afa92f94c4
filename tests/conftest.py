import pytest
from django.conf import settings

from events import keys
from events.queue import get_queue
from tests.factories import ProjectFactory


@pytest.fixture(autouse=True, scope="session")
def _own_ingest_queue(tmp_path_factory):
    """Tests never share the ingest queue of a locally running instance."""
    if settings.INGEST_QUEUE_URL.startswith("sqlite://"):
        path = tmp_path_factory.mktemp("queue") / "ingest.sqlite3"
        settings.INGEST_QUEUE_URL = f"sqlite:///{path}"
    settings.INGEST_AUTO_DRAIN = False
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
