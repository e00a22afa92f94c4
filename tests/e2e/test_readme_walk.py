"""Walks the README as a new user would, in a fresh clone: `./run.sh`, then the commands of
"First steps from the command line" as written (createproject, createtoken, a curl to the API
with the token, an event from sentry-sdk to the printed DSN), then Ctrl-C. A README that
drifts from the code fails here.

One `./run.sh` start; the clone borrows this checkout's `.venv` (a symlink), so nothing is
installed. Only the port differs from the README: `localhost:8000` becomes a free port.
"""

import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.support.stack import free_port, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.one_pass]

ROOT = Path(__file__).resolve().parents[2]
SECTION = "### First steps from the command line"
START_TIMEOUT = 420  # a first start collects and compresses the static files: slow on a busy box
COMMAND_TIMEOUT = 120


def readme_blocks() -> list[str]:
    """The ```sh blocks of the README's first-steps section, in order."""
    text = (ROOT / "README.md").read_text()
    assert "\n    ./run.sh\n" in text, "the README no longer starts the app with ./run.sh"
    start = text.index(SECTION)
    end = text.find("\n## ", start)
    return re.findall(r"```sh\n(.*?)```", text[start:end], flags=re.S)


@pytest.fixture
def clone(tmp_path):
    if os.environ.get("DATABASE_URL") or os.environ.get("REDIS_URL"):
        pytest.skip("the README walk runs in the embedded pass of the suite (the README's default)")
    venv = ROOT / ".venv"
    if not (venv / ".installed-dev").exists() or not (ROOT / ".git").exists():
        pytest.skip("needs a git checkout with the .venv that ./test.sh makes")
    target = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(target)], check=True, timeout=120)
    (target / ".venv").symlink_to(venv)
    os.utime(target / "pyproject.toml", (0, 0))  # not newer than the venv: run.sh installs nothing
    return target


def test_the_readme_walks(clone):
    blocks = readme_blocks()
    assert len(blocks) == 3, "the first-steps section changed: update this test with it"
    port, udp = free_port(), free_port()
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/root"),
        "LANG": "C.UTF-8",
        "PYTHON": sys.executable,
        "WEB_PORT": str(port),
        "UDP_BIND": f"127.0.0.1:{udp}",
        "WEB_WORKERS": "1",
        "WORKER_POOL": "solo",  # no prefork children in process groups of their own to orphan
    }

    def shell(block: str, **subs) -> subprocess.CompletedProcess:
        command = block.replace("localhost:8000", f"localhost:{port}")
        for placeholder, value in subs.items():
            command = command.replace(f"<{placeholder}>", value)
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", command], cwd=clone, env=env,
            capture_output=True, text=True, timeout=COMMAND_TIMEOUT,
        )  # fmt: skip
        assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
        return done

    log = clone / "run.log"
    with log.open("wb") as out:
        app = subprocess.Popen(
            ["./run.sh"], cwd=clone, env=env, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    try:
        wait_until(
            lambda: app.poll() is not None or (_answers(port) and _udp_bound(udp)),
            timeout=START_TIMEOUT, what="./run.sh to start the web server and the UDP listener",
        )  # fmt: skip
        started = log.read_text(errors="replace")
        assert app.poll() is None, started
        # What ./run.sh prints before the processes' own output: where to log in, who, the
        # password and where it is kept, the DSN last.
        head = re.split(r"^\d\d:\d\d:\d\d system ", started, maxsplit=1, flags=re.M)[0]
        assert f"Dashboard:  http://localhost:{port}/\n" in head
        assert "User:       admin\n" in head
        password = re.search(r"Password:   (\S+)  \(saved in data/admin_password\)", head)[1]
        assert (clone / "data" / "admin_password").read_text().strip() == password
        assert head.rstrip().splitlines()[-1].startswith("  DSN:        http://")

        # A second instance on the same ports stops at once with one line per taken port.
        second = subprocess.run(
            ["./run.sh"], cwd=clone, env=env, capture_output=True, text=True, timeout=60
        )
        lines = second.stderr.strip().splitlines()
        assert second.returncode == 1 and len(lines) == 2, second.stderr
        assert "WEB_PORT=" in lines[0] and "UDP_BIND=" in lines[1]

        made = shell(blocks[0])
        dsn = made.stdout.strip()
        assert re.fullmatch(rf"http://[0-9a-f]{{32}}@localhost:{port}/\d+", dsn), made.stdout
        assert "who can see it: admin (owner)" in made.stderr

        token_line, curl_line = blocks[1].strip().splitlines()
        token = shell(token_line).stdout.strip()
        projects = json.loads(shell(curl_line, token=token).stdout)
        assert "web-shop" in {p["slug"] for p in projects}

        shell(blocks[2], dsn=dsn)

        def web_shop_issues():
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/api/0/projects/acme-corp/web-shop/issues/",
                headers={"Authorization": f"Bearer {token}"},
            )
            with urllib.request.urlopen(request, timeout=10) as response:
                return json.load(response)

        wait_until(web_shop_issues, timeout=120, what="the event as an issue")
        (issue,) = web_shop_issues()
        assert issue["shortId"] == "WEB-SHOP-1" and issue["title"] == "hello"
    finally:
        _stop(app)
    assert app.returncode is not None
    assert "Traceback" not in log.read_text(errors="replace")


def _udp_bound(port: int) -> bool:
    """The UDP listener holds its port (a thread of the worker in the default layout, which
    logs nothing at the worker's WARNING level): binding it here fails."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def _answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(
            f"http://127.0.0.1:{port}/accounts/login/", timeout=5
        ) as response:
            return response.status == 200
    except OSError:
        return False


def _stop(app: subprocess.Popen) -> None:
    """Ctrl-C, as the README says; then SIGKILL to the whole group if it does not stop."""
    if app.poll() is None:
        os.killpg(app.pid, signal.SIGINT)
        try:
            app.wait(timeout=60)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(app.pid, signal.SIGKILL)  # anything left of the group
    except ProcessLookupError:
        pass
    deadline = time.monotonic() + 10
    while app.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)


def test_the_readme_shows_each_command_it_walks():
    # Quick and always run: the walked section exists with the commands the walk expects.
    blocks = readme_blocks()
    assert shlex.split(blocks[0])[:3] == [".venv/bin/python", "manage.py", "createproject"]
    assert "createtoken admin" in blocks[1] and "<token>" in blocks[1]
    assert "'<dsn>'" in blocks[2]
