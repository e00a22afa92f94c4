"""The load generator's report: its figures as a dict (--json) and as text."""

from __future__ import annotations

from bench.figures import latency_summary


def summarize(result, args, prepared, build_seconds: float) -> dict:
    """result: a loadgen.Result; prepared: a payload.Prepared."""
    duration = (
        (result.last_done - result.first_send) if result.first_send and result.last_done else 0.0
    )
    n = len(prepared.requests)
    report = {
        "mode": "rate" if args.rate else "burst",
        "rate_target": args.rate,
        "events": n,
        "groups": args.groups,
        "concurrency": args.concurrency,
        "processes": args.processes,
        "encoding": args.encoding,
        "wire_bytes_mean": round(prepared.wire_bytes / n) if n else 0,
        "envelope_bytes_mean": round(prepared.envelope_bytes / n) if n else 0,
        "build_seconds": round(build_seconds, 2),
        "sent": result.sent,
        "completed": result.completed,
        "accepted": result.accepted,
        "status": {str(k): v for k, v in sorted(result.status.items())},
        "errors": dict(result.errors),
        "first_send_unix": result.first_send,
        "last_done_unix": result.last_done,
        "duration_s": round(duration, 3),
        "accepted_per_s": round(result.accepted / duration, 1) if duration else None,
        "cpu_seconds": round(result.cpu_seconds, 3),
        "latency_ms": latency_summary(result.latencies),
        "accepted_by_group": [result.accepted_by_group[g] for g in range(prepared.groups)],
    }
    if args.rate:
        report["latency_from_due_ms"] = latency_summary(result.corrected)
        report["max_send_lag_ms"] = round(result.max_lag * 1000, 1)
    return report


def format_report(r: dict) -> str:
    lat = r["latency_ms"]
    lines = [
        f"mode {r['mode']}" + (f" at {r['rate_target']}/s" if r["rate_target"] else "")
        + f", {r['events']} events, {r['groups']} groups, {r['concurrency']} connections"
        f" in {r['processes']} process(es), {r['encoding']} (~{r['wire_bytes_mean']} B on the wire,"
        f" {r['envelope_bytes_mean']} B envelope)",
        f"accepted {r['accepted']}/{r['sent']} in {r['duration_s']} s"
        f" = {r['accepted_per_s']} events/s",
        f"latency ms p50 {lat['p50']}  p95 {lat['p95']}  p99 {lat['p99']}  max {lat['max']}",
        f"status {r['status']}" + (f"  errors {r['errors']}" if r["errors"] else ""),
        f"generator CPU {r['cpu_seconds']} s",
    ]  # fmt: skip
    if r["mode"] == "rate":
        due = r["latency_from_due_ms"]
        lines.append(
            f"from due time: p50 {due['p50']}  p95 {due['p95']}  p99 {due['p99']}"
            f"  (latest send {r['max_send_lag_ms']} ms behind schedule)"
        )
    return "\n".join(lines)
