"""Teams and roles: members and viewers see their teams' projects (and projects of no team),
owners and admins everything; viewers only read; rules mail those who see the project."""

import pytest
from django.urls import reverse

from alerts.evaluate import _Members, recipients
from alerts.models import NotificationRule
from projects import access
from projects.models import Membership, Team
from tests.support.factories import MembershipFactory, ProjectFactory, UserFactory
from tests.support.payloads import python_error

pytestmark = pytest.mark.django_db


@pytest.fixture
def teams(alice, bob, org_a, project):
    """backend (team Core, bob), web (team Front, vera the viewer), open (no team)."""
    vera = MembershipFactory(user=UserFactory(username="vera", email="vera@example.com"),
                             organization=org_a, role=Membership.Role.VIEWER)  # fmt: skip
    web = ProjectFactory(organization=org_a, name="Web", slug="web")
    open_ = ProjectFactory(organization=org_a, name="Open", slug="open")
    core = Team.objects.create(organization=org_a, name="Core", slug="core")
    front = Team.objects.create(organization=org_a, name="Front", slug="front")
    core.members.add(Membership.objects.get(user=bob))
    core.projects.add(project)
    front.members.add(vera)
    front.projects.add(web)
    return {"web": web, "open": open_, "vera": vera.user, "core": core, "front": front}


def slugs(user):
    return sorted(access.projects_for(user).values_list("slug", flat=True))


def test_who_sees_which_project(alice, bob, teams):
    assert slugs(alice) == ["backend", "open", "web"]
    assert slugs(bob) == ["backend", "open"]
    assert slugs(teams["vera"]) == ["open", "web"]


def test_pages_and_api_follow_the_teams(client, bob, teams, project, store_events):
    [web_issue] = store_events(teams["web"], python_error())
    [own_issue] = store_events(project, python_error(type_="KeyError"))
    client.force_login(bob)
    assert client.get(reverse("events:project-issues", args=["org-a", "web"])).status_code == 404
    assert client.get(reverse("events:issue", args=[web_issue.pk])).status_code == 404
    assert client.get(reverse("events:issue", args=[own_issue.pk])).status_code == 200
    listed = client.get(reverse("events:all-issues")).content.decode()
    assert f"/issues/{own_issue.pk}/" in listed and f"/issues/{web_issue.pk}/" not in listed
    org_page = client.get(reverse("projects:organization", args=["org-a"])).content.decode()
    assert "Open" in org_page and 'href="/orgs/org-a/projects/web/"' not in org_page
    api = client.get("/api/0/organizations/org-a/projects/").json()
    assert sorted(p["slug"] for p in api) == ["backend", "open"]
    assert client.get("/api/0/projects/org-a/web/").status_code == 404
    api_issues = client.get("/api/0/organizations/org-a/issues/?query=").json()
    assert [i["id"] for i in api_issues] == [str(own_issue.pk)]


def test_viewers_read_but_do_not_triage(client, teams, store_events):
    [issue] = store_events(teams["web"], python_error())
    client.force_login(teams["vera"])
    page = client.get(reverse("events:issue", args=[issue.pk]))
    action = reverse("events:issue-action", args=[issue.pk])
    assert page.status_code == 200 and action not in page.content.decode()  # no triage buttons
    assert client.post(action, {"action": "resolve"}).status_code == 403
    assert (
        client.post(reverse("events:bulk"), {"issue": issue.pk, "action": "resolve"}).status_code
        == 403
    )
    assert client.put(f"/api/0/issues/{issue.pk}/", {"status": "resolved"},
                      content_type="application/json").status_code == 403  # fmt: skip
    assert client.delete(f"/api/0/issues/{issue.pk}/").status_code == 403
    issue.refresh_from_db()
    assert issue.status == "unresolved"


def test_email_all_members_means_those_who_see_the_project(alice, bob, teams, project):
    for user in (alice, bob):
        user.email = f"{user.username}@example.com"
        user.save()
    rule = NotificationRule.objects.create(project=project, name="r", on_new_issue=True,
                                           email_to=NotificationRule.EmailTo.ALL_MEMBERS)  # fmt: skip
    to = sorted(address for address, _ in recipients(rule, project, _Members()))
    assert to == ["alice@example.com", "bob@example.com"]  # not vera (team Front only)
    open_rule = NotificationRule.objects.create(project=teams["open"], name="r2", on_new_issue=True,
                                                email_to=NotificationRule.EmailTo.ALL_MEMBERS)  # fmt: skip
    to = sorted(address for address, _ in recipients(open_rule, teams["open"], _Members()))
    assert to == ["alice@example.com", "bob@example.com", "vera@example.com"]


def test_admins_manage_teams_members_cannot(client, alice, bob, org_a, project):
    client.force_login(bob)
    assert (
        client.post(reverse("projects:team-create", args=["org-a"]), {"name": "X"}).status_code
        == 403
    )
    client.force_login(alice)
    client.post(reverse("projects:team-create", args=["org-a"]), {"name": "Ops team"})
    team = Team.objects.get(organization=org_a, slug="ops-team")
    url = reverse("projects:team-action", args=["org-a", team.pk])
    bob_m = Membership.objects.get(user=bob)
    client.post(url, {"action": "add-member", "id": bob_m.pk})
    client.post(url, {"action": "add-project", "id": project.pk})
    assert list(team.members.all()) == [bob_m] and list(team.projects.all()) == [project]
    page = client.get(reverse("projects:organization", args=["org-a"])).content.decode()
    assert "Ops team" in page
    # Another organization's project cannot be added.
    other = ProjectFactory(name="Elsewhere")
    client.post(url, {"action": "add-project", "id": other.pk})
    assert list(team.projects.all()) == [project]
    client.post(url, {"action": "delete"})
    assert not Team.objects.filter(pk=team.pk).exists()
