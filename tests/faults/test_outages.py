"""A server goes away while SDKs keep sending: ingest keeps answering, and once the server
is back every accepted event is stored exactly once.

The stack is the production shape (granian, Celery worker and beat on throwaway PostgreSQL
and Redis); events are posted continuously with unique ids over raw HTTP.
"""

import time

import psycopg
import pytest

from .harness import Sender, assert_stored_exactly_once, summarize, wait_until

pytestmark = [pytest.mark.faults, pytest.mark.one_pass]

TOTAL = 600
DURATION = 15.0
OUTAGE = 4.0


def _start_sending(stack) -> Sender:
    sender = Sender(stack, total=TOTAL, duration=DURATION).start()
    wait_until(
        lambda: sender.answered >= TOTAL // 4, 60, f"{TOTAL // 4} answers before the outage",
        lambda: f"{sender.answered} answered\n{summarize(sender.not_accepted())}\n"
        + stack.diagnostics(),
    )  # fmt: skip
    return sender


def test_database_restart_mid_send(server_stack, throwaway_postgres):
    """PostgreSQL stops for a few seconds while ~600 events arrive over ~15 s: ingest
    answers 200 throughout (keys from the cache), and afterwards every event is stored
    exactly once with exact counters and no FailedPayload."""
    stack = server_stack()
    sender = _start_sending(stack)

    throwaway_postgres.stop()  # fast: every open session is terminated
    down = time.monotonic()
    time.sleep(OUTAGE)
    up = time.monotonic()
    throwaway_postgres.start()
    sender.join(90)

    during = sender.between(down, up)
    assert len(during) >= 20, f"only {len(during)} requests were sent during the outage"
    refused = sender.not_accepted()
    assert not refused, (
        f"{len(refused)} of {sender.answered} requests not answered 200 (the key must come "
        f"from a cache while the database is down):\n{summarize(refused)}\n{stack.diagnostics()}"
    )
    assert len(sender.accepted()) == TOTAL
    assert_stored_exactly_once(stack, sender.accepted(), sender.sent_ids())


def test_redis_restart_mid_send(server_stack, throwaway_redis):
    """Redis (ingest queue, cache and Celery broker) stops for a few seconds while events
    arrive: ingest spools to DATA_DIR/spool and answers 200 (or a retryable 503/429);
    once Redis is back the spool is replayed and every accepted event is stored exactly
    once."""
    stack = server_stack()
    sender = _start_sending(stack)

    throwaway_redis.stop()  # graceful SHUTDOWN: the stream and its group persist
    down = time.monotonic()
    time.sleep(OUTAGE)
    spooled_during_outage = len(stack.spool_files())
    up = time.monotonic()
    throwaway_redis.start()
    worker_crashed = stack.revive_worker_after_broker_crash()
    sender.join(90)

    during = sender.between(down, up)
    assert len(during) >= 20, f"only {len(during)} requests were sent during the outage"
    # Ingest may refuse (503/429 with Retry-After: the SDK keeps the event and retries) but
    # must never fail otherwise; only 200s are promises that the event will be stored.
    bad = [
        r for r in sender.not_accepted() if not (r.status in (429, 503) and r.retry_after)
    ]  # fmt: skip
    assert not bad, (
        f"{len(bad)} requests failed without a retryable refusal:\n{summarize(bad)}\n"
        + stack.diagnostics()
    )
    accepted_during = [r for r in during if r.status == 200]
    assert accepted_during, "nothing was accepted while Redis was down (the spool is unused)"
    assert spooled_during_outage > 0, (
        "requests were accepted during the outage but nothing was spooled\n" + stack.diagnostics()
    )
    assert_stored_exactly_once(stack, sender.accepted(), sender.sent_ids())
    assert not worker_crashed, "the worker exited on the Redis restart\n" + stack.diagnostics()


def test_web_restart_during_database_outage(server_stack, throwaway_postgres):
    """A web process started while the database is down knows no key yet: it must find
    them in the shared cache (Redis), where every key load leaves a copy."""
    stack = server_stack()
    warmup = Sender(stack, total=20).start()
    warmup.join(60)
    assert len(warmup.accepted()) == 20, summarize(warmup.not_accepted())

    throwaway_postgres.stop()
    stack.restart_web()  # empty in-process key cache
    sender = Sender(stack, total=100, duration=3).start()
    sender.join(60)
    throwaway_postgres.start()

    refused = sender.not_accepted()
    assert not refused, (
        f"{len(refused)} of {sender.answered} refused by a web process started during the "
        f"outage:\n{summarize(refused)}\n{stack.diagnostics()}"
    )
    assert_stored_exactly_once(
        stack, warmup.accepted() | sender.accepted(), warmup.sent_ids() | sender.sent_ids()
    )


def test_database_stop_mid_batch(server_stack, throwaway_postgres):
    """The database goes away while a worker is inside a batch transaction (sessions are
    terminated mid-statement): the batch must be retried, not filed as FailedPayload."""
    total = 1500
    stack = server_stack(worker=False)
    sender = Sender(stack, total=total, threads=4).start()
    sender.join(120)
    assert not sender.not_accepted(), summarize(sender.not_accepted())

    stack.start_worker(wait=False)
    # Stop the database at the moment a worker's batch transaction has written something.
    with psycopg.connect(throwaway_postgres.url, autocommit=True) as watcher:
        wait_until(
            lambda: 0 < stack.stored_count() < total and watcher.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL"
            ).fetchone()[0] > 0,
            120, "a worker inside a batch transaction after some batches were stored",
            lambda: f"queue={stack.queue_state()}\n" + stack.diagnostics(), interval=0.005,
        )  # fmt: skip
    throwaway_postgres.stop()
    time.sleep(3)
    throwaway_postgres.start()
    assert_stored_exactly_once(stack, sender.accepted(), sender.sent_ids(), timeout=120)


def test_worker_survives_redis_restart_mid_drain(server_stack, throwaway_redis):
    """Redis restarts while one pool child drains a backlog (an unacked acks_late task)
    and the other waits for work: the worker must reconnect and finish, not exit."""
    total = 1500
    stack = server_stack(worker=False, beat=False)
    sender = Sender(stack, total=total, threads=4).start()
    sender.join(120)
    assert not sender.not_accepted(), summarize(sender.not_accepted())

    # Exactly one drain task: it runs for seconds; the second child stays idle (BRPOP).
    # Small batches keep it running that long (1,500 events in batches of 500 take ~0.5 s).
    stack.celery("purge", "-f")
    stack.env["INGEST_BATCH_SIZE"] = "20"
    stack.start_worker()
    stack.celery("call", "events.tasks.process_ingest_queue")
    wait_until(
        lambda: 0 < stack.stored_count() < total - 500, 120, "the worker to be draining",
        lambda: f"queue={stack.queue_state()}\n" + stack.diagnostics(), interval=0.02,
    )  # fmt: skip
    throwaway_redis.stop()
    time.sleep(2)  # the outage
    throwaway_redis.start()
    stack.start_beat()  # the interrupted drain is not retried (a Redis error): beat re-asks
    # Survived: a task sent after the restart is taken from the broker and run.
    task_id = stack.celery("call", "events.tasks.process_ingest_queue").strip()
    log = stack.logs / f"worker{stack.worker_generation}.log"

    def ran_it():
        if stack.worker.poll() is not None:
            raise AssertionError(
                f"the worker exited ({stack.worker.returncode}) after the broker restart\n"
                + stack.diagnostics()
            )
        return f"process_ingest_queue[{task_id}] succeeded" in log.read_text(errors="replace")

    wait_until(ran_it, 90, f"the worker to run task {task_id}, sent after the restart",
               stack.diagnostics)  # fmt: skip
    assert stack.worker.poll() is None, (
        f"the worker exited ({stack.worker.returncode}) after the broker restart\n"
        + stack.diagnostics()
    )
    assert_stored_exactly_once(stack, sender.accepted(), sender.sent_ids(), timeout=60)
