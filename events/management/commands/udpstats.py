"""`manage.py udpstats`: the counters that running UDP listeners write to DATA_DIR."""

import json
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from events.ingest import udp_stats
from events.wire.refusal import REASONS


class Command(BaseCommand):
    help = "Show the UDP listeners' counters: received, accepted, rejected by reason."

    def add_arguments(self, parser):
        parser.add_argument("--bind", help="only the listener started with this --bind")
        parser.add_argument("--stats-file", type=Path, help="read this file instead")
        parser.add_argument("--json", action="store_true", dest="as_json", help="raw counters")

    def handle(self, *args, bind, stats_file, as_json, **options):
        if stats_file:
            paths = [stats_file]
        elif bind:
            paths = [udp_stats.stats_path(settings.DATA_DIR, bind)]
        else:
            paths = sorted(Path(settings.DATA_DIR).glob("udp-stats-*.json"))
        found = []
        for path in paths:
            try:
                found.append(_load(path))
            except (OSError, ValueError) as exc:
                raise CommandError(f"no UDP stats in {path}: {exc}") from None
        if not found:
            raise CommandError(
                f"no UDP stats in {settings.DATA_DIR}: is `manage.py udpserver` running?"
            )
        if as_json:
            self.stdout.write(_dumps(found if len(found) > 1 else found[0]))
            return
        for stats in found:
            self.stdout.write(render(stats))


def _load(path: Path) -> dict:
    return json.loads(path.read_text())


def _dumps(value) -> str:
    return json.dumps(value, indent=2, sort_keys=True)


def render(stats: dict, now: float | None = None) -> str:
    now = time.time() if now is None else now
    age = now - stats.get("updated", now)
    lines = [
        f"udp://{stats.get('bind')}  pid {stats.get('pid')}  updated {age:.0f}s ago"
        + ("  (stale: is the listener still running?)" if age > 60 else ""),
        f"  received  {stats.get('received', 0):>12,}  ({stats.get('bytes', 0):,} bytes)",
        f"  accepted  {stats.get('accepted', 0):>12,}",
        f"  rejected  {stats.get('rejected_total', 0):>12,}",
    ]
    for reason, count in sorted((stats.get("rejected") or {}).items(), key=lambda kv: -kv[1]):
        lines.append(
            f"    {reason:<16}{count:>10,}  {REASONS[reason].meaning if reason in REASONS else ''}"
        )
    if stats.get("socket_drops") is not None:
        lines.append(f"  dropped by the kernel (receive buffer full): {stats['socket_drops']:,}")
    lines.append(f"  SO_RCVBUF {stats.get('rcvbuf')} bytes")
    return "\n".join(lines)
