"""CPU cost of one ingest request through the WSGI fast path, without servers.

    python bench/edge.py [--requests 100] [--rounds 7] [--callgrind] [--no-metrics]

What `aggregator.wsgi` runs for an envelope POST: the fast path, the Sentry endpoint,
admission (key, project, limits) and the hand-off, over the same brotli envelopes as
bench/stages.py. The key comes from the in-process cache and the queue is a stand-in that
keeps nothing, so the figure is our code's, not the database's or Redis's. µs per request is
the fastest of `--rounds` passes; `--callgrind` adds instructions per request (a pass over N
requests minus a pass over none, each in a valgrind process of its own), which compare
code changes whatever the machine's load. bench/stages.py splits the edge's checks further.
`--no-metrics` turns the Prometheus hook (aggregator/metrics.py) off, for an A/B of its
cost; every run also times the hook alone (CPU µs per call, the fastest of the rounds).
"""

from __future__ import annotations

import argparse
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

if not __package__:  # run as a script: the repository root makes `bench.*` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

KEY = "a" * 32
COLLECTED = re.compile(rb"Collected : (\d+)")


def setup():
    """Django on a throwaway DATA_DIR, the key cached, the queue a stand-in; returns the app."""
    os.environ.update(
        DJANGO_SETTINGS_MODULE="aggregator.settings", DATA_DIR=tempfile.mkdtemp(),
        SECRET_KEY="bench-" + "x" * 44, INGEST_AUTO_DRAIN="false",
    )  # fmt: skip
    for name in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "INGEST_QUEUE_URL"):
        os.environ.pop(name, None)
    import django

    django.setup()
    from events.ingest import handoff, keys, wsgi

    class NoQueue:
        def push(self, payload) -> None:
            pass

        def backlog(self) -> int:
            return 0

    handoff.get_queue = NoQueue
    keys._cache[KEY] = (float("inf"), keys.KeyInfo(1, 1, True, None, None))
    return wsgi.IngestFastPath(lambda environ, start_response: [b""])


def request(app, body: bytes) -> None:
    environ = {
        "REQUEST_METHOD": "POST", "PATH_INFO": "/api/1/envelope/", "QUERY_STRING": "",
        "CONTENT_LENGTH": str(len(body)), "HTTP_CONTENT_ENCODING": "br",
        "HTTP_X_SENTRY_AUTH": f"Sentry sentry_key={KEY}, sentry_version=7",
        "HTTP_USER_AGENT": "sentry.python/2.75.0", "REMOTE_ADDR": "127.0.0.1",
        "wsgi.input": io.BytesIO(body),
    }  # fmt: skip
    status = []
    app(environ, lambda line, headers: status.append(line))
    if not status[0].startswith("200"):
        raise RuntimeError(f"the edge answered {status[0]}")


def one_pass(app, bodies: list[bytes]) -> float:
    start = time.perf_counter()
    for body in bodies:
        request(app, body)
    return time.perf_counter() - start


def hook_micros(rounds: int, calls: int = 20_000) -> float:
    """CPU µs per call of the edge's metrics hook alone (accepted, with its latency): this
    thread's CPU time, so time spent waiting for a core on a busy machine is left out."""
    from aggregator import metrics

    best = float("inf")
    for _ in range(rounds):
        start = time.thread_time()
        for _ in range(calls):
            metrics.ingest_observed("envelope", None, 0.0004)
        best = min(best, time.thread_time() - start)
    return best / calls * 1e6


def _collected(count: int, no_metrics: bool) -> int:
    cmd = [
        "valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable,
        __file__, "--requests", str(count), "--inside-valgrind",
    ]  # fmt: skip
    if no_metrics:
        cmd.append("--no-metrics")
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    out = subprocess.run(cmd, capture_output=True, env=env, check=True).stderr
    match = COLLECTED.search(out)
    if match is None:
        raise RuntimeError(f"no instruction count in valgrind's output: {out[-500:]!r}")
    return int(match.group(1))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=7, help="timed passes; the fastest counts")
    parser.add_argument("--callgrind", action="store_true", help="also count instructions")
    parser.add_argument("--no-metrics", action="store_true", help="the metrics hook off")
    parser.add_argument("--inside-valgrind", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    from bench.stages import build_envelopes

    app = setup()
    from aggregator import metrics

    # A server flushes the tally once a second, a cost spread over that second's requests;
    # under valgrind a second of wall time is a few requests, so flushes would count many
    # times over. The pass flushes nothing; bench/README.md has the flush's cost.
    metrics.FLUSH_EVERY = 3600.0
    if args.no_metrics:
        metrics.ingest_observed = lambda *args, **kwargs: None
    # The same envelopes whatever --requests, so valgrind's two passes share their set-up.
    bodies = build_envelopes(max(args.requests, 100) + 1, 50)
    request(app, bodies[-1])  # one-time costs (first imports, first regex) outside the pass
    if args.inside_valgrind:
        one_pass(app, bodies[: args.requests])
        return 0
    micros = min(one_pass(app, bodies[: args.requests]) for _ in range(args.rounds))
    print(f"µs/request {micros / args.requests * 1e6:10.1f}")
    if not args.no_metrics:
        print(f"metrics hook CPU µs/call {hook_micros(args.rounds):6.2f}")
    if args.callgrind:
        if shutil.which("valgrind") is None:
            raise RuntimeError("--callgrind needs valgrind (apt install valgrind)")
        collected = _collected(args.requests, args.no_metrics)
        per_request = (collected - _collected(0, args.no_metrics)) // args.requests
        print(f"instructions/request {per_request:,}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
