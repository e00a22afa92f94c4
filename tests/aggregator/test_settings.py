"""aggregator/settings/ read in a fresh process with a given environment: what it sets, and
that importing it writes nothing."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from aggregator import secret_key

pytestmark = pytest.mark.one_pass

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


NAMES = ["SECURE_PROXY_SSL_HEADER", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE",
         "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD",
         "CSRF_TRUSTED_ORIGINS"]  # fmt: skip


def test_plain_http_by_default(tmp_path):
    assert read_settings({"DATA_DIR": str(tmp_path)}, *NAMES) == {
        "SECURE_PROXY_SSL_HEADER": None,  # not set: Django's default, None
        "SESSION_COOKIE_SECURE": False,
        "CSRF_COOKIE_SECURE": False,
        "SECURE_HSTS_SECONDS": 0,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": False,
        "SECURE_HSTS_PRELOAD": False,
        "CSRF_TRUSTED_ORIGINS": ["http://localhost:8000"],
    }


def test_https_behind_a_proxy(tmp_path):
    env = {"DATA_DIR": str(tmp_path), "BASE_URL": "https://errors.example.com/",
           "BEHIND_PROXY": "1", "SECURE_HSTS_SECONDS": "31536000",
           "SECURE_HSTS_INCLUDE_SUBDOMAINS": "true", "SECURE_HSTS_PRELOAD": "yes"}  # fmt: skip
    assert read_settings(env, *NAMES) == {
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_HSTS_PRELOAD": True,
        "CSRF_TRUSTED_ORIGINS": ["https://errors.example.com"],
    }


EMAIL = ["EMAIL_BACKEND", "EMAIL_HOST", "EMAIL_PORT", "EMAIL_HOST_USER", "EMAIL_HOST_PASSWORD",
         "EMAIL_USE_TLS", "EMAIL_USE_SSL"]  # fmt: skip
SMTP = "django.core.mail.backends.smtp.EmailBackend"


@pytest.mark.parametrize(
    "url, expected",
    [
        ("smtp+ssl://me:p%40ss@mail.example.com", [SMTP, "mail.example.com", 465, "me", "p@ss", False, True]),
        ("smtp+tls://me:pw@mail.example.com:587", [SMTP, "mail.example.com", 587, "me", "pw", True, False]),
        ("smtp://mail.example.com", [SMTP, "mail.example.com", 25, "", "", False, False]),
    ],
)  # fmt: skip
def test_email_url_sets_each_email_setting(tmp_path, url, expected):
    got = read_settings({"DATA_DIR": str(tmp_path), "EMAIL_URL": url}, *EMAIL)
    assert got == dict(zip(EMAIL, expected, strict=True))


def test_without_email_settings_mail_goes_to_files_in_data_dir(tmp_path):
    got = read_settings({"DATA_DIR": str(tmp_path)}, "EMAIL_BACKEND", "EMAIL_FILE_PATH")
    assert got == {
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(tmp_path / "mail"),
    }


def test_docker_compose_blanks_mean_unset_and_a_placeholder_key_is_refused(tmp_path):
    # docker-compose.yml passes SECRET_KEY and ALLOWED_HOSTS empty when the operator sets none.
    assert secret_key.create(tmp_path / "secret_key")
    key = (tmp_path / "secret_key").read_text().strip()
    env = {"DATA_DIR": str(tmp_path), "SECRET_KEY": "", "ALLOWED_HOSTS": "",
           "BASE_URL": "https://errors.example.com"}  # fmt: skip
    assert read_settings(env, "SECRET_KEY", "ALLOWED_HOSTS") == {
        "SECRET_KEY": key,
        "ALLOWED_HOSTS": ["errors.example.com", "localhost", "127.0.0.1", "[::1]"],
    }
    web = run("import aggregator.wsgi", {**env, "SECRET_KEY": "change-me-to-a-long-random-string"})
    assert web.returncode != 0 and "published placeholder" in web.stderr


def test_base_url_follows_web_port_unless_given(tmp_path):
    env = {"DATA_DIR": str(tmp_path), "WEB_PORT": "8123"}
    assert read_settings(env, "BASE_URL")["BASE_URL"] == "http://localhost:8123"
    env["BASE_URL"] = "https://errors.example.com"
    assert read_settings(env, "BASE_URL")["BASE_URL"] == "https://errors.example.com"
