import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from projects.models import Project

pytestmark = pytest.mark.django_db


def test_bootstrap_makes_an_owner_with_an_address_for_the_default_alert_rule(capsys):
    call_command("bootstrap")
    admin = get_user_model().objects.get(username="admin")
    assert admin.email == "admin@localhost" and admin.is_superuser
    demo = Project.objects.get(name="Demo project")
    assert demo.organization.memberships.get(user=admin).role == "owner"
    assert demo.alert_rules.filter(on_new_issue=True).exists()
    out = capsys.readouterr().out
    assert "DSN:" in out and "admin@localhost" in out
    call_command("bootstrap")  # idempotent: a second run changes nothing
    assert get_user_model().objects.count() == 1


def test_bootstrap_makes_data_dir_and_a_secret_key_where_there_is_none(settings, tmp_path):
    # Settings make neither (aggregator/settings/); the web server and worker need the key.
    settings.DATA_DIR = tmp_path / "data"
    settings.SECRET_KEY_FILE = settings.DATA_DIR / "secret_key"
    settings.SECRET_KEY = ""
    call_command("bootstrap", verbosity=0)
    key = settings.SECRET_KEY_FILE.read_text().strip()
    assert key and settings.SECRET_KEY == key
    call_command("bootstrap", verbosity=0)
    assert settings.SECRET_KEY_FILE.read_text().strip() == key  # kept


def test_bootstrap_writes_no_key_file_when_there_is_a_key(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    settings.SECRET_KEY_FILE = tmp_path / "secret_key"
    call_command("bootstrap", verbosity=0)
    assert not settings.SECRET_KEY_FILE.exists()


def test_admin_password_from_the_environment_is_used_and_not_written(
    settings, tmp_path, monkeypatch, capsys
):
    settings.DATA_DIR = tmp_path
    monkeypatch.setenv("ADMIN_PASSWORD", "correct horse battery staple")
    call_command("bootstrap", verbosity=0)
    admin = get_user_model().objects.get(username="admin")
    assert admin.check_password("correct horse battery staple")
    assert not (tmp_path / "admin_password").exists()
    out = capsys.readouterr().out
    assert "ADMIN_PASSWORD" in out and "correct horse" not in out
    assert out.rstrip().splitlines()[-1].startswith("  DSN:")
