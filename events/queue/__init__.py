"""The ingest queue: raw payloads from the edge, drained in batches by Celery workers.

Delivery is at least once. A reader claims messages, stores them, and acknowledges them
only after the database commit; messages claimed by a reader that died are handed out
again once they have been claimed for longer than the visibility timeout. The event id,
unique per project, makes storage exactly once.

Two backends with the same interface:
- a Redis stream with a consumer group (production, many machines);
- a SQLite file in DATA_DIR (the embedded default, one machine).
"""

from functools import cache
from urllib.parse import urlsplit

from django.conf import settings

from .payload import Message, QueuedPayload
from .redis_stream import RedisStreamQueue
from .sqlite import SqliteQueue

__all__ = ["Message", "QueuedPayload", "RedisStreamQueue", "SqliteQueue", "get_queue"]


@cache
def _queue_for(url: str):
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisStreamQueue(url)
    if url.startswith("sqlite://"):
        return SqliteQueue(urlsplit(url).path)
    raise ValueError(f"unsupported INGEST_QUEUE_URL: {url}")


def get_queue():
    return _queue_for(settings.INGEST_QUEUE_URL)
