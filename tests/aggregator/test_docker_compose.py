"""docker-compose.yml as Compose resolves it: bootstrap once before the app, no shipped secret
key, ALLOWED_HOSTS from BASE_URL, health checks. No Docker engine is needed (nor run)."""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from aggregator.embedded_udp import STOP_WAIT
from aggregator.secret_key import PLACEHOLDERS

pytestmark = pytest.mark.one_pass

ROOT = Path(__file__).resolve().parents[2]
APP = ("web", "worker", "workers")


@pytest.fixture(scope="module")
def compose() -> dict:
    yaml = pytest.importorskip("yaml")
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "ALLOWED_HOSTS")}
    for command in (["docker", "compose"], ["docker-compose"]):
        if shutil.which(command[0]) is None:
            continue
        done = subprocess.run(
            [*command, "-f", str(ROOT / "docker-compose.yml"), "config"],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        if done.returncode == 0:
            return yaml.safe_load(done.stdout)
    # No Compose here: the file with its variables filled in as Compose does (anchors are
    # resolved by the YAML loader).
    return yaml.safe_load(interpolate((ROOT / "docker-compose.yml").read_text(), env))


def interpolate(text: str, env: dict) -> str:
    """Compose's ${NAME}, ${NAME:-default} (unset or empty: the default) and $$ (a $)."""

    def value(match: re.Match) -> str:
        return env.get(match[1]) or match[2] or ""

    return re.sub(r"\$\{(\w+)(?::-([^}]*))?\}", value, text).replace("$$", "$")


def test_bootstrap_runs_once_before_every_app_service(compose):
    services = compose["services"]
    assert "bootstrap" in services["bootstrap"]["command"]
    assert services["bootstrap"]["restart"] == "no"
    for name in APP:
        after = services[name]["depends_on"]["bootstrap"]
        assert after["condition"] == "service_completed_successfully", name
        assert "migrate" not in str(services[name].get("command", "")), name


def test_no_shipped_secret_key_and_hosts_from_base_url(compose):
    for name in (*APP, "bootstrap"):
        environment = compose["services"][name]["environment"]
        assert (
            environment.get("SECRET_KEY") in ("", None)
            and environment["SECRET_KEY"] not in PLACEHOLDERS
        )
        assert environment.get("ALLOWED_HOSTS", "") in ("", None), name  # "*" no more


def test_web_and_worker_have_health_checks(compose):
    web = compose["services"]["web"]["healthcheck"]["test"]
    assert "/-/ready/" in " ".join(web)
    worker = compose["services"]["worker"]["healthcheck"]["test"]
    assert "inspect ping" in " ".join(worker)


def test_one_worker_runs_beat_and_the_udp_listener(compose):
    # ./run.sh's layout: beat and the UDP listener as threads of the one `worker`; `workers`
    # (scaled with --scale workers=N) run neither, so no schedule is sent twice.
    services = compose["services"]
    assert "beat" not in services and "udp" not in services
    worker = services["worker"]
    assert str(worker["environment"]["WORKER_BEAT"]) in ("1", "true")
    assert worker["environment"]["WORKER_UDP_BIND"] == "0.0.0.0:9001"
    assert "--pool prefork --concurrency 2" in str(worker["command"])
    assert "9001" in str(worker["ports"])
    # Longer than the listener's hand-off on stop (embedded_udp.STOP_WAIT), or it is killed.
    assert int(worker["stop_grace_period"].rstrip("s")) > STOP_WAIT
    extra = services["workers"]
    assert "WORKER_BEAT" not in extra["environment"]
    assert "WORKER_UDP_BIND" not in extra["environment"]
    assert extra["deploy"]["replicas"] == 0
    assert "aggregator.web" in str(services["web"]["command"])


def test_health_checks_run_the_same_under_podman(compose):
    # Podman's Docker API (seen with 4.3) rebuilds an exec-form test by splitting it at
    # whitespace, so `python -c "import a; b"` became `python -c import`; and `podman exec`,
    # which runs the checks, has no $HOSTNAME, so `celery@$HOSTNAME` pinged no node.
    for name, service in compose["services"].items():
        test = service.get("healthcheck", {}).get("test") or []
        if test[:1] == ["CMD"]:
            assert not any(" " in arg for arg in test[1:]), name
        assert "HOSTNAME" not in " ".join(test), name
    for name in ("worker", "workers"):
        test = " ".join(compose["services"][name]["healthcheck"]["test"]).replace("$$", "$")
        assert "celery@$(hostname)" in test, name  # `config` may print it still escaped


def test_bootstrap_skips_the_images_web_health_check(compose):
    # The image's HEALTHCHECK polls the web port; bootstrap serves none and exits.
    check = compose["services"]["bootstrap"]["healthcheck"]
    assert check.get("disable") is True or check.get("test") == ["NONE"]  # as `config` puts it
