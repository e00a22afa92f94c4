"""A worker dies mid-batch (SIGKILL of its whole process group: no cleanup, no ack, an
open transaction): a new worker picks up the claimed messages after the visibility
timeout, and every accepted event is stored exactly once with exact counters."""

import pytest

from .harness import Sender, assert_stored_exactly_once, summarize, wait_until

pytestmark = [pytest.mark.faults, pytest.mark.one_pass]

TOTAL = 3000


@pytest.fixture(params=["embedded", "postgres+redis"])
def stack_without_worker(request):
    if request.param == "embedded":  # SQLite, file broker, SQLite ingest queue in DATA_DIR
        return request.getfixturevalue("make_stack")({}, worker=False)
    return request.getfixturevalue("server_stack")(worker=False)


def test_worker_sigkill_mid_batch(stack_without_worker):
    """~3,000 events queued with no worker running; a worker starts, and once it has
    stored some and claimed more, its whole process group gets SIGKILL; a new worker must
    store every accepted event exactly once."""
    stack = stack_without_worker

    # Fill the queue while no worker runs.
    sender = Sender(stack, total=TOTAL, threads=4).start()
    sender.join(180)
    refused = sender.not_accepted()
    assert not refused, f"{len(refused)} not accepted:\n{summarize(refused)}"
    assert stack.stored_count() == 0
    assert stack.queue_state()[0] == TOTAL

    # Start a worker; kill it while batches are claimed and some are already stored.
    stack.start_worker(wait=False)

    def mid_batch():
        stored = stack.stored_count()
        claimed = stack.queue_state()[1]
        return 0 < stored < TOTAL and claimed > 0 and (stored, claimed)

    wait_until(
        mid_batch, 120, "the worker to store some events with more claimed",
        lambda: stack.diagnostics()
        + f"\nstored={stack.stored_count()} queue={stack.queue_state()}",
        interval=0.02,
    )  # fmt: skip
    stack.kill_worker()
    stored_at_kill = stack.stored_count()
    length, claimed = stack.queue_state()
    assert stored_at_kill < TOTAL, "the worker stored everything before it was killed"
    assert claimed > 0, (
        f"the kill landed between batches (stored={stored_at_kill}, queue={length}): "
        "nothing was left claimed"
    )

    stack.start_worker()
    assert_stored_exactly_once(stack, sender.accepted(), sender.sent_ids(), timeout=150)
