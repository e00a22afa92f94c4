"""CPU cost of each step an event goes through, per event, without servers.

    python bench/stages.py [--events 100] [--rounds 7] [--callgrind] [--json] [--js]

The edge's checks and the worker's preparation are run over the same realistic envelopes
as bench/loadgen.py sends (the captured sentry-python event, G groups, brotli). Each stage
reports the fastest of `--rounds` timed passes in µs per event, and with `--callgrind` the
instructions per event counted by valgrind: a pass over N events minus a pass over none,
each in a process of its own. Instruction counts do not move with the machine's load or
clock, so they compare code changes on a shared box where timings drift by a third from
one minute to the next; they miss cache and memory effects, so check big changes with
bench/run.py too.

Only pure modules are imported (no Django set-up, no database), so the stages follow
events/processing/prepare.py's `prepare` step by step rather than calling it.

`--js` times the source-map step of JavaScript events instead (bench/js_case.py: 30 frames
across 3 bundles with ~1 MB maps, caches warm), in ms of CPU per event.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

if not __package__:  # run as a script: the repository root makes `bench.*` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import orjson  # noqa: E402

from bench import payload  # noqa: E402
from events import fields  # noqa: E402
from events.processing import enrich, grouping, normalize, scrub, tags, titles, trim  # noqa: E402
from events.wire import compression, eventcheck  # noqa: E402
from events.wire.envelope import MAX_ENVELOPE_BYTES, parse_envelope  # noqa: E402
from events.wire.event_json import parse_event_json  # noqa: E402

RECEIVED = 1.8e9  # the envelopes' timestamp, so normalize keeps it
COLLECTED = re.compile(rb"Collected : (\d+)")


def build_envelopes(count: int, groups: int) -> list[bytes]:
    """`count` brotli-compressed envelopes as bench/loadgen.py sends them (bench/payload.py),
    with fixed event ids and timestamp (the processes counted by --callgrind read the parent's)."""
    header, item_header, event = payload.split_envelope(
        json.loads(payload.FIXTURE.read_text())["raw_envelope_text"]
    )
    templates = [payload.group_template(event, g) for g in range(groups)]
    return [
        payload.compress(
            payload.make_envelope(
                header, item_header, templates[i % groups], i, f"{i + 1:032x}", RECEIVED
            ),
            "br",
        )
        for i in range(count)
    ]


def _event_bytes(body: bytes) -> bytes:
    data = compression.decompress(body, "br", MAX_ENVELOPE_BYTES)
    return parse_envelope(data).event_item().payload


def _normalized(raw: bytes) -> dict:
    return normalize.normalize_event(orjson.loads(raw), received=RECEIVED, trusted=True)


def _prepare(body: bytes) -> None:
    """The worker's steps for one queued envelope, in events/processing/prepare.py's order."""
    event = normalize.normalize_event(
        orjson.loads(_event_bytes(body)), received=RECEIVED, trusted=True
    )
    event = enrich.run(event, 0)  # nothing registered here: what other platforms pay
    event = trim.trim_event(event, survey=scrub.scrub_and_survey(event))
    grouping.compute_grouping(event)
    titles.event_title(event), titles.event_culprit(event), titles.event_metadata(event)
    tags.event_tags(event)
    fields.pack(event)


def _edge_check(data: bytes) -> None:
    """As events/ingest/sentry.py: the body's event id only when the header has none."""
    envelope = parse_envelope(data)
    eventcheck.check_event_json(envelope.event_item().payload, want_id=envelope.event_id is None)


def _titles(event: dict) -> None:
    titles.event_title(event), titles.event_culprit(event), titles.event_metadata(event)


# name -> (what each call gets, the call). Inputs: "body" the compressed envelope, "raw" the
# event's JSON bytes, "event" a fresh normalized event (stages that change it get a copy).
STAGES: dict[str, tuple[str, object]] = {
    "edge: decompress": ("body", lambda b: compression.decompress(b, "br", 1 << 24)),
    "edge: envelope + event check": ("plain", _edge_check),
    "edge: envelope + event check, orjson": (  # the fallback, and the check before simdjson
        "plain",
        lambda d: parse_event_json(parse_envelope(d).event_item().payload),
    ),
    "worker: decode": ("body", lambda b: orjson.loads(_event_bytes(b))),
    "worker: normalize": (
        "parsed",
        lambda r: normalize.normalize_event(r, received=RECEIVED, trusted=True),
    ),
    "worker: scrub": ("event", scrub.scrub_event),
    "worker: trim": ("event", trim.trim_event),
    # As prepare runs them: trim skips what scrubbing's survey vouches for.
    "worker: scrub + trim, surveyed": (
        "event",
        lambda e: trim.trim_event(e, survey=scrub.scrub_and_survey(e)),
    ),
    "worker: grouping": ("event", grouping.compute_grouping),
    "worker: titles": ("event", _titles),
    "worker: tags": ("event", tags.event_tags),
    "worker: pack": ("event", fields.pack),
    "worker: prepare (all above)": ("body", _prepare),
}


def _inputs(bodies: list[bytes]) -> dict[str, list]:
    """Fresh inputs of every kind for one pass, built before the clock starts. Every kind
    is built whatever the stage, so that each process counted by --callgrind does the same
    set-up work and one baseline serves all stages."""
    raws = [_event_bytes(b) for b in bodies]
    return {
        "body": bodies,
        "plain": [compression.decompress(b, "br", 1 << 24) for b in bodies],
        "parsed": [orjson.loads(r) for r in raws],
        "event": [_normalized(r) for r in raws],
    }


def run_stage(name: str, bodies: list[bytes], count: int) -> float:
    """Seconds for one pass of `name` over the first `count` events, after one call on an
    extra event: one-time costs (OpenSSL's set-up on the first hash, a first regex
    compile) are then outside the pass, and outside what --callgrind counts."""
    kind, func = STAGES[name]
    *inputs, extra = _inputs([*bodies, bodies[0]])[kind]
    func(extra)
    inputs = inputs[:count]
    start = time.perf_counter()
    for item in inputs:
        func(item)
    return time.perf_counter() - start


def timings(bodies: list[bytes], rounds: int) -> dict[str, float]:
    """µs per event, the fastest of `rounds` passes (the least disturbed one)."""
    n = len(bodies)
    return {
        name: min(run_stage(name, bodies, n) for _ in range(rounds)) / n * 1e6 for name in STAGES
    }


def _collected(stage: str, count: int, bodies_file: Path) -> int:
    cmd = [
        "valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable,
        __file__, "--bodies", str(bodies_file), "--only", stage, "--count", str(count),
    ]  # fmt: skip
    env = {**os.environ, "PYTHONHASHSEED": "0"}  # the same dict layouts in every process
    out = subprocess.run(cmd, capture_output=True, env=env, check=True).stderr
    match = COLLECTED.search(out)
    if match is None:
        raise RuntimeError(f"no instruction count in valgrind's output: {out[-500:]!r}")
    return int(match.group(1))


def instructions(bodies: list[bytes]) -> dict[str, int]:
    """Instructions per event of each stage: N events minus none, same set-up; two
    valgrind processes at a time."""
    if shutil.which("valgrind") is None:
        raise RuntimeError("--callgrind needs valgrind (apt install valgrind)")
    with tempfile.TemporaryDirectory() as tmp:
        bodies_file = Path(tmp) / "bodies"
        bodies_file.write_bytes(b"\n".join(base64.b64encode(b) for b in bodies))
        jobs = [(None, 0)] + [(name, len(bodies)) for name in STAGES]
        with ThreadPoolExecutor(max_workers=2) as pool:
            counts = list(
                pool.map(
                    lambda job: _collected(job[0] or next(iter(STAGES)), job[1], bodies_file),
                    jobs,
                )
            )
    base = counts[0]
    return {name: (n - base) // len(bodies) for name, n in zip(STAGES, counts[1:], strict=True)}


def format_table(times: dict[str, float], counts: dict[str, int] | None) -> str:
    lines = [f"{'stage':32} {'µs/event':>9}" + (f" {'instructions/event':>19}" if counts else "")]
    for name, micros in times.items():
        line = f"{name:32} {micros:9.1f}"
        if counts:
            line += f" {counts[name]:19,}"
        lines.append(line)
    return "\n".join(lines)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=100)
    parser.add_argument("--groups", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=7, help="timed passes; the fastest counts")
    parser.add_argument("--callgrind", action="store_true", help="also count instructions")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--js", action="store_true", help="the JavaScript source-map case")
    parser.add_argument("--bodies", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--only", choices=sorted(STAGES), help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.only:  # one pass inside valgrind, over the parent's envelopes
        bodies = [base64.b64decode(line) for line in args.bodies.read_bytes().split(b"\n")]
        run_stage(args.only, bodies, args.count)
        return 0
    if args.js:
        return js_main(args)
    bodies = build_envelopes(args.events, args.groups)
    times = timings(bodies, args.rounds)
    counts = instructions(bodies) if args.callgrind else None
    if args.json:
        print(json.dumps({"us_per_event": times, "instructions_per_event": counts}, indent=1))
    else:
        print(format_table(times, counts))
    return 0


def js_main(args) -> int:
    from bench.js_case import BUNDLES, FRAMES, JsCase

    case = JsCase()
    case.run(case.events(1)[0])  # one-time costs outside the clock
    best = float("inf")
    for _ in range(args.rounds):
        events = case.events(args.events)
        start = time.process_time()
        for event in events:
            case.run(event)
        best = min(best, (time.process_time() - start) / len(events))
    result = {"frames": FRAMES, "bundles": BUNDLES, "map_bytes_each": case.map_bytes // BUNDLES,
              "cpu_ms_per_event": round(best * 1e3, 3)}  # fmt: skip
    if args.json:
        print(json.dumps(result, indent=1))
    else:
        print(f"js: symbolicate {FRAMES} frames across {BUNDLES} bundles (maps of "
              f"{result['map_bytes_each'] / 1e6:.2f} MB, cached): "
              f"{result['cpu_ms_per_event']:.3f} ms CPU per event")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
