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
