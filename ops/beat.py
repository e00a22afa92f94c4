"""Beat's heartbeat: its scheduler records each tick (ops/checks.py reads it)."""

from celery.beat import PersistentScheduler

from aggregator import heartbeat


class HeartbeatScheduler(PersistentScheduler):
    def tick(self, *args, **kwargs):
        heartbeat.beat("beat")
        return super().tick(*args, **kwargs)
