"""`manage.py udpserver [--bind 127.0.0.1:9001]`: the raven UDP listener (events/ingest/udp.py)."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from events.ingest import udp, udp_stats
from events.wire import datagram


class Command(BaseCommand):
    help = "Receive raven-format UDP datagrams and queue them like the HTTP store endpoint."

    def add_arguments(self, parser):
        parser.add_argument(
            "--bind", default="127.0.0.1:9001", help="HOST:PORT (default %(default)s)"
        )
        parser.add_argument(
            "--rcvbuf", type=int, default=getattr(settings, "UDP_RCVBUF_BYTES", udp.DEFAULT_RCVBUF),
            help="socket receive buffer in bytes (default: UDP_RCVBUF_BYTES, 8 MiB)",
        )  # fmt: skip
        parser.add_argument(
            "--max-datagram", type=int, default=datagram.MAX_DATAGRAM_BYTES,
            help="larger datagrams are rejected as too_large (default %(default)s)",
        )  # fmt: skip
        parser.add_argument(
            "--stats-file", type=Path, default=None,
            help="where to write the counters (default DATA_DIR/udp-stats-HOST-PORT.json)",
        )  # fmt: skip
        parser.add_argument("--stats-interval", type=float, default=1.0, help="seconds")
        parser.add_argument("--batch-size", type=int, default=udp.BATCH_SIZE)

    def handle(
        self, *args, bind, rcvbuf, max_datagram, stats_file, stats_interval, batch_size, **options
    ):
        try:
            udp.parse_bind(bind)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        if stats_file is None:
            stats_file = udp_stats.stats_path(settings.DATA_DIR, bind)
        try:
            udp.serve(
                bind, rcvbuf=rcvbuf, max_datagram=max_datagram, stats_file=stats_file,
                stats_interval=stats_interval, batch_size=batch_size,
            )  # fmt: skip
        except OSError as exc:
            raise CommandError(f"cannot listen on udp://{bind}: {exc}") from None
