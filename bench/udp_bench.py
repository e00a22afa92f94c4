"""UDP mode of the benchmark: raven-format datagrams into `manage.py udpserver`.

    .venv/bin/python bench/udp_bench.py [--events 50000] [--rate 10000] [--groups 50]
        [--queue sqlite|redis] [--rcvbuf BYTES] [--batch-size 500] [--repeat 1] [--json]

Starts its own listener in a temporary DATA_DIR (SQLite database; ingest queue in SQLite, or
Redis db 13 on 127.0.0.1:6379 with --queue redis), creates a project, renders N datagrams
(raven 5.x-shaped errors with frames and context, unique event ids, --groups exception
types, base64(zlib(JSON)) as raven sends them) before the clock starts, sends them at
--rate datagrams/s (0 = as fast as one sender can), then waits for the listener to settle
and reads its counters (the stats file of `manage.py udpstats`).

Figures:
- sent/s: what the sender achieved;
- received/s, accepted/s: the listener's counters over its own first-to-last timestamps;
  accepted = handed to the ingest queue (the same hand-off as the HTTP edge);
- lost = sent - received, and of those the kernel's drop counter for the socket (receive
  buffer full), which is where UDP loses data when the listener cannot keep up;
- server CPU per datagram (user+system of the listener process / received).

With --compare-http the same stack then takes the same number of sentry-python envelopes
over HTTP (granian as in the Procfile, bench/loadgen.py unpaced, 32 connections).

Processing by workers is not part of this figure (INGEST_AUTO_DRAIN off, no worker): the
queue is checked to hold exactly the accepted events at the end. Loopback only.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
REDIS_URL = "redis://127.0.0.1:6379/13"
CLK_TCK = os.sysconf("SC_CLK_TCK")
APP_ENV = (
    "DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "INGEST_QUEUE_URL", "DATA_DIR", "BASE_URL",
    "INGEST_AUTO_DRAIN", "DJANGO_SETTINGS_MODULE", "UDP_RCVBUF_BYTES",
)  # fmt: skip

_SOURCE = [
    "def handle(request, order_id):",
    "    order = Order.objects.get(pk=order_id)",
    "    total = compute_total(order.items, currency=request.currency)",
    "    if total > order.limit:",
    "        raise PaymentError('limit exceeded for order %s' % order_id)",
    "    return render(request, 'order.html', {'order': order, 'total': total})",
]


def raven_event(project_id: int, group: int, event_id: str) -> dict:
    """Shaped like raven 5.x's captureException: aliases, integer level, string project."""
    frames = []
    for depth in range(12):
        frames.append({
            "abs_path": f"/srv/shop/app/module{depth}.py", "filename": f"app/module{depth}.py",
            "module": f"app.module{depth}", "function": f"step_{depth}", "lineno": 40 + depth,
            "context_line": _SOURCE[depth % len(_SOURCE)], "pre_context": _SOURCE[:3],
            "post_context": _SOURCE[3:], "in_app": depth > 2,
            "vars": {"order_id": str(1000 + depth), "request": "<WSGIRequest: POST '/pay'>"},
        })  # fmt: skip
    return {
        "project": str(project_id),
        "event_id": event_id,
        "culprit": "app.module11 in step_11",
        "level": 40,
        "platform": "python",
        "logger": "shop.payments",
        "server_name": "web-1",
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "message": f"PaymentError{group}: limit exceeded for order 1234",
        "sentry.interfaces.Exception": {
            "values": [{"type": f"PaymentError{group}", "value": "limit exceeded for order 1234",
                        "module": "app.errors", "stacktrace": {"frames": frames}}]
        },
        "tags": {"site": "shop"},
        "extra": {"sys.argv": ["manage.py", "runserver"]},
        "modules": {"django": "1.8.2", "raven": "5.2.0"},
    }  # fmt: skip


def render(public_key: str, project_id: int, count: int, groups: int) -> list[bytes]:
    header = (
        f"Sentry sentry_timestamp={time.time():.2f}, sentry_client=raven-python/5.2.0, "
        f"sentry_version=6, sentry_key={public_key}, sentry_secret=bench"
    ).encode()
    out = []
    for i in range(count):
        body = json.dumps(raven_event(project_id, i % groups, uuid.uuid4().hex)).encode()
        out.append(header + b"\n\n" + base64.b64encode(zlib.compress(body)))
    return out


def send(datagrams: list[bytes], port: int, rate: float) -> tuple[float, int]:
    """Send all datagrams (paced when rate > 0); returns (seconds, send errors)."""
    errors = 0
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 * 1024 * 1024)
        sendto, target = sock.sendto, ("127.0.0.1", port)
        started = time.perf_counter()
        step = max(1, int(rate / 1000)) if rate else len(datagrams)  # bursts of ~1 ms
        for start in range(0, len(datagrams), step):
            if rate:
                due = started + start / rate
                delay = due - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
            for data in datagrams[start : start + step]:
                try:
                    sendto(data, target)
                except OSError:
                    errors += 1
        return time.perf_counter() - started, errors


def cpu_seconds(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK
    except (OSError, IndexError, ValueError):
        return None


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def manage(env: dict, *args: str) -> str:
    run = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=300)  # fmt: skip
    if run.returncode:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{run.stderr[-3000:]}")
    return run.stdout


def queue_length(env: dict) -> int:
    out = manage(
        env, "shell", "-c", "from events.queue import get_queue; print(get_queue().backlog())"
    )
    return int(out.strip().splitlines()[-1])


def run_once(args, data_dir: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in APP_ENV}
    env.update(DATA_DIR=str(data_dir), INGEST_AUTO_DRAIN="false", PYTHONUNBUFFERED="1")
    env["SECRET_KEY"] = secrets.token_urlsafe(50)  # --compare-http's web server needs one
    if args.queue == "redis":
        env["INGEST_QUEUE_URL"] = REDIS_URL
        manage(env, "shell", "-c", "from events.queue import get_queue; get_queue().clear()")
    manage(env, "migrate", "--noinput", "-v", "0")
    # createproject's organization gets an owner: the first superuser.
    manage(env, "createsuperuser", "--noinput", "--username", "bench", "--email", "b@example.com")
    dsn = manage(env, "createproject", "bench", "udp").strip()
    public_key = dsn.split("://", 1)[1].split("@", 1)[0]
    project_id = int(dsn.rstrip("/").rsplit("/", 1)[1])

    datagrams = render(public_key, project_id, args.events, args.groups)
    sizes = sorted(len(d) for d in datagrams)
    port = free_udp_port()
    stats_file = data_dir / "udp-stats.json"
    cmd = [sys.executable, "manage.py", "udpserver", "--bind", f"127.0.0.1:{port}",
           "--stats-file", str(stats_file), "--stats-interval", "0.2", "--rcvbuf", str(args.rcvbuf),
           "--batch-size", str(args.batch_size)]  # fmt: skip
    log = open(data_dir / "udpserver.log", "wb")
    server = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)

    def stats() -> dict:
        try:
            return json.loads(stats_file.read_text())
        except (OSError, ValueError):
            return {}

    try:
        deadline = time.monotonic() + 30
        while stats().get("pid") != server.pid:
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit((data_dir / "udpserver.log").read_text()[-3000:])
            time.sleep(0.05)
        cpu_before = cpu_seconds(server.pid)
        seconds, send_errors = send(datagrams, port, args.rate)
        # Settled: everything received is handled, the socket buffer is empty, and nothing
        # new arrived for a second (or two minutes passed).
        last, stable_since, give_up = None, time.monotonic(), time.monotonic() + 120
        while time.monotonic() < give_up:
            current = stats()
            key = (current.get("received"), current.get("accepted"))
            if key != last:
                last, stable_since = key, time.monotonic()
            idle = current.get("pending") == 0 and not current.get("socket_queued_bytes")
            if idle and time.monotonic() - stable_since >= 1.0:
                break
            time.sleep(0.1)
        cpu_after = cpu_seconds(server.pid)
        final = stats()
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
    queued = queue_length(env)
    http = run_http(args, env, public_key, project_id, data_dir) if args.compare_http else None
    received, accepted = final["received"], final["accepted"]
    first = final["first_received_at"] or 0
    result = {
        "events": args.events,
        "rate_asked": args.rate,
        "datagram_bytes_median": sizes[len(sizes) // 2],
        "sent": args.events - send_errors,
        "send_errors": send_errors,
        "sent_per_s": round((args.events - send_errors) / seconds),
        "received": received,
        "received_per_s": round(received / max(1e-9, (final["last_received_at"] or first) - first)),
        "accepted": accepted,
        "accepted_per_s": round(accepted / max(1e-9, (final["last_accepted_at"] or first) - first)),
        "lost": args.events - send_errors - received,
        "kernel_drops": final.get("socket_drops"),
        "rejected": final["rejected"],
        "queued": queued,
        "rcvbuf": final["rcvbuf"],
        "handoff_us_per_event": round(1e6 * final["handoff_seconds"] / max(1, accepted), 1),
    }
    if cpu_before is not None and cpu_after is not None:
        result["server_cpu_us_per_datagram"] = round(
            1e6 * (cpu_after - cpu_before) / max(1, received)
        )
    if http is not None:
        result["http_accepted_per_s"] = http.get("accepted_per_s")
        result["http_accepted"] = http.get("accepted")
    if args.queue == "redis":
        manage(env, "shell", "-c", "from events.queue import get_queue; get_queue().clear()")
    return result


def run_http(args, env: dict, public_key: str, project_id: int, data_dir: Path) -> dict:
    """The HTTP edge on the same stack for comparison: granian as in the Procfile (2 workers),
    bench/loadgen.py's sentry-python envelopes, unpaced, 32 connections."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    if args.queue == "redis":
        manage(env, "shell", "-c", "from events.queue import get_queue; get_queue().clear()")
    cmd = [str(BIN / "granian"), "--interface", "wsgi", "--host", "127.0.0.1", "--port", str(port),
           "--workers", "2", "--blocking-threads", "1", "aggregator.wsgi:application"]  # fmt: skip
    log = open(data_dir / "granian.log", "wb")
    web = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or web.poll() is not None:
                    raise SystemExit((data_dir / "granian.log").read_text()[-3000:]) from None
                time.sleep(0.1)
        run = subprocess.run(
            [sys.executable, str(ROOT / "bench" / "loadgen.py"), "--dsn",
             f"http://{public_key}@127.0.0.1:{port}/{project_id}", "--events", str(args.events),
             "--concurrency", "32", "--json"],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=900,
        )  # fmt: skip
        if run.returncode:
            raise SystemExit(f"loadgen failed:\n{run.stderr[-3000:]}")
        return json.loads(run.stdout)
    finally:
        web.send_signal(signal.SIGTERM)
        try:
            web.wait(timeout=30)
        except subprocess.TimeoutExpired:
            web.kill()
        log.close()


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--rate", type=float, default=10_000, help="datagrams/s; 0 = unpaced")
    parser.add_argument("--groups", type=int, default=50)
    parser.add_argument("--queue", choices=["sqlite", "redis"], default="sqlite")
    parser.add_argument("--rcvbuf", type=int, default=8 * 1024 * 1024)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument(
        "--compare-http",
        action="store_true",
        help="then the same number of sentry-python envelopes over HTTP (loadgen)",
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    results = []
    for _ in range(args.repeat):
        data_dir = Path(tempfile.mkdtemp(prefix="udp-bench-"))
        try:
            results.append(run_once(args, data_dir))
        finally:
            shutil.rmtree(data_dir, ignore_errors=True)
    if args.json:
        print(json.dumps(results if args.repeat > 1 else results[0], indent=2))
        return
    for result in results:
        print(
            f"sent {result['sent']:,} at {result['sent_per_s']:,}/s ({result['datagram_bytes_median']} B)"
            f" | received {result['received']:,} at {result['received_per_s']:,}/s"
            f" | accepted {result['accepted']:,} at {result['accepted_per_s']:,}/s"
            f" | lost {result['lost']:,} (kernel drops {result['kernel_drops']})"
            f" | queued {result['queued']:,} | hand-off {result['handoff_us_per_event']} µs/event"
            f" | server CPU {result.get('server_cpu_us_per_datagram')} µs/datagram"
            + (f" | rejected {result['rejected']}" if result["rejected"] else "")
            + (f" || HTTP accepted {result['http_accepted_per_s']}/s" if args.compare_http else "")
        )
    if len(results) > 1:
        names = ["sent_per_s", "received_per_s", "accepted_per_s", "lost", "kernel_drops"]
        for name in names + (["http_accepted_per_s"] if args.compare_http else []):
            print(f"median {name}: {statistics.median(r[name] for r in results):,}")


if __name__ == "__main__":
    main()
