import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from projects.models import Organization, Project

pytestmark = pytest.mark.django_db


def test_a_new_organization_gets_the_bootstrap_admin_as_owner_and_says_so(capsys):
    call_command("bootstrap", verbosity=0)
    capsys.readouterr()
    call_command("createproject", "Acme Corp", "Web Shop")
    captured = capsys.readouterr()
    project = Project.objects.get(name="Web Shop")
    assert project.organization.memberships.get(user__username="admin").role == "owner"
    assert captured.out.strip().endswith(f"/{project.id}")  # the DSN, alone on stdout
    assert "who can see it: admin (owner)" in captured.err


def test_owner_names_another_user_and_an_unknown_one_is_a_clear_error(capsys):
    User = get_user_model()
    User.objects.create_user("dora", "dora@example.com", "x")
    call_command("createproject", "Acme Corp", "Web Shop", owner="dora")
    org = Organization.objects.get(slug="acme-corp")
    assert list(org.memberships.values_list("user__username", "role")) == [("dora", "owner")]
    with pytest.raises(CommandError, match="No user named 'nobody'"):
        call_command("createproject", "Other", "Thing", owner="nobody")
    assert not Organization.objects.filter(slug="other").exists()  # nothing half-made


def test_without_any_admin_it_says_what_to_do():
    with pytest.raises(CommandError, match="--owner"):
        call_command("createproject", "Acme Corp", "Web Shop")
    assert not Project.objects.exists()


def test_an_existing_organization_keeps_its_members(capsys):
    User = get_user_model()
    User.objects.create_superuser("root", "root@example.com", "x")
    User.objects.create_user("dora", "dora@example.com", "x")
    call_command("createproject", "Acme Corp", "Web Shop", owner="dora")
    call_command("createproject", "Acme Corp", "Mobile")  # no --owner: nobody added
    org = Organization.objects.get(slug="acme-corp")
    assert list(org.memberships.values_list("user__username", flat=True)) == ["dora"]
    assert "who can see it: dora (owner)" in capsys.readouterr().err
