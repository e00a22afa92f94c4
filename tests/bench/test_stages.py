"""bench/stages.py: every stage runs on the benchmark's envelopes and reports a time."""

import json

import pytest

from bench import stages

pytestmark = pytest.mark.one_pass


def test_envelopes_are_distinct_events_of_the_fixture():
    bodies = stages.build_envelopes(3, 2)
    raws = [stages._event_bytes(body) for body in bodies]
    assert len(set(raws)) == 3
    assert [stages._normalized(raw)["event_id"] for raw in raws] == [f"{i:032x}" for i in (1, 2, 3)]


def test_every_stage_runs_and_the_table_lists_it(capsys):
    assert stages.main(["--events", "4", "--groups", "2", "--rounds", "1", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report["us_per_event"]) == set(stages.STAGES)
    assert all(micros > 0 for micros in report["us_per_event"].values())
    assert report["instructions_per_event"] is None
    table = stages.format_table(report["us_per_event"], dict.fromkeys(stages.STAGES, 1234567))
    assert "worker: prepare (all above)" in table and "1,234,567" in table


def test_a_stage_counts_only_the_events_asked_for():
    bodies = stages.build_envelopes(2, 1)
    assert stages.run_stage("worker: trim", bodies, 0) < stages.run_stage(
        "worker: prepare (all above)", bodies, 2
    )
