"""bench/run.py's command line: the stack's layout, the load and the measurement."""

from __future__ import annotations

import argparse
from pathlib import Path


def parse_args(argv=None, description: str = ""):
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--backend", choices=["postgres", "embedded"], required=True)
    parser.add_argument("--events", type=int, default=20000)
    parser.add_argument("--groups", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rate", type=float, default=None, help="events/s; default: burst")
    parser.add_argument("--encoding", choices=["br", "gzip", "none"], default="br")
    parser.add_argument(
        "--processes", type=int, choices=[1, 2], default=1, help="loadgen processes"
    )
    parser.add_argument("--repeat", type=int, default=1, help="runs, each on a fresh stack")
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--web-threads", type=int, default=3, help="granian blocking threads")
    parser.add_argument(
        "--web-preload",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="granian started by aggregator/web.py: the app loaded before the workers fork",
    )
    # The defaults are ./run.sh's default layout (README "Processes").
    parser.add_argument("--worker-concurrency", type=int, default=2)
    parser.add_argument("--worker-pool", choices=["prefork", "threads", "solo"], default="prefork")
    parser.add_argument(
        "--worker-autoscale", default="", help="MAX,MIN prefork children (Celery --autoscale)"
    )
    parser.add_argument(
        "--worker-nice",
        type=int,
        default=0,
        help="WORKER_NICE for the worker: ingest first, processing after",
    )
    parser.add_argument(
        "--ingest-first-above",
        type=int,
        default=2000,
        help="INGEST_FIRST_ABOVE: drains wait while more events than this arrive per second",
    )
    parser.add_argument(
        "--ingest-batch-size", type=int, default=0, help="INGEST_BATCH_SIZE (0: the setting's)"
    )
    parser.add_argument("--no-beat", action="store_true", help="do not start celery beat")
    parser.add_argument(
        "--worker-beat",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="WORKER_BEAT: beat as a thread of the worker, no beat process",
    )
    parser.add_argument(
        "--worker-udp",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="WORKER_UDP_BIND: the UDP listener as a thread of the worker",
    )
    parser.add_argument("--max-seconds", type=float, default=600, help="cap on the load phase")
    parser.add_argument("--stall-timeout", type=float, default=30,
                        help="give up draining after this long without progress")  # fmt: skip
    parser.add_argument("--quiet", type=float, default=5, help="seconds to wait before recounting")
    parser.add_argument("--series-points", type=int, default=24)
    parser.add_argument("--profile", action="store_true", help="py-spy the web and worker trees")
    parser.add_argument(
        "--max-background",
        type=float,
        default=0.3,
        help="CPU cores busy outside the stack that count as a quiet machine",
    )
    parser.add_argument("--wait-idle", type=float, default=0,
                        help="seconds to wait for a quiet machine before the load")  # fmt: skip
    parser.add_argument(
        "--retry-noisy",
        type=int,
        default=0,
        help="run again (up to N times) when the machine was busy during a run",
    )
    parser.add_argument(
        "--no-snapshot",
        action="store_true",
        help="run the working tree itself rather than a copy taken at the start",
    )
    parser.add_argument(
        "--cleanup-old",
        type=int,
        default=0,
        metavar="N",
        help="fill N events 30 days old, then load while `manage.py cleanup --days 7` runs",
    )
    parser.add_argument(
        "--cleanup-baseline",
        action="store_true",
        help="with --cleanup-old: fill the same, run no cleanup (the figures to compare with)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (logs, data)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of the summary")
    parser.add_argument("--one-run", type=Path, help=argparse.SUPPRESS)  # internal: child mode
    parser.add_argument("--src", type=Path, help=argparse.SUPPRESS)  # internal: code to run
    return parser.parse_args(argv)
