"""The raven UDP listener as a thread of the worker (`WORKER_UDP_BIND`), for a box that
runs one worker: the default of ./run.sh.

`manage.py udpserver` on its own is a process with all of Django loaded (~75 MiB PSS) that
mostly waits for datagrams. This step runs the same listener (events/ingest/udp.py) in a
thread of the worker; only one process can bind the address, so set it on one worker only.
"""

from __future__ import annotations

import logging
import threading

from celery import bootsteps
from django.conf import settings

STOP_WAIT = 35.0  # seconds; the listener hands off what it received (up to 30 s) first

log = logging.getLogger(__name__)


class UdpThread:
    def __init__(self, bind: str):
        self.bind = bind
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._run, name="udp", daemon=True)

    def _run(self) -> None:
        from events.ingest import udp, udp_stats

        try:
            udp.serve(
                self.bind, rcvbuf=settings.UDP_RCVBUF_BYTES, stop=self.stop_event,
                stats_file=udp_stats.stats_path(settings.DATA_DIR, self.bind),
            )  # fmt: skip
        except OSError:
            log.exception("udp: cannot listen on udp://%s", self.bind)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.stop_event.set()
        if self.thread.is_alive():
            self.thread.join(STOP_WAIT)


class EmbeddedUdp(bootsteps.StartStopStep):
    label = "EmbeddedUdp"
    # After the pool: prefork children are forked before the socket and thread exist.
    requires = ("celery.worker.components:Pool",)

    def __init__(self, parent, **kwargs):
        super().__init__(parent, **kwargs)
        self.enabled = bool(settings.WORKER_UDP_BIND)

    def create(self, parent):
        return UdpThread(settings.WORKER_UDP_BIND)
