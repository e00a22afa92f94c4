"""Celery beat as a thread of the worker (`WORKER_BEAT`), for a box that runs one worker.

Beat on its own is a ~100 MB process that only sends a handful of periodic tasks. Celery's
`worker -B` forks it instead (the same memory again, as RSS), so this step runs beat's
service in a thread. Schedules must be sent by exactly one beat: turn this on for one
worker only, and then run no separate `celery beat`.
"""

from __future__ import annotations

import threading

from celery import beat, bootsteps
from django.conf import settings

STOP_WAIT = 5.0  # seconds; the service notices a stop within its 1 s tick


class BeatThread:
    def __init__(self, app):
        self.app = app
        # max_interval 1 s: the loop sleeps at most that long, so a stop is quick.
        # The configured scheduler (its ticks are beat's heartbeat, ops/beat.py): Service
        # would otherwise take its own default class.
        self.service = beat.Service(
            app, max_interval=1, schedule_filename=settings.CELERY_BEAT_SCHEDULE_FILENAME,
            scheduler_cls=app.conf.beat_scheduler,
        )  # fmt: skip
        self.thread = threading.Thread(target=self._run, name="Beat", daemon=True)

    def _run(self) -> None:
        self.app.set_current()
        self.service.start()

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.service.stop(wait=False)
        if self.thread.is_alive():
            self.thread.join(STOP_WAIT)  # it writes its schedule file on the way out


class EmbeddedBeat(bootsteps.StartStopStep):
    label = "EmbeddedBeat"
    # After the pool: prefork children are forked before this thread exists.
    requires = ("celery.worker.components:Pool",)

    def __init__(self, parent, **kwargs):
        super().__init__(parent, **kwargs)
        self.enabled = settings.WORKER_BEAT

    def create(self, parent):
        return BeatThread(parent.app)
