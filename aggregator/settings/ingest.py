"""The ingest queue and its limits, the data lifecycle, outcomes and metrics."""

from pathlib import Path

from .base import DATA_DIR, env
from .database import REDIS_URL

# --- Ingest queue: a Redis stream when Redis is configured, else a SQLite file in DATA_DIR.
INGEST_QUEUE_URL = env(
    "INGEST_QUEUE_URL", default=REDIS_URL or f"sqlite:///{DATA_DIR / 'ingest.sqlite3'}"
)
INGEST_BATCH_SIZE = env.int("INGEST_BATCH_SIZE", default=500)
INGEST_VISIBILITY_TIMEOUT = env.int("INGEST_VISIBILITY_TIMEOUT", default=120)
# Past this many queued events ingest answers 429 + Retry-After instead of growing the queue
# (50,000 brotli envelopes of the benchmark are ~170 MB of Redis memory).
INGEST_MAX_BACKLOG = env.int("INGEST_MAX_BACKLOG", default=50_000)
# Ingest first (events/processing/pacing.py): while more events than this arrive per second,
# drains wait, unless the backlog has reached INGEST_FIRST_MAX_BACKLOG. 0 turns it off.
# ./run.sh's one-worker default layout sets 2,500.
INGEST_FIRST_ABOVE = env.int("INGEST_FIRST_ABOVE", default=0)
INGEST_FIRST_MAX_BACKLOG = env.int("INGEST_FIRST_MAX_BACKLOG", default=INGEST_MAX_BACKLOG // 2)
# Gathering (events/processing/pacing.py): after a read that emptied the queue of at least
# INGEST_GATHER_LEAST messages, the next read waits until this many seconds after it, so that
# under a steady flow batches fill up instead of costing their fixed part per few events.
INGEST_GATHER_SECONDS = env.float("INGEST_GATHER_SECONDS", default=0.5)
INGEST_GATHER_LEAST = env.int("INGEST_GATHER_LEAST", default=20)
# Payloads kept on local disk while the queue is unreachable; past this, 429.
INGEST_MAX_SPOOL = env.int("INGEST_MAX_SPOOL", default=100_000)
# Each accepted payload asks a worker to drain; off, draining waits for beat (every 2 s).
INGEST_AUTO_DRAIN = env.bool("INGEST_AUTO_DRAIN", default=True)
INGEST_MAX_BODY_BYTES = env.int("INGEST_MAX_BODY_BYTES", default=20 * 1024 * 1024)
UDP_RCVBUF_BYTES = env.int("UDP_RCVBUF_BYTES", default=8 * 1024 * 1024)  # manage.py udpserver

# --- Data lifecycle (events/lifecycle.py): retention runs hourly (worker.py's beat schedule),
# in batches of this many events per transaction; past EVENTS_PER_ISSUE stored events (a
# project may set its own) an issue keeps a sample, its counts stay exact
# (events/processing/store.py).
CLEANUP_BATCH_SIZE = env.int("CLEANUP_BATCH_SIZE", default=1000)
# Share of the time a cleanup spends deleting (it pauses between batches): 1 = no pauses.
CLEANUP_DUTY = env.float("CLEANUP_DUTY", default=0.2)
EVENTS_PER_ISSUE = env.int("EVENTS_PER_ISSUE", default=1000)

# --- Outcomes (outcomes/): the edges fold their in-process counts this often (seconds).
OUTCOMES_FLUSH_SECONDS = env.float("OUTCOMES_FLUSH_SECONDS", default=5.0)

# --- Operations (ops/): Prometheus metrics and the status page.
# Each process's counters, as memory-mapped files that /metrics adds up (aggregator/metrics.py).
METRICS_DIR = Path(env("METRICS_DIR", default=str(DATA_DIR / "metrics")))
# /metrics answers requests that carry `Authorization: Bearer <METRICS_TOKEN>`; with no token
# set it answers only on METRICS_BIND (host:port, `manage.py metricsserver`), never on the web
# port.
METRICS_TOKEN = env("METRICS_TOKEN", default="")
METRICS_BIND = env("METRICS_BIND", default="127.0.0.1:9091")
