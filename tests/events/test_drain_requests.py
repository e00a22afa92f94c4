"""The edge's drain requests, as they reach the real broker."""

from datetime import UTC, datetime

import pytest

from aggregator.celery import app
from events import handoff


@pytest.mark.filterwarnings("ignore::celery.exceptions.AlwaysEagerIgnored")
def test_a_drain_request_expires_so_requests_cannot_pile_up(settings):
    settings.INGEST_AUTO_DRAIN = True
    app.control.purge()
    handoff._Drain.last_request = 0.0
    sent_at = datetime.now(UTC)
    handoff.request_drain()
    handoff.request_drain()  # within the interval: not sent
    with app.connection_for_read() as conn:
        queue = conn.SimpleQueue(app.conf.task_default_queue)
        try:
            message = queue.get(timeout=10)
            message.ack()
            with pytest.raises(queue.Empty):  # the second request was not sent
                queue.get(timeout=0.5)
        finally:
            queue.close()
    assert message.headers["task"] == "events.tasks.process_ingest_queue"
    expires = datetime.fromisoformat(message.headers["expires"])
    assert 0 < (expires - sent_at).total_seconds() <= handoff.DRAIN_REQUEST_TTL + 1
