"""The benchmark's pure helpers: payload building, HTTP parsing, statistics, checks."""

import gzip
import json

import brotli
import pytest

from bench import figures, http1, loadgen, payload, report
from events.processing import grouping, normalize, titles
from events.wire.envelope import parse_envelope

pytestmark = pytest.mark.one_pass

FIXTURE_TEXT = json.loads(payload.FIXTURE.read_text())["raw_envelope_text"]
DSN = payload.parse_dsn("http://0123456789abcdef0123456789abcdef@127.0.0.1:8123/7")


def test_parse_dsn():
    assert DSN == payload.Dsn("0123456789abcdef0123456789abcdef", "127.0.0.1", 8123, "7")
    assert DSN.envelope_path == "/api/7/envelope/"
    with pytest.raises(ValueError):
        payload.parse_dsn("https://key@127.0.0.1/1")
    with pytest.raises(ValueError):
        payload.parse_dsn("http://127.0.0.1/1")


def test_only_loopback_targets():
    payload.ensure_loopback("127.0.0.1", 80)
    payload.ensure_loopback("::1", 80)
    with pytest.raises(ValueError, match="loopback"):
        payload.ensure_loopback("10.1.2.3", 80)


def test_envelope_length_is_recomputed_and_ids_are_unique():
    header, item_header, event = payload.split_envelope(FIXTURE_TEXT)
    tpl = payload.group_template(event, 3)
    data = payload.make_envelope(header, item_header, tpl, 5, "ab" * 16, 1_800_000_000.0)
    envelope = parse_envelope(data)
    assert envelope.event_id == "ab" * 16
    item = envelope.event_item()
    assert item.header["length"] == len(item.payload)
    sent = json.loads(item.payload)
    assert sent["event_id"] == "ab" * 16
    assert sent["exception"]["values"][-1]["type"] == "BenchGroup003Error"
    # the fixture's stale length would not have matched
    assert json.loads(FIXTURE_TEXT.split("\n")[1])["length"] != len(FIXTURE_TEXT.split("\n")[2])


def test_groups_really_group_apart_and_events_of_a_group_together():
    header, item_header, event = payload.split_envelope(FIXTURE_TEXT)
    hashes, names = set(), set()
    for g in range(50):
        tpl = payload.group_template(event, g)
        per_group = set()
        for i in (g, g + 50):
            data = payload.make_envelope(header, item_header, tpl, i, f"{i:032x}", 1.8e9)
            raw = json.loads(parse_envelope(data).event_item().payload)
            ev = normalize.normalize_event(raw, received=1.8e9)
            per_group.add(grouping.compute_grouping(ev).hash)
            names.add(titles.event_title(ev).split(":")[0])
        assert len(per_group) == 1
        hashes |= per_group
    assert len(hashes) == 50
    assert names == {f"BenchGroup{g:03d}Error" for g in range(50)}


@pytest.mark.parametrize("encoding", ["br", "gzip", "none"])
def test_requests_are_prebuilt_with_the_right_framing(encoding):
    prepared = payload.build_requests(FIXTURE_TEXT, DSN, 6, 4, encoding, jobs=1)
    assert len(prepared.requests) == len(set(prepared.event_ids)) == 6
    raw = prepared.requests[4]
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"POST /api/7/envelope/ HTTP/1.1\r\n")
    assert f"Content-Length: {len(body)}".encode() in head
    assert b"sentry_key=0123456789abcdef0123456789abcdef, sentry_version=7" in head
    plain = {"br": brotli.decompress, "gzip": gzip.decompress, "none": bytes}[encoding](body)
    envelope = parse_envelope(plain)
    assert envelope.event_id.encode() == prepared.event_ids[4]
    assert b"BenchGroup000Error" in plain  # request 4 of 4 groups is group 0


def test_parse_response_content_length_and_pipelined_rest():
    first = b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\ncontent-length: 13\r\n\r\n{"id": "abc"}'
    assert http1.parse_response(first[:-1]) is None
    assert http1.parse_response(first[:20]) is None
    consumed, status, body, closes = http1.parse_response(first + b"HTTP/1.1 4")
    assert (consumed, status, body, closes) == (len(first), 200, b'{"id": "abc"}', False)
    closing = b"HTTP/1.1 413 Too Large\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}"
    assert http1.parse_response(closing) == (len(closing), 413, b"{}", True)


def test_parse_response_chunked():
    raw = b"HTTP/1.1 429 Too Many\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
    assert http1.parse_response(raw[:-2]) is None
    assert http1.parse_response(raw) == (len(raw), 429, b"abcde", False)


def test_parse_response_rejects_garbage():
    with pytest.raises(ValueError):
        http1.parse_response(b"garbage\r\n\r\n")


def test_percentile_and_latency_summary():
    values = [i / 1000 for i in range(1, 101)]  # 1..100 ms
    assert figures.percentile(values, 50) == 0.05
    assert figures.percentile(values, 99) == 0.099
    assert figures.percentile(values, 100) == 0.1
    assert figures.percentile([], 50) is None
    summary = figures.latency_summary(list(reversed(values)))
    assert summary["p50"] == 50.0 and summary["p95"] == 95.0 and summary["max"] == 100.0


def test_results_merge():
    a = loadgen.Result(sent=2, accepted=1, first_send=10.0, last_done=12.0, latencies=[0.1])
    b = loadgen.Result(sent=3, accepted=3, first_send=9.5, last_done=11.0, latencies=[0.2])
    a.status[200] += 1
    b.status[200] += 3
    merged = loadgen.Result.merge([a, b])
    assert (merged.sent, merged.accepted, merged.status[200]) == (5, 4, 4)
    assert (merged.first_send, merged.last_done) == (9.5, 12.0)
    assert sorted(merged.latencies) == [0.1, 0.2]


def test_slope_downsample_and_group_counts():
    assert figures.slope([(0, 0), (1, 10), (2, 20)]) == pytest.approx(10)
    assert figures.slope([(0, 5)]) is None
    assert figures.downsample(list(range(100)), 5) == [0, 25, 50, 74, 99]
    assert figures.downsample([1, 2], 5) == [1, 2]
    assert figures.expected_group_counts(103, 50) == [3, 3, 3] + [2] * 47
    assert figures.median_or_none([3, None, 1, 2]) == 2
    assert figures.median_or_none([None]) is None
    assert figures.median_or_none([50, 50]) == 50 and isinstance(
        figures.median_or_none([50, 50]), int
    )
    assert figures.median_or_none([332.7, 332.80000000000001]) == 332.75


def test_check_issues():
    accepted = [2, 3, 0]
    good = [("BenchGroup000Error: x", 2), ("BenchGroup001Error: y", 3)]
    assert figures.check_issues(good, accepted) == []
    bad = [("BenchGroup000Error: x", 1), ("BenchGroup000Error: z", 1), ("Other", 4)]
    problems = figures.check_issues(bad, accepted)
    assert any("times_seen 1, accepted 2" in p for p in problems)
    assert any("split into 2 issues" in p for p in problems)
    assert any("unexpected issue 'Other'" in p for p in problems)
    assert any("no issue for 1 group" in p for p in problems)


def test_summarize_collapsed():
    lines = [
        'process 7:"celery worker";<module> (celery:1);drain (events/processing/drain.py:100);'
        "prepare (events/processing/prepare.py:90) 6",
        "<module> (celery:1);drain (events/processing/drain.py:100);execute (/x/site-packages/psycopg/cursor.py:7) 4",
        "bad line",
    ]
    summary = figures.summarize_collapsed(lines)
    assert summary["samples"] == 10
    assert summary["own"][0] == ("events/processing/prepare.py:prepare", 60.0)
    assert ("psycopg/cursor.py:execute", 40.0) in summary["own"]
    assert ("events/processing/drain.py:drain", 100.0) in summary["total"]


def test_uncommitted_summary():
    assert report._uncommitted([]) == ""
    assert report._uncommitted(["a.py"]) == " + uncommitted changes to a.py"
    assert report._uncommitted(list("abcdef")).endswith("a, b, c, d and 2 more")


def test_command_line_names_the_layout_only_where_it_differs_from_the_default():
    from bench import run

    default = run.parse_args(["--backend", "postgres"])
    assert report._command_line(default) == (
        "bench/run.py --backend postgres --events 20000 --groups 50 --concurrency 32"
    )
    solo = run.parse_args(["--backend", "postgres", "--worker-pool", "solo",
                           "--worker-concurrency", "1", "--ingest-first-above", "0",
                           "--no-web-preload"])  # fmt: skip
    assert report._command_line(solo).endswith(
        "--worker-pool solo --worker-concurrency 1 --ingest-first-above 0 --no-web-preload"
    )
    scaled = run.parse_args(["--backend", "postgres", "--worker-autoscale", "2,1",
                             "--ingest-batch-size", "250"])  # fmt: skip
    assert report._command_line(scaled).endswith(
        "--concurrency 32 --worker-autoscale 2,1 --ingest-batch-size 250"
    )
    separate = run.parse_args(["--backend", "postgres", "--no-worker-beat", "--no-worker-udp"])
    assert report._command_line(separate).endswith(
        "--concurrency 32 --no-worker-beat --no-worker-udp"
    )


def test_queue_push_bench_counts_every_push(capsys):
    from bench import queue_push

    assert queue_push.main(["--pushes", "40", "--rounds", "1", "--threads", "2"]) == 0
    out = capsys.readouterr().out
    assert "µs CPU per push" in out
    assert "2 processes × 2 threads" in out


def test_speed_probe_runs_on_its_period_and_reports_in_reference_units(monkeypatch):
    from bench import procfs

    clock = [100.0]
    monkeypatch.setattr(procfs.time, "monotonic", lambda: clock[0])
    probe = procfs.SpeedProbe(period=1.0)
    assert probe.summary() is None
    for step in (0.0, 0.25, 0.5, 1.0, 1.1, 2.5):  # due at 100, 101 and 102.5
        clock[0] = 100.0 + step
        probe.maybe()
    assert len(probe.samples) == 3
    # A slice of the reference workload, scaled to reference_ms's 200 rounds: comparable
    # with it (the same work, so within a factor that noise alone does not reach).
    reference = procfs.reference_ms()
    summary = probe.summary()
    assert summary["samples"] == 3
    assert summary["p10_ms"] <= summary["median_ms"] <= summary["p90_ms"]
    assert reference / 3 < summary["median_ms"] < reference * 3
