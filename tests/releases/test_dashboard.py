"""The releases pages and the issue page's Releases panel, through the test client."""

from urllib.parse import quote

import pytest
from django.urls import reverse

from events.issues import search
from events.models import Issue
from releases.models import Commit, Deploy, Release, ReleaseCommit, Repository
from tests.support.payloads import python_error

pytestmark = pytest.mark.django_db


@pytest.fixture
def shipped(project, store_events, alice):
    """Release web@1.4.2+build.7 with two new issues, one resolved in it, a deploy, a commit."""
    issues = store_events(
        project,
        python_error(release="web@1.4.2+build.7"),
        python_error(type_="KeyError", value="<script>x</script>", release="web@1.4.2+build.7"),
    )
    release = Release.objects.get(version="web@1.4.2+build.7")
    Deploy.objects.create(release=release, environment="production", name="blue")
    repo = Repository.objects.create(organization=project.organization, name="origin")
    commit = Commit.objects.create(repository=repo, key="b" * 40, message="fix the <b>thing</b>",
                                   author_name="Ann Dev", author_email="ann@example.com")  # fmt: skip
    ReleaseCommit.objects.create(release=release, commit=commit, order=0)
    Issue.objects.filter(pk=issues[0].pk).update(
        status="resolved", resolved_in_release=release.version
    )
    return release, issues


def test_project_releases_list(client, bob, project, shipped):
    client.force_login(bob)
    page = client.get(reverse("releases:project-releases", args=["org-a", "backend"]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "web@1.4.2+build.7" in html and "production" in html
    assert '<td class="num">2</td>' in html  # new issues and events
    # The issue list of the project links to it.
    issues = client.get(
        reverse("events:project-issues", args=["org-a", "backend"])
    ).content.decode()
    assert reverse("releases:project-releases", args=["org-a", "backend"]) in issues


def test_release_page_shows_new_and_resolved_issues_deploys_and_commits(client, bob, shipped):
    release, issues = shipped
    client.force_login(bob)
    url = reverse("releases:release", args=["org-a", release.version])
    assert client.get(f"/orgs/org-a/releases/{quote(release.version, safe='')}/").status_code == 200
    html = client.get(url).content.decode()
    new = html.split('id="new-issues"')[1].split("</section>")[0]
    resolved = html.split('id="resolved-issues"')[1].split("</section>")[0]
    assert reverse("events:issue", args=[issues[1].pk]) in new
    assert reverse("events:issue", args=[issues[0].pk]) in resolved
    assert "Ann Dev" in html and "bbbbbbbbbbbb" in html and "blue" in html
    assert "<b>thing</b>" not in html and "&lt;b&gt;thing&lt;/b&gt;" in html
    assert "<script>x</script>" not in html


def test_release_pages_are_404_for_other_organizations(client, charlie, shipped):
    client.force_login(charlie)
    assert (
        client.get(reverse("releases:release", args=["org-a", shipped[0].version])).status_code
        == 404
    )
    assert (
        client.get(reverse("releases:project-releases", args=["org-a", "backend"])).status_code
        == 404
    )


def test_issue_page_links_first_and_last_release(client, bob, shipped):
    release, issues = shipped
    client.force_login(bob)
    html = client.get(reverse("events:issue", args=[issues[1].pk])).content.decode()
    link = reverse("releases:release", args=["org-a", release.version])
    assert f'<a href="{link}">web@1.4.2+build.7</a>' in html


def test_resolve_in_next_release_and_in_a_release_from_the_dashboard(
    client, bob, project, store_events
):
    [issue] = store_events(project, python_error(release="1.0.0"))
    client.force_login(bob)
    action = reverse("events:issue-action", args=[issue.pk])
    client.post(action, {"action": "resolve_in", "release": "1.1.0"})
    issue.refresh_from_db()
    assert (issue.status, issue.resolved_in_release) == ("resolved", "1.1.0")
    assert "in 1.1.0" in client.get(reverse("events:issue", args=[issue.pk])).content.decode()
    client.post(action, {"action": "unresolve"})
    client.post(reverse("events:bulk"), {"action": "resolve_next", "issue": [issue.pk]})
    issue.refresh_from_db()
    assert (issue.resolved_in_release, issue.resolved_in_next_release) == ("1.0.0", True)
    page = client.get(reverse("events:issue", args=[issue.pk])).content.decode()
    assert "in the next release after 1.0.0" in page
    client.post(action, {"action": "unresolve"})
    bulk = reverse("events:bulk")
    answer = client.post(
        bulk, {"action": "resolve_in", "release": "", "issue": [issue.pk]}, follow=True
    )
    assert "Name the release to resolve in." in answer.content.decode()
    assert Issue.objects.get(pk=issue.pk).status == "unresolved"
    client.post(bulk, {"action": "resolve_in", "release": "web@2.0", "issue": [issue.pk]})
    assert Issue.objects.get(pk=issue.pk).resolved_in_release == "web@2.0"


def test_release_and_first_release_in_the_search_language(client, bob, project, store_events):
    store_events(
        project, python_error(release="1.0.0"), python_error(type_="KeyError", release="2.0.0")
    )
    old, new = (
        Issue.objects.get(title__startswith="ValueError"),
        Issue.objects.get(title__startswith="KeyError"),
    )
    store_events(project, python_error(release="2.0.0"))  # old issue seen in 2.0.0 too
    assert search.parse("firstRelease:2.0.0").first_release == "2.0.0"
    client.force_login(bob)
    url = reverse("events:project-issues", args=["org-a", "backend"])
    first = client.get(url, {"q": "firstRelease:2.0.0"}).content.decode()
    assert reverse("events:issue", args=[new.pk]) in first
    assert reverse("events:issue", args=[old.pk]) not in first
    seen = client.get(url, {"q": "release:2.0.0"}).content.decode()
    assert (
        reverse("events:issue", args=[old.pk]) in seen
        and reverse("events:issue", args=[new.pk]) in seen
    )
