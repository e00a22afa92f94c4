"""kombu's filesystem transport (the embedded default's broker), with messages that appear
whole and a wait for messages that ends when the worker is asked to stop.

kombu creates the message file under its final name and then writes it, so a worker
polling the folder can take the file while it is still empty and fail to decode it. Celery
treats that as unrecoverable and the worker exits (it happened on a fresh `./run.sh`: web
and beat sent drain requests while the worker polled). Here a message is written under a
name no reader looks at and renamed into place, which is atomic within a folder. Its
folders are made when a channel opens, not when settings are read.
"""

import os
import uuid
from queue import Empty
from time import monotonic, sleep

from celery.worker import state as worker_state
from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps

PARTIAL_PREFIX = ".partial-"  # and no ".<queue>.msg" in it: readers pick only those names


class Channel(filesystem.Channel):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Settings make no folders; kombu expects these to exist (it lists and writes them).
        for folder in (self.data_folder_in, self.data_folder_out, self.control_folder):
            os.makedirs(folder, exist_ok=True)

    def _put(self, queue, payload, **kwargs):
        # The same name as kombu's: readers take messages in sorted (time) order.
        name = f"{int(round(monotonic() * 1000))}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        partial = os.path.join(self.data_folder_out, f"{PARTIAL_PREFIX}{uuid.uuid4()}")
        try:
            with open(partial, "wb") as f:
                f.write(str_to_bytes(dumps(payload)))
            os.replace(partial, final)
        except OSError as exc:
            try:
                os.unlink(partial)
            except OSError:
                pass
            raise ChannelError(f"Cannot add file {final!r} to directory") from exc


def _stopping() -> bool:
    """Celery has been asked for a warm or cold shutdown: its signal handlers set an exit
    code here, which may be 0 (so `is`, as in `celery.worker.state.maybe_shutdown`)."""
    flags = (worker_state.should_stop, worker_state.should_terminate)
    return any(flag is not None and flag is not False for flag in flags)


class Transport(filesystem.Transport):
    Channel = Channel

    def drain_events(self, connection, timeout=None):
        """kombu's polling loop, which also ends, taking nothing, when the worker is asked
        to stop.

        Celery's loop for brokers without async I/O waits here for up to 2 s and looks for a
        shutdown request only between waits (and waits once more after it), so an idle
        worker took 6-8 s to stop on SIGTERM, past honcho's 5 s before SIGKILL. Taking no
        message once stopping matters too: under honcho the pool's processes get the same
        SIGTERM, and a task handed to them then left the worker waiting for it until killed.
        The message stays in the folder for the next worker.
        """
        started = monotonic()
        interval = self.polling_interval or 0
        if timeout and interval > timeout:
            interval = timeout
        while not _stopping():
            try:
                self.cycle.get(self._deliver, timeout=timeout)
                return
            except Empty:
                if timeout is not None and monotonic() - started >= timeout:
                    break
                sleep(interval)
                if self._window_full():
                    break
        raise TimeoutError  # socket.timeout: Celery's loop goes round and sees the flag

    def _window_full(self) -> bool:
        """A consumer holds as many unacknowledged messages as its prefetch allows (the
        task channel; the remote-control channel has no limit).

        Celery acknowledges a finished task (acks_late) from its loop, between two calls of
        drain_events, so waiting out the timeout here kept a freed pool process idle for up
        to 2 s after each task: with 2 children draining the ingest queue that stalled the
        drain for 2-4 s in every 10 (bench/README.md, 2026-12-07)."""
        return any(
            ch._consumers and ch.qos.prefetch_count and not ch.qos.can_consume()
            for ch in self.channels
        )
