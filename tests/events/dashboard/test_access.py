"""Who sees what: members see their organizations' data, nobody else's (404, not 403)."""

import pytest
from django.urls import reverse

from projects import access
from tests.support.factories import ProjectFactory
from tests.support.payloads import python_error

pytestmark = [pytest.mark.django_db, pytest.mark.one_pass]


def test_other_organizations_urls_answer_404(client, charlie, project, store_events):
    issue = store_events(project, python_error())[0]
    event_id = issue.last_event_id
    client.force_login(charlie)
    for url in [
        reverse("events:issue", args=[issue.pk]),
        reverse("events:event", args=[issue.pk, event_id]),
        reverse("events:event-json", args=[issue.pk, event_id]),
        reverse("events:event-list", args=[issue.pk]),
        reverse("events:project-issues", args=["org-a", "backend"]),
        reverse("projects:organization", args=["org-a"]),
        reverse("projects:setup", args=["org-a", "backend"]),
        reverse("projects:settings", args=["org-a", "backend"]),
    ]:
        assert client.get(url).status_code == 404, url
    assert (
        client.post(
            reverse("events:issue-action", args=[issue.pk]), {"action": "resolve"}
        ).status_code
        == 404
    )
    assert (
        client.post(
            reverse("projects:keys", args=["org-a", "backend"]), {"action": "create"}
        ).status_code
        == 404
    )
    issue.refresh_from_db()
    assert issue.status == "unresolved"


def test_members_triage_but_only_admins_manage(client, bob, alice, project):
    client.force_login(bob)
    assert client.get(reverse("projects:setup", args=["org-a", "backend"])).status_code == 200
    assert client.get(reverse("projects:settings", args=["org-a", "backend"])).status_code == 403
    assert client.get(reverse("projects:create", args=["org-a"])).status_code == 403
    assert (
        client.post(
            reverse("projects:add-member", args=["org-a"]), {"email": "x@example.com"}
        ).status_code
        == 403  # a member sees the organization but may not manage it
    )
    client.force_login(alice)
    assert client.get(reverse("projects:settings", args=["org-a", "backend"])).status_code == 200


def test_access_querysets(alice, charlie, project):
    ProjectFactory()  # nobody's
    assert list(access.projects_for(alice)) == [project]
    assert list(access.projects_for(charlie)) == []
    assert [o.slug for o in access.organizations_for(alice)] == ["org-a"]
    assert access.admin_org_ids(alice) == {project.organization_id}
    assert access.admin_org_ids(charlie) == set()
