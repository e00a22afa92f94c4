"""Celery: the broker, the worker's options, and beat's schedule (every periodic task)."""

from .base import DATA_DIR, env
from .database import REDIS_URL

# Redis or RabbitMQ when CELERY_BROKER_URL says so, else a folder under DATA_DIR.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://localhost//")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = DATA_DIR / "broker"  # made by the transport when it connects
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "control_folder": str(_broker_dir / "control"),
        "polling_interval": 0.2,
    }
    CELERY_BROKER_TRANSPORT = "aggregator.fsbroker:Transport"  # whole messages only
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# The worker's CPU priority below the web's (nice 0-19; aggregator/priority.py): ingest
# first in a burst, processing catches up after it.
WORKER_NICE = env.int("WORKER_NICE", default=0)
# Prefork children in process groups of their own (aggregator/celery.py), for supervisors
# that stop a worker by signalling its group: the Procfile sets it, for honcho.
WORKER_CHILDREN_OWN_GROUP = env.bool("WORKER_CHILDREN_OWN_GROUP", default=False)
# Beat as a thread of the worker (aggregator/embedded_beat.py), instead of a process of its
# own: for one worker only, with no separate `celery beat`.
WORKER_BEAT = env.bool("WORKER_BEAT", default=False)
# The raven UDP listener as a thread of the worker (aggregator/embedded_udp.py), instead of
# `manage.py udpserver`: HOST:PORT, for one worker only. ./run.sh sets it from UDP_BIND.
WORKER_UDP_BIND = env("WORKER_UDP_BIND", default="")
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)

CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")
# Beat records a heartbeat on every tick (ops/beat.py), for /-/ready/ and the status page.
CELERY_BEAT_SCHEDULER = "ops.beat:HeartbeatScheduler"
CELERY_BEAT_SCHEDULE = {
    # Safety net: ingest kicks a drain itself; this catches anything a kick missed
    # (a broker hiccup, a worker restart) and reclaims events of dead consumers.
    "drain-ingest-queue": {
        "task": "events.tasks.process_ingest_queue",
        "schedule": 2.0,
        "options": {"expires": 10},
    },
    # Payloads spooled to local disk while the queue was away, left by a web process that
    # has not replayed them itself (it replays its own as soon as the queue answers).
    "replay-spool": {
        "task": "events.tasks.replay_spool",
        "schedule": 10.0,
        "options": {"expires": 30},
    },
    # Email digests that are due (digests/sending.py); a missed or repeated run is harmless.
    "send-digests": {
        "task": "digests.tasks.send_digests",
        "schedule": 300.0,
        "options": {"expires": 240},
    },
    # Alert deliveries recorded but never tried (their send task was lost).
    "send-stuck-alert-deliveries": {
        "task": "alerts.tasks.send_stuck_deliveries",
        "schedule": 300.0,
        "options": {"expires": 240},
    },
    # Data lifecycle (events/lifecycle.py; its settings are in ingest.py): retention.
    "expire-events": {
        "task": "events.tasks.expire_events",
        "schedule": env.float("RETENTION_EVERY_SECONDS", default=3600.0),
        "options": {"expires": 1800},
    },
    # The status page's queue chart and ingest rates (ops/tasks.py).
    "sample-pipeline": {
        "task": "ops.tasks.sample_pipeline",
        "schedule": 60.0,
        "options": {"expires": 50},
    },
    # Source map chunks live a day after their upload.
    "expire-sourcemap-chunks": {
        "task": "sourcemaps.tasks.expire_chunks",
        "schedule": 3600.0,
        "options": {"expires": 3000},
    },
    # Cron monitors' missed check-ins and timeouts (monitors/beat.py).
    "check-monitors": {
        "task": "monitors.tasks.check_monitors",
        "schedule": 60.0,
        "options": {"expires": 50},
    },
}
