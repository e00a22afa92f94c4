import pytest

from events.ingest import keys, ratelimit
from outcomes import tally
from outcomes.models import OutcomeCount
from tests.support.world import *  # noqa: F403 (fixtures: alice, bob, charlie, project)


@pytest.fixture(autouse=True)
def _fresh_edge_state():
    """Limit counters, the key cache and the edge's tally start empty in every test."""
    ratelimit._limiter.cache_clear()
    ratelimit._limiter().storage.reset()
    keys.clear()
    tally.take()
    yield
    ratelimit._limiter().storage.reset()
    keys.clear()
    tally.take()


def counts(project, **filters) -> dict[tuple, int]:
    """{(category, outcome, reason): quantity} of a project, summed over hours."""
    result: dict[tuple, int] = {}
    for row in OutcomeCount.objects.filter(project=project, **filters):
        key = (row.category, row.outcome, row.reason)
        result[key] = result.get(key, 0) + row.quantity
    return result
