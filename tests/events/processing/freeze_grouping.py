"""Record the group hash of every grouping-corpus event not recorded yet:

    .venv/bin/python -m tests.events.processing.freeze_grouping

Recorded hashes are never changed: test_grouping fails when a version's code gives an
event another hash than the one on record, since that would split or merge issues that
users already have. A new grouping version gets its own table here.
"""

import json
from pathlib import Path

from events.processing.grouping import VERSIONS, compute_grouping
from events.processing.normalize import normalize_event

CORPUS_DIR = Path(__file__).parent / "grouping_corpus"
HASHES = Path(__file__).parent / "grouping_hashes.json"
RECEIVED = 1795773403.0  # the normalizer's clock: keeps corpus timestamps as they are


def corpus_events() -> dict[str, dict]:
    """Every corpus event, keyed "file/group/event"."""
    events = {}
    for path in sorted(CORPUS_DIR.glob("*.json")):
        for group in json.loads(path.read_text())["groups"]:
            for event in group["events"]:
                events[f"{path.stem}/{group['name']}/{event['name']}"] = event["payload"]
    return events


def current_hashes(version: str) -> dict[str, str]:
    return {
        key: compute_grouping(normalize_event(payload, received=RECEIVED), version).hash
        for key, payload in corpus_events().items()
    }


def recorded() -> dict[str, dict[str, str]]:
    return json.loads(HASHES.read_text()) if HASHES.exists() else {}


def main() -> None:
    tables = recorded()
    for version in VERSIONS:
        table = tables.setdefault(version, {})
        added = {k: v for k, v in current_hashes(version).items() if k not in table}
        table.update(added)
        print(f"{version}: {len(added)} hashes recorded, {len(table)} in all")
    HASHES.write_text(json.dumps(tables, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
