"""A local HTTP server that stands in for webhook receivers, and fast delivery retries."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


class Receiver:
    """Records each POST; answers with the next scripted (status, delay) or 200."""

    def __init__(self):
        self.requests: list[dict] = []
        self.script: list[tuple[int, float, dict]] = []
        self.lock = threading.Lock()

    def answer(self, status: int, delay: float = 0.0, headers: dict | None = None, times=1):
        self.script += [(status, delay, headers or {})] * times


def _handler(receiver: Receiver):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with receiver.lock:
                receiver.requests.append(
                    {"path": self.path, "headers": dict(self.headers), "body": body,
                     "json": json.loads(body or b"null")}
                )  # fmt: skip
                status, delay, headers = (
                    receiver.script.pop(0) if receiver.script else (200, 0.0, {})
                )
            time.sleep(delay)
            try:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")
            except OSError:
                pass  # the client gave up (timeout test)

        def log_message(self, *args):
            pass

    return Handler


@pytest.fixture
def webhook_server():
    receiver = Receiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(receiver))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/abc"
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def fast_retries(settings):
    settings.ALERTS_RETRY_BASE_SECONDS = 0
    settings.ALERTS_MAX_RETRIES = 2
    settings.ALERTS_WEBHOOK_TIMEOUT = 0.5
    settings.ALERTS_WEBHOOK_ALLOW_PRIVATE = True  # the receiver is on 127.0.0.1
    return settings
