"""aggregator/settings.py read in a fresh process with a given environment: what it sets, and
that importing it writes nothing."""

import json
import os
import subprocess
import sys
from pathlib import Path

from aggregator import secret_key

ROOT = Path(__file__).resolve().parents[2]

READ = """
import json, sys
import aggregator.settings as s
print(json.dumps({name: getattr(s, name, None) for name in sys.argv[1:]}, default=str))
"""


def run(code: str, env: dict, *args: str) -> subprocess.CompletedProcess:
    # Only what is given: nothing of the developer's or the test run's configuration.
    env = {
        "PATH": os.environ.get("PATH", ""),
        "DJANGO_SETTINGS_MODULE": "aggregator.settings",
        **env,
    }
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def read_settings(env: dict, *names: str) -> dict:
    result = run(READ, env, *names)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_importing_settings_and_setting_django_up_write_nothing(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    for data_dir in (tmp_path / "absent", empty):
        code = "import django; django.setup(); import aggregator.settings"
        result = run(code, {"DATA_DIR": str(data_dir)})
        assert result.returncode == 0, result.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["empty"]
    assert list(empty.iterdir()) == []


def test_secret_key_from_the_environment_else_the_file_else_none(tmp_path):
    env = {"DATA_DIR": str(tmp_path)}
    assert read_settings(env, "SECRET_KEY")["SECRET_KEY"] == ""
    assert secret_key.create(tmp_path / "secret_key")
    key = (tmp_path / "secret_key").read_text().strip()
    assert len(key) > 50 and (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
    assert read_settings(env, "SECRET_KEY")["SECRET_KEY"] == key
    assert (
        read_settings({**env, "SECRET_KEY": "from-env"}, "SECRET_KEY")["SECRET_KEY"] == "from-env"
    )
    assert not secret_key.create(tmp_path / "secret_key")  # never replaced
    assert (tmp_path / "secret_key").read_text().strip() == key
    assert [p.name for p in tmp_path.iterdir()] == ["secret_key"]


def test_web_server_and_worker_refuse_to_start_without_a_key(tmp_path):
    env = {"DATA_DIR": str(tmp_path / "data")}
    web = run("import aggregator.wsgi", env)
    assert web.returncode != 0 and "manage.py bootstrap" in web.stderr
    worker = subprocess.run(
        [str(Path(sys.executable).parent / "celery"), "-A", "aggregator", "worker", "--pool", "solo"],
        cwd=ROOT, env={"PATH": os.environ.get("PATH", ""), **env}, capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip
    assert worker.returncode != 0 and "manage.py bootstrap" in worker.stderr
    assert not (tmp_path / "data").exists()
