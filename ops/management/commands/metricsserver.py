"""manage.py metricsserver: /metrics on METRICS_BIND only, for setups without a token."""

from wsgiref.simple_server import WSGIRequestHandler, make_server

from django.conf import settings
from django.core.management.base import BaseCommand
from prometheus_client import make_wsgi_app

from ops import collect


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args):  # one line per scrape is noise
        pass


class Command(BaseCommand):
    help = "Serve Prometheus metrics of every process on METRICS_BIND (host:port)."

    def add_arguments(self, parser):
        parser.add_argument("--bind", default=settings.METRICS_BIND)

    def handle(self, *args, bind, **options):
        host, _, port = bind.rpartition(":")
        server = make_server(
            host or "127.0.0.1", int(port), make_wsgi_app(collect.registry()), handler_class=_Quiet
        )
        self.stdout.write(f"metrics on http://{bind}/metrics")
        server.serve_forever()
