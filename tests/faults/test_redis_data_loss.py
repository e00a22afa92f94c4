"""Redis comes back empty (restarted without persistence, failed over to a fresh replica,
flushed, or the stream evicted under an allkeys-* maxmemory policy). What the stream held
is gone, which is why production Redis must persist it; but events accepted *after* Redis
is back must still be processed by the workers that are already running."""

import shutil

import pytest

from .harness import Sender, assert_stored_exactly_once, summarize

pytestmark = [pytest.mark.faults, pytest.mark.one_pass]


def test_events_after_redis_data_loss_are_processed(server_stack, throwaway_redis):
    # One pool child: it is certain to have read the queue (and created the group) before.
    # With more children the same happens as soon as each of them has drained once.
    stack = server_stack(concurrency=1)
    before = Sender(stack, total=50).start()
    before.join(60)
    assert_stored_exactly_once(stack, before.accepted(), before.sent_ids())

    # No task in flight when Redis goes (the Celery crash of
    # test_outages.py::test_worker_survives_redis_restart_mid_drain is not the subject here).
    stack.stop_beat()
    throwaway_redis.stop()
    shutil.rmtree(throwaway_redis.dir / "appendonlydir")
    throwaway_redis.start()  # empty: no stream, no consumer group
    stack.start_beat()
    assert stack.worker.poll() is None, "the worker exited\n" + stack.diagnostics()

    after = Sender(stack, total=100, duration=2).start()
    after.join(60)
    refused = after.not_accepted()
    assert not refused, summarize(refused)
    worker_log = stack.logs / "worker1.log"

    def stuck() -> str | None:
        if worker_log.read_text(errors="replace").count("NOGROUP") >= 5:
            return "the worker keeps failing with NOGROUP (no consumer group in the new Redis)"
        return None

    assert_stored_exactly_once(
        stack, before.accepted() | after.accepted(), before.sent_ids() | after.sent_ids(),
        timeout=30, give_up=stuck,
    )  # fmt: skip
