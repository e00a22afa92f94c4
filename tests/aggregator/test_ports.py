"""aggregator/ports.py: the probe ./run.sh makes before it starts anything."""

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from aggregator import ports
from tests.support.stack import free_port

pytestmark = pytest.mark.one_pass

SCRIPT = Path(__file__).resolve().parents[2] / "aggregator" / "ports.py"


def test_free_ports_pass():
    env = {"WEB_PORT": str(free_port()), "UDP_BIND": f"127.0.0.1:{free_port()}"}
    assert ports.problems(env) == []


def test_a_listener_with_so_reuseport_still_counts_as_taken():
    # As granian binds: SO_REUSEPORT would let a second one share the port.
    with socket.socket() as held:
        held.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        found = ports.problems({"WEB_PORT": str(port), "UDP_BIND": f"127.0.0.1:{free_port()}"})
    assert len(found) == 1
    assert f"127.0.0.1:{port}" in found[0] and f"WEB_PORT={port + 1}" in found[0]


def test_a_taken_udp_port_is_one_line_naming_udp_bind():
    with socket.socket(type=socket.SOCK_DGRAM) as held:
        held.bind(("127.0.0.1", 0))
        port = held.getsockname()[1]
        run = subprocess.run(
            [sys.executable, str(SCRIPT)],
            env={"WEB_PORT": str(free_port()), "UDP_BIND": f"127.0.0.1:{port}"},
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert run.returncode == 1 and run.stdout == ""
    lines = run.stderr.splitlines()
    assert len(lines) == 1 and "UDP_BIND=" in lines[0] and f":{port}" in lines[0]


def test_nonsense_values_are_named():
    assert "WEB_PORT" in ports.problems({"WEB_PORT": "eighty"})[0]
    assert "UDP_BIND" in ports.problems({"WEB_PORT": str(free_port()), "UDP_BIND": "x"})[0]
