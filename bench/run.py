"""Reproduce the benchmark figures with one command.

    .venv/bin/python bench/run.py --backend postgres|embedded --events 20000 --groups 50 \
        --concurrency 32 [--rate R] [--repeat 3] [--json] [--profile]

Each run starts its own stack in a temporary DATA_DIR (postgres: a fresh `bench_<random>`
database on 127.0.0.1:5432 and Redis db 14, both cleaned up afterwards; embedded: SQLite and
the file broker), migrates, creates a project, starts granian, a Celery worker and Celery
beat as in the Procfile, runs bench/loadgen.py against it, and then watches the database
until every accepted event is stored. See bench/README.md for what each figure means.

With --cleanup-old N the stack's database first gets N events 30 days old (bulk SQL) and
`manage.py cleanup --days 7` deletes them while the load runs (bench/cleanup_load.py);
--cleanup-baseline fills the same and runs no cleanup: the figures to compare with.

With --repeat K the runs happen one after the other, each in a fresh stack, and the
summary reports medians. Everything started is stopped at the end, on error and on Ctrl-C.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

if not __package__:  # run as a script: the repository root makes `bench.*` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import options  # noqa: E402
from bench.figures import summarize_collapsed  # noqa: E402
from bench.processes import (  # noqa: E402
    BIN,
    ROOT,
    Sampler,
    Stack,
    code_version,
    free_port,
    setup_backend,
    snapshot_source,
    start_stack,
    teardown_backend,
)
from bench.procfs import SpeedProbe, cpu_between  # noqa: E402
from bench.report import build_report, combine, format_summary  # noqa: E402

LOADGEN = ROOT / "bench" / "loadgen.py"
FINE_POLL_BELOW = 1000  # events still to store: two ingest batches
# Variables of ours that would leak a developer's configuration into the bench stack.
APP_ENV = (
    "DATABASE_URL",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "INGEST_QUEUE_URL",
    "DATA_DIR",
    "BASE_URL",
    "ALLOWED_HOSTS",
    "SECRET_KEY",
    "INGEST_BATCH_SIZE",
    "INGEST_VISIBILITY_TIMEOUT",
    "INGEST_AUTO_DRAIN",
    "CELERY_TASK_ALWAYS_EAGER",
    "DJANGO_SETTINGS_MODULE",
    "DEBUG",
    "WORKER_NICE",
    "INGEST_FIRST_ABOVE",
    "INGEST_FIRST_MAX_BACKLOG",
    "WORKER_BEAT",
    "WORKER_UDP_BIND",
)


def run_once(args) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="aggbench-"))
    (tmp / "data").mkdir()  # settings make no folders; ./run.sh's bootstrap would
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in APP_ENV}
    env.update(
        DATA_DIR=str(tmp / "data"), BASE_URL=f"http://127.0.0.1:{port}", PYTHONUNBUFFERED="1",
        SECRET_KEY=secrets.token_urlsafe(50),  # a throwaway stack's
        WORKER_NICE=str(args.worker_nice), INGEST_FIRST_ABOVE=str(args.ingest_first_above),
        WORKER_BEAT="1" if args.worker_beat else "0",
        # As ./run.sh: the UDP listener as a thread of the worker, on a port of its own.
        WORKER_UDP_BIND=f"127.0.0.1:{free_port()}" if args.worker_udp else "",
    )  # fmt: skip
    if args.ingest_batch_size:
        env["INGEST_BATCH_SIZE"] = str(args.ingest_batch_size)
    stack = Stack(args.backend, tmp, env)
    print(f"bench: {args.backend} stack in {tmp}", file=sys.stderr)
    try:
        stack.src = args.src or ROOT
        env["PYTHONPATH"] = str(stack.src)  # ahead of the editable install's finder
        setup_backend(stack)
        dsn = start_stack(stack, args)
        return measure(stack, dsn, args)
    finally:
        stack.stop_all()
        teardown_backend(stack)
        if args.keep:
            print(f"bench: kept {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def measure(stack: Stack, dsn: str, args) -> dict:
    os.environ.update(stack.env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "aggregator.settings"
    sys.path.insert(0, str(stack.src))
    import django

    django.setup()
    from events.models import FailedPayload, Issue

    project_id = int(dsn.rstrip("/").rsplit("/", 1)[1])
    filled = cleaner = None
    if args.cleanup_old:
        from bench import cleanup_load

        filled = cleanup_load.fill(project_id, args.cleanup_old, args.groups,
                                   lambda line: print(line, file=sys.stderr))  # fmt: skip
        print(f"bench: old events {filled}", file=sys.stderr)
    sampler = Sampler(stack, project_id)
    background = wait_for_quiet_machine(sampler, args)
    if filled and not args.cleanup_baseline:
        cleaner = cleanup_load.Cleanup(stack, filled)
        cleaner.start()  # the load starts once its first batch is deleted

    sampler.rest = sampler.pss_by_process()  # before the load: the stack at rest
    out_json = stack.tmp / "loadgen.json"
    cmd = [str(BIN / "python"), str(LOADGEN), "--dsn", dsn, "--events", str(args.events),
           "--groups", str(args.groups), "--concurrency", str(args.concurrency),
           "--encoding", args.encoding, "--processes", str(args.processes),
           "--max-seconds", str(args.max_seconds), "--json-out", str(out_json)]  # fmt: skip
    if args.rate:
        cmd += ["--rate", str(args.rate)]
    sampler.probe = SpeedProbe()
    loadgen = stack.start("loadgen", cmd)
    profilers = start_profilers(stack) if args.profile else []

    # Load phase: sample every 0.5 s (memory and the backlog every second) until the
    # generator is done. CPU counters add up whatever the rate; a look at /proc costs the
    # orchestrator ~1 ms and the PSS of the app's processes ~15, CPU the stack would
    # otherwise have had.
    while loadgen.popen.poll() is None:
        n = len(sampler.samples)
        sampler.sample(memory=n % 2 == 0, backlog=n % 2 == 0)
        sampler.probe.maybe()
        if cleaner:
            cleaner.mark()
        time.sleep(0.5)
    if cleaner:
        cleaner.load_ended()
    if loadgen.popen.returncode != 0 or not out_json.exists():
        raise RuntimeError(f"loadgen failed; see {loadgen.log}")
    load = json.loads(out_json.read_text())
    accepted = load["accepted"]

    # Drain phase: until everything accepted is stored, or no progress for --stall-timeout.
    # Polls fast near the end, where the time of the last stored event is decided.
    done_sample, last_progress, last_seen, fine = None, time.monotonic(), None, False
    while True:
        n = len(sampler.samples)
        s = sampler.sample(light=fine, memory=n % 4 == 0, backlog=n % 4 == 0 and not fine)
        if s["stored"] >= accepted:
            if s["backlog"] is None:
                s["backlog"] = sampler.queue.backlog()
            if s["backlog"] == 0:
                done_sample = {**sampler.sample(), "t": s["t"]}  # CPU a few ms after the fact
                break
        fine = accepted - s["stored"] <= FINE_POLL_BELOW
        if s["stored"] != last_seen:
            last_seen, last_progress = s["stored"], time.monotonic()
        elif time.monotonic() - last_progress > args.stall_timeout:
            break
        time.sleep(0.05 if fine else 0.25)
    profiles = stop_profilers(profilers)
    if cleaner:
        cleaner.mark("drained")

    # Quiet period, then the final count: anything still missing is lost.
    quiet_until = time.monotonic() + args.quiet
    while time.monotonic() < quiet_until:
        time.sleep(0.5)
        sampler.sample()
    final = sampler.sample(exact=True)  # the rows themselves: what `events lost` compares
    final["counted"] = sampler.stored()  # what the polls read: the issues' counters
    issues = list(Issue.objects.filter(project_id=project_id).values_list("title", "times_seen"))
    failed = FailedPayload.objects.filter(project_id=project_id).count()
    report = build_report(args, stack, sampler, load, done_sample, final, issues, failed,
                          background, profiles)  # fmt: skip
    if cleaner:
        report["cleanup"] = cleaner.report(load["first_send_unix"], load["last_done_unix"])
    elif filled:
        report["cleanup"] = {**filled, "baseline": True}
    return report


def wait_for_quiet_machine(sampler: Sampler, args) -> float:
    """CPU cores busy outside our stack (other people's jobs); waits up to --wait-idle
    seconds for it to fall under --max-background. Returns the last measurement."""
    deadline = time.monotonic() + args.wait_idle
    while True:
        a = sampler.sample(memory=False)
        time.sleep(2.0)
        b = sampler.sample(memory=False)
        busy = cpu_between(a, b)
        background = (busy["other"] + busy.get("postgres", 0)) / (b["t"] - a["t"])
        if background <= args.max_background or time.monotonic() > deadline:
            break
        print(f"bench: machine busy ({background:.2f} cores outside the stack); waiting",
              file=sys.stderr)  # fmt: skip
        time.sleep(3.0)
    del sampler.samples[:]
    return background


def start_profilers(stack: Stack) -> list[tuple[str, subprocess.Popen, Path]]:
    """py-spy on the web and worker process trees (raw collapsed stacks, 97 Hz). `--gil`:
    only the thread holding the GIL is sampled, so a thread waiting for it (the web threads
    share one) does not show up as time in whatever call it returns from."""
    spy = BIN / "py-spy"
    if not spy.exists():
        raise RuntimeError("--profile needs py-spy: .venv/bin/pip install py-spy")
    out = []
    for name in ("web", "worker"):
        path = stack.tmp / f"profile-{name}.txt"
        cmd = [str(spy), "record", "--format", "raw", "--rate", "97", "--subprocesses",
               "--nonblocking", "--gil", "--pid", str(stack.procs[name].popen.pid), "-o", str(path)]  # fmt: skip
        # Started like the stack, so that it is stopped with it and its CPU is its own.
        out.append((name, stack.start(f"py-spy-{name}", cmd).popen, path))
    return out


def stop_profilers(profilers) -> dict:
    summaries = {}
    for name, popen, path in profilers:
        popen.send_signal(signal.SIGINT)
        try:
            popen.wait(timeout=30)
        except subprocess.TimeoutExpired:
            popen.kill()
        if path.exists():
            summaries[name] = summarize_collapsed(path.read_text().splitlines())
            summaries[name]["file"] = str(path)
    return summaries


def parse_args(argv=None):
    return options.parse_args(argv, description=__doc__.split("\n\n")[0])


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP: unlike Ctrl-C, the child run may not have got it."""


_interrupted = False


def _interrupt(signum, frame):
    """The first of SIGINT/SIGTERM/SIGHUP stops the run; later ones (a second Ctrl-C, the
    parent passing a SIGTERM on) must not cut the cleanup short, so they are ignored."""
    global _interrupted
    if _interrupted:
        return
    _interrupted = True
    if signum == signal.SIGINT:
        raise KeyboardInterrupt
    raise Terminated(f"signal {signum}")


def main(argv=None) -> int:
    args = parse_args(argv)
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _interrupt)
    if args.one_run:  # child: one run in this process (Django is set up once per process)
        try:
            args.one_run.write_text(json.dumps(run_once(args)))
        except KeyboardInterrupt:
            print("bench: interrupted; everything it started is stopped", file=sys.stderr)
            return 130
        return 0
    code = code_version(ROOT)
    src = ROOT
    if not args.no_snapshot:  # one copy of the code for all the runs
        src = Path(tempfile.mkdtemp(prefix="aggbench-src-"))
        snapshot_source(ROOT, src)
    child_argv = [a for a in (argv if argv is not None else sys.argv[1:]) if a != "--json"]
    child_argv += ["--src", str(src)]
    try:
        runs = _run_children(args, child_argv, args.retry_noisy)
    finally:
        if src != ROOT:
            shutil.rmtree(src, ignore_errors=True)
    if runs is None:
        return 1
    if not runs:
        return 130
    result = {**combine(runs), "code": code}
    print(json.dumps(result, indent=1) if args.json else format_summary(result))
    return 0


def _run_children(args, child_argv: list[str], retries: int) -> list[dict] | None:
    """Runs one child per repeat; None when a run failed, [] when interrupted."""
    runs = []
    while len(runs) < args.repeat:
        i = len(runs)
        out = Path(tempfile.mkstemp(prefix="aggbench-run-", suffix=".json")[1])
        child = subprocess.Popen([sys.executable, __file__, *child_argv, "--one-run", str(out)])
        try:
            status = child.wait()
        except KeyboardInterrupt as exc:  # Ctrl-C reached the child too; it cleans up its stack
            if isinstance(exc, Terminated):
                child.send_signal(signal.SIGTERM)  # ignored if it got one already
            child.wait()
            out.unlink(missing_ok=True)
            return []
        text = out.read_text()
        out.unlink(missing_ok=True)
        if status != 0 or not text:
            print(f"bench: run {i + 1} failed (exit {status})", file=sys.stderr)
            return None
        run = json.loads(text)
        f, noise = run["figures"], run["other_cpu_cores_during"] or 0.0
        print(f"bench: run {i + 1}/{args.repeat}: {f['accepted_per_s']} accepted/s,"
              f" e2e {f['e2e_per_s']}/s, {noise} cores busy outside the stack",
              file=sys.stderr)  # fmt: skip
        if noise > args.max_background and retries > 0:
            retries -= 1
            print("bench: the machine was busy during that run; running it again", file=sys.stderr)
            continue
        runs.append(run)
    return runs


if __name__ == "__main__":
    sys.exit(main())
