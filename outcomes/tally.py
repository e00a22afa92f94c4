"""Counting outcomes cheaply: sums in memory, folded into the hourly rows in batches.

The worker folds its batch's counts inside the batch transaction (`fold`), so they are
exact whatever happens to the batch. The edges (web and UDP processes) `add` to an
in-process tally that a daemon thread folds every OUTCOMES_FLUSH_SECONDS, and once more at
exit: at most one small write per process per interval, however many requests arrive. A
fold that fails (the database is away) keeps its counts for the next one.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from datetime import UTC, datetime

from django.conf import settings
from django.db import close_old_connections, connection, transaction

from projects.models import Project

from .models import OutcomeCount

log = logging.getLogger(__name__)

# (project id, hour as epoch seconds, category, outcome, reason) -> quantity
Key = tuple[int, int, str, str, str]

_lock = threading.Lock()
_pending: dict[Key, int] = {}
_flusher_pid: int | None = None
MAX_KEYS = 100_000  # bounded: counts folded while the database is away wait in memory


def hour_of(timestamp: float | None = None) -> int:
    return int(timestamp if timestamp is not None else time.time()) // 3600 * 3600


def add(project_id: int, category: str, outcome: str, reason: str = "", quantity: int = 1) -> None:
    """Count at the edge; folded later by this process's flusher thread."""
    if quantity <= 0:
        return
    key = (project_id, hour_of(), category[:32], outcome, reason[:64])
    with _lock:
        if len(_pending) < MAX_KEYS or key in _pending:
            _pending[key] = _pending.get(key, 0) + quantity
    if _flusher_pid != os.getpid():
        _start_flusher()


def take() -> dict[Key, int]:
    global _pending
    with _lock:
        counts, _pending = _pending, {}
    return counts


def _put_back(counts: dict[Key, int]) -> None:
    with _lock:
        for key, quantity in counts.items():
            if len(_pending) < MAX_KEYS or key in _pending:
                _pending[key] = _pending.get(key, 0) + quantity


def fold(counts: dict[Key, int]) -> None:
    """Add `counts` to the hourly rows, in key order (concurrent folds never deadlock).
    Runs in the caller's transaction, if any."""
    if not counts:
        return
    table = OutcomeCount._meta.db_table
    adapt = connection.ops.adapt_datetimefield_value
    rows = [
        (project_id, adapt(datetime.fromtimestamp(hour, UTC)), category, outcome, reason, n)
        for (project_id, hour, category, outcome, reason), n in sorted(counts.items())
    ]
    sql = (
        f"INSERT INTO {table} (project_id, hour, category, outcome, reason, quantity) "
        "VALUES (%s, %s, %s, %s, %s, %s) "
        "ON CONFLICT (project_id, hour, category, outcome, reason) "
        f"DO UPDATE SET quantity = {table}.quantity + excluded.quantity"
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def flush() -> int:
    """Fold this process's tally now; returns how many buckets were written."""
    counts = take()
    if not counts:
        return 0
    try:
        if not connection.in_atomic_block:
            close_old_connections()  # the fast path skips Django's connection care
        live = set(
            Project.objects.filter(id__in={k[0] for k in counts}).values_list("id", flat=True)
        )
        counts = {k: n for k, n in counts.items() if k[0] in live}  # deleted projects: gone
        with transaction.atomic():
            fold(counts)
    except Exception:
        log.warning("could not fold outcome counts; keeping them for the next try", exc_info=True)
        _put_back(counts)
        return 0
    return len(counts)


def _run() -> None:
    while True:
        time.sleep(settings.OUTCOMES_FLUSH_SECONDS)
        flush()


def _start_flusher() -> None:
    """0 seconds: no thread, whoever counts flushes (the test process does so by hand)."""
    global _flusher_pid
    with _lock:
        if _flusher_pid == os.getpid():
            return
        _flusher_pid = os.getpid()  # a forked child starts its own
    if settings.OUTCOMES_FLUSH_SECONDS > 0:
        threading.Thread(target=_run, name="outcomes-flush", daemon=True).start()
        atexit.register(flush)
