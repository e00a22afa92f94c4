"""Start `manage.py udpserver` as a subprocess for tests."""

import json
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class UdpServer:
    port: int
    stats_file: Path
    proc: subprocess.Popen
    log_file: Path

    def send(self, *datagrams: bytes) -> None:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            for data in datagrams:
                sock.sendto(data, ("127.0.0.1", self.port))

    def stats(self) -> dict:
        try:
            return json.loads(self.stats_file.read_text())
        except (OSError, ValueError):
            return {}

    def wait_for(self, predicate, timeout: float = 20.0, what: str = "UDP stats") -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            stats = self.stats()
            if stats and predicate(stats):
                return stats
            if self.proc.poll() is not None:
                raise AssertionError(f"udpserver exited:\n{self.log_file.read_text()[-3000:]}")
            time.sleep(0.05)
        raise AssertionError(f"timed out waiting for {what}: {self.stats()}")

    def dsn(self, key) -> str:
        return f"udp://{key.public_key}:{key.secret_key}@127.0.0.1:{self.port}/{key.project_id}"


@contextmanager
def udp_server(env: dict, tmp_path: Path, *args: str):
    port = free_udp_port()
    stats_file = tmp_path / f"udp-stats-{port}.json"
    log_file = tmp_path / f"udp-{port}.log"
    cmd = [sys.executable, "manage.py", "udpserver", "--bind", f"127.0.0.1:{port}",
           "--stats-file", str(stats_file), "--stats-interval", "0.1", *args]  # fmt: skip
    with open(log_file, "wb") as log:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    server = UdpServer(port, stats_file, proc, log_file)
    try:
        server.wait_for(lambda s: s.get("pid") == proc.pid, what="udpserver start")
        yield server
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
