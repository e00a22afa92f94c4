"""One run's figures out of its samples, medians of several runs, and the text summary."""

from __future__ import annotations

from bench.figures import check_issues, downsample, median_or_none, slope
from bench.processes import scan_logs, server_versions
from bench.procfs import cpu_between, machine_info


def build_report(
    args, stack, sampler, load, done_sample, final, issues, failed, background, profiles
):
    samples = sampler.samples
    first_send, last_done = load["first_send_unix"], load["last_done_unix"]
    accepted = load["accepted"]
    start = max(
        (s for s in samples if s["t"] <= first_send and "cpu" in s),
        key=lambda s: s["t"],
        default=samples[0],
    )
    end = done_sample or final
    e2e_seconds = end["t"] - first_send
    with_backlog = [s for s in samples if s["backlog"] is not None]
    during = [(s["t"] - first_send, s["backlog"]) for s in with_backlog if s["t"] <= last_done]
    during = [(t, b) for t, b in during if t >= 0]
    at_load_end = min(
        (s for s in with_backlog if s["t"] >= last_done), key=lambda s: s["t"], default=final
    )
    cpu = cpu_between(start, end)
    # The generator has exited by now, so its own account replaces /proc's.
    cpu["loadgen"] = load["cpu_seconds"]
    cpu["other"] = round(max(0.0, cpu["other"] - load["cpu_seconds"]), 2)
    stored = final["stored"]
    series = [
        (round(s["t"] - first_send, 1), s["backlog"], s["stored"])
        for s in with_backlog
        if s["t"] >= start["t"] and s["t"] <= end["t"] + 0.5
    ]
    figures = {
        "accepted_per_s": load["accepted_per_s"],
        "p50_ms": load["latency_ms"]["p50"],
        "p95_ms": load["latency_ms"]["p95"],
        "p99_ms": load["latency_ms"]["p99"],
        "e2e_per_s": round(stored / e2e_seconds, 1) if done_sample and e2e_seconds > 0 else None,
        "e2e_seconds": round(e2e_seconds, 2) if done_sample else None,
        "load_seconds": load["duration_s"],
        "drain_after_load_s": round(end["t"] - last_done, 2) if done_sample else None,
        "drain_per_s": _drain_rate(at_load_end, end) if done_sample else None,
        "stored_at_load_end": at_load_end["stored"],
        "backlog_at_load_end": at_load_end["backlog"],
        "backlog_peak": max((s["backlog"] for s in with_backlog), default=0),
        "backlog_slope_per_s": _round(slope(during), 1),
        "issues": len(issues),
        "events_lost": accepted - stored,
        "web_rss_peak_mb": round(sampler.peak_rss["web"] / 2**20, 1),
        "worker_rss_peak_mb": round(sampler.peak_rss["worker"] / 2**20, 1),
        "beat_rss_peak_mb": round(sampler.peak_rss["beat"] / 2**20, 1),
        "web_pss_peak_mb": round(sampler.peak_pss["web"] / 2**20, 1),
        "worker_pss_peak_mb": round(sampler.peak_pss["worker"] / 2**20, 1),
        # MiB, every process of the app (web, worker, beat, udp): at rest, and the peak.
        "pss_rest_total_mib": round(sum(p["pss_mb"] for p in getattr(sampler, "rest", [])), 1),
        "pss_peak_total_mib": round(sampler.peak_pss_total / 2**20, 1),
    }
    per_event_us = {k: round(v * 1e6 / accepted) for k, v in cpu.items()} if accepted else {}
    # Cores per component while the load ran: who took the CPU the edge could have had.
    in_load = [s for s in samples if "cpu" in s and first_send <= s["t"] <= last_done]
    load_cores = {}
    if len(in_load) >= 2 and in_load[-1]["t"] > in_load[0]["t"]:
        span = in_load[-1]["t"] - in_load[0]["t"]
        load_cores = {
            k: round(v / span, 2) for k, v in cpu_between(in_load[0], in_load[-1]).items()
        }
    probe = getattr(sampler, "probe", None)
    return {
        "backend": args.backend,
        "command": _command_line(args),
        "machine": {**machine_info(), **server_versions(stack)},
        "speed_during_load": probe.summary() if probe else None,
        "figures": figures,
        "accepted": accepted,
        "stored": stored,
        "failed_payloads": failed,
        "backlog_final": final["backlog"],
        "status": load["status"],
        "load_errors": load["errors"],
        "loadgen": load,
        "issue_problems": check_issues(issues, load["accepted_by_group"])
        + (
            [f"the issues count {final['counted']} stored events, the table holds {stored}"]
            if final.get("counted", stored) != stored
            else []
        ),
        "background_cpu_cores": round(background, 2),
        "processes_at_rest": getattr(sampler, "rest", []),
        "other_cpu_cores_during": round(cpu["other"] / e2e_seconds, 2) if e2e_seconds > 0 else None,
        "cpu_seconds": cpu,
        "cpu_us_per_event": per_event_us,
        "cores_during_load": load_cores,
        "backlog_series": downsample(series, args.series_points),
        "log_problems": scan_logs(stack),
        "profiles": profiles,
    }


def _drain_rate(at_load_end: dict, end: dict) -> float | None:
    """Events stored per second after the load stopped: processing with ingest idle."""
    seconds = end["t"] - at_load_end["t"]
    if seconds < 1.0 or at_load_end["backlog"] < 1000:
        return None  # too little left to measure
    return round((end["stored"] - at_load_end["stored"]) / seconds, 1)


def _round(value, digits):
    return None if value is None else round(value, digits)


def _command_line(args) -> str:
    parts = [f"bench/run.py --backend {args.backend} --events {args.events} --groups {args.groups}",
             f"--concurrency {args.concurrency}"]  # fmt: skip
    if args.rate:
        parts.append(f"--rate {args.rate:g}")
    if args.encoding != "br":
        parts.append(f"--encoding {args.encoding}")
    # The layout, where it differs from the default one (run.sh's: bench/run.py's defaults).
    for flag, value, default in (
        ("--web-workers", args.web_workers, 2), ("--web-threads", args.web_threads, 3),
        ("--worker-pool", args.worker_pool, "prefork"),
        ("--worker-concurrency", args.worker_concurrency, 2),
        ("--worker-autoscale", getattr(args, "worker_autoscale", ""), ""),
        ("--worker-nice", args.worker_nice, 0),
        ("--ingest-first-above", args.ingest_first_above, 2000),
        ("--ingest-batch-size", getattr(args, "ingest_batch_size", 0), 0),
    ):  # fmt: skip
        if value != default:
            parts.append(f"{flag} {value}")
    if not getattr(args, "web_preload", True):
        parts.append("--no-web-preload")
    if getattr(args, "cleanup_old", 0):
        parts.append(f"--cleanup-old {args.cleanup_old}")
        if args.cleanup_baseline:
            parts.append("--cleanup-baseline")
    if not args.worker_beat:
        parts.append("--no-worker-beat")
    if not getattr(args, "worker_udp", True):
        parts.append("--no-worker-udp")
    return " ".join(parts)


def combine(runs: list[dict]) -> dict:
    keys = runs[0]["figures"].keys()
    medians = {k: median_or_none([r["figures"][k] for r in runs]) for k in keys}
    cpu_keys = sorted({k for r in runs for k in r["cpu_us_per_event"]})
    cpu = {k: median_or_none([r["cpu_us_per_event"].get(k) for r in runs]) for k in cpu_keys}
    return {
        "backend": runs[0]["backend"],
        "command": runs[0]["command"],
        "repeat": len(runs),
        "machine": runs[0]["machine"],
        "medians": medians,
        "cpu_us_per_event_median": cpu,
        "runs": runs,
    }


def format_summary(result: dict) -> str:
    m, mach, code = result["medians"], result["machine"], result["code"]
    k = result["repeat"]
    label = f"median of {k} runs" if k > 1 else "1 run"
    servers = (
        f", PostgreSQL {mach['postgres']}, Redis {mach['redis']}" if "postgres" in mach else ""
    )
    lines = [
        f"== {result['command']}  ({label})",
        f"machine: {mach['nproc']} cores {mach['cpu_model']}, {mach['memory_gib']} GiB,"
        f" Python {mach['python']}, SQLite {mach['sqlite']}{servers}",
        f"speed:      reference workload {mach.get('reference_ms')} ms after run 1 (bench/procfs.py"
        " reference_ms; lower is faster)",
        "packages:   " + ", ".join(f"{k} {v}" for k, v in mach.get("packages", {}).items()),
        f"code:       commit {code['commit']}" + _uncommitted(code["uncommitted"]),
        f"ingest:     {m['accepted_per_s']} accepted events/s, latency p50 {m['p50_ms']} ms,"
        f" p95 {m['p95_ms']} ms, p99 {m['p99_ms']} ms",
        f"end to end: {m['e2e_per_s']} events/s ({m['e2e_seconds']} s from first send to last"
        f" stored; load {m['load_seconds']} s, then {m['drain_after_load_s']} s of draining"
        + (f" at {m['drain_per_s']} events/s)" if m["drain_per_s"] else ")"),
        f"backlog:    {m['backlog_at_load_end']} at load end (peak {m['backlog_peak']},"
        f" growing {m['backlog_slope_per_s']}/s during load); {m['stored_at_load_end']} stored by then",
        f"issues:     {m['issues']}; events lost {m['events_lost']}",
        f"memory:     web RSS {m['web_rss_peak_mb']} MB (PSS {m['web_pss_peak_mb']}),"
        f" worker RSS {m['worker_rss_peak_mb']} MB (PSS {m['worker_pss_peak_mb']}),"
        f" beat RSS {m['beat_rss_peak_mb']} MB",
        f"PSS:        whole app {m['pss_rest_total_mib']} MiB at rest,"
        f" {m['pss_peak_total_mib']} MiB at the peak",
        "cpu µs/event: "
        + ", ".join(f"{k} {v:g}" for k, v in result["cpu_us_per_event_median"].items() if v),
    ]
    for i, run in enumerate(result["runs"], 1):
        f = run["figures"]
        lines.append(
            f"  run {i}: {f['accepted_per_s']}/s accepted, p99 {f['p99_ms']} ms, e2e {f['e2e_per_s']}/s,"
            f" lost {f['events_lost']}, issues {f['issues']}, status {run['status']},"
            f" outside load {run['background_cpu_cores']} cores before,"
            f" {run['other_cpu_cores_during']} during,"
            f" reference {run['machine'].get('reference_ms')} ms" + _probe_text(run)
        )
        if run.get("cores_during_load"):
            lines.append("    cores during the load: " + ", ".join(
                f"{k} {v:g}" for k, v in run["cores_during_load"].items() if v))  # fmt: skip
        if run["load_errors"]:
            lines.append(f"    load errors: {run['load_errors']}")
        if "cleanup" in run:
            lines.append("    " + _cleanup_line(run["cleanup"]))
        for problem in run["issue_problems"][:5]:
            lines.append(f"    issue problem: {problem}")
        if run["failed_payloads"]:
            lines.append(f"    failed payloads: {run['failed_payloads']}")
        for name, found in run["log_problems"].items():
            lines.append(
                f"    {name} log: {found['count']} suspicious line(s), e.g. {found['first'][0]}"
            )
        rest = run.get("processes_at_rest", [])
        if rest:
            lines.append("    at rest (PSS / RSS MiB): " + "; ".join(
                f"{p['component']} {p['pid']} {p['pss_mb']} / {p['rss_mb']}" for p in rest
            ) + f"; peak of the whole app {f['pss_peak_total_mib']} MiB")  # fmt: skip
        series = " ".join(f"{t}s:{b}" for t, b, _ in run["backlog_series"])
        lines.append(f"    backlog (s since first send:backlog): {series}")
        for name, prof in run.get("profiles", {}).items():
            lines.append(f"    profile {name} ({prof['samples']} samples, {prof['file']}):")
            lines.append("      own:   " + "; ".join(f"{f} {p}%" for f, p in prof["own"][:12]))
            below_roots = [(f, p) for f, p in prof["total"] if p < 90][:16]
            lines.append("      total: " + "; ".join(f"{f} {p}%" for f, p in below_roots))
    return "\n".join(lines)


def _cleanup_line(c: dict) -> str:
    """bench/cleanup_load.py's figures of one run."""
    filled = (
        f"{c['old_events']} old events filled in {c['fill_seconds']} s"
        f" ({c['fill_per_s']}/s), database {c['db_mb']} MB"
    )
    if c.get("baseline"):
        return f"cleanup baseline: {filled}; no cleanup ran"
    return (
        f"cleanup: {filled}; deleting after {c['count_seconds']} s, {c['deleted_at_first_send']}"
        f" deleted at the first send, {c['deleted_during_load']} during the load"
        f" ({c['deletes_per_s_during_load']}/s), {c['deleted_by_drained']} by the last stored"
        f" event ({c['deletes_per_s_until_drained']}/s from the first send); running at load end:"
        f" {c['running_at_load_end']}, when drained: {c['running_at_drained']}; {c['left']} left"
    )


def _uncommitted(paths: list[str]) -> str:
    if not paths:
        return ""
    more = f" and {len(paths) - 4} more" if len(paths) > 4 else ""
    return f" + uncommitted changes to {', '.join(paths[:4])}{more}"


def _probe_text(run: dict) -> str:
    speed = run.get("speed_during_load")
    if not speed:
        return ""
    return (f", during the load {speed['median_ms']} ms"
            f" ({speed['p10_ms']}-{speed['p90_ms']}, {speed['samples']} probes)")  # fmt: skip
