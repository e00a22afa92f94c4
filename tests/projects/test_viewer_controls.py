"""Viewers (read-only) and members are shown no control they cannot use: a crawler walks the
dashboard as each from the overview, following every link, and checks every link and form
target on each page against the view's declared rule (projects/access.py); each link it
follows must not answer 403. A member sees the controls a viewer does not."""

from collections import deque
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from django.urls import Resolver404, resolve, reverse

from feedback.models import Feedback
from monitors.models import Monitor
from projects import access
from releases.models import Release
from tests.support.factories import (
    MembershipFactory,
    OrganizationFactory,
    ProjectFactory,
    UserFactory,
)
from tests.support.payloads import python_error
from tests.support.world import store

pytestmark = [pytest.mark.django_db, pytest.mark.one_pass]
MAX_PAGES = 80


class Targets(HTMLParser):
    """The (method, URL) of every link and form of a page."""

    def __init__(self, page_url):
        super().__init__()
        self.page_url, self.found = page_url, []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.found.append(("GET", urljoin(self.page_url, attrs["href"])))
        elif tag == "form":
            method = (attrs.get("method") or "get").upper()
            self.found.append((method, urljoin(self.page_url, attrs.get("action") or "")))


def targets(client, url) -> tuple[int, list[tuple[str, str, str]]]:
    """The page's status and its (method, path, URL name) targets on this site."""
    response = client.get(url)
    if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
        return response.status_code, []
    parser = Targets(url)
    parser.feed(response.content.decode())
    out = []
    for method, target in parser.found:
        parts = urlsplit(target)
        if parts.scheme not in ("", "http") or parts.netloc not in ("", "testserver"):
            continue  # elsewhere (deploy links, docs)
        if parts.path.startswith("/static/"):
            continue
        try:
            match = resolve(parts.path)
        except Resolver404:
            pytest.fail(f"{url} links to {target}, which is no page")
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        out.append((method, path, match.view_name, match.func))
    return 200, out


def allowed_for(role: str, method: str, view_name: str, func) -> bool:
    kind = access.rule_for(access.declared(func, view_name) or {}, method)
    if kind in (access.PUBLIC, access.USER):
        return True
    return kind in access.RANK and access.RANK[kind] <= access.RANK[role]


@pytest.fixture
def world(ingest_queue):
    org = OrganizationFactory(name="Acme", slug="acme")
    people = {}
    for role in ("owner", "member", "viewer"):
        people[role] = UserFactory(username=f"{role}-user")
        MembershipFactory(user=people[role], organization=org, role=role)
    project = ProjectFactory(organization=org, name="Shop", slug="shop")
    [issue] = store(project, python_error())
    event = issue.events.get()
    Release.objects.create(organization=org, version="1.0.0").projects.add(project)
    Monitor.objects.create(project=project, slug="nightly", name="Nightly")
    Feedback.objects.create(project=project, feedback_id="f" * 32, event_id=event.event_id,
                            issue=issue, message="It broke", email="jane@example.com",
                            source=Feedback.Source.WIDGET)  # fmt: skip
    slugs = ("acme", "shop")
    seeds = [
        reverse("events:overview"),
        reverse("projects:organization", args=["acme"]),
        reverse("events:project-issues", args=slugs),
        reverse("events:issue", args=[issue.pk]),
        reverse("monitors:detail", args=[*slugs, "nightly"]),
        reverse("releases:release", args=["acme", "1.0.0"]),
    ]
    return {"people": people, "seeds": seeds, "issue": issue}


def crawl(client, user, seeds) -> dict[str, list]:
    """{page: its targets} of every page reachable by links from the seeds (GET, same site)."""
    client.force_login(user)
    pages, queue, statuses = {}, deque(seeds), {}
    while queue and len(pages) < MAX_PAGES:
        url = queue.popleft()
        if url in pages or url in statuses:
            continue
        status, found = targets(client, url)
        statuses[url] = status
        if status != 200:
            continue
        pages[url] = found
        for method, path, _name, _func in found:
            if method == "GET" and path not in pages and "logout" not in path:
                queue.append(path)
    return pages, statuses


@pytest.mark.parametrize("role", ["viewer", "member"])
def test_each_role_is_shown_only_what_it_may_use(client, world, role):
    pages, statuses = crawl(client, world["people"][role], world["seeds"])
    assert len(pages) >= len(world["seeds"])
    refused = sorted(f"{url}: answers 403" for url, s in statuses.items() if s == 403)
    forbidden = refused + sorted(
        f"{page}: {method} {path} ({name})"
        for page, found in pages.items()
        for method, path, name, func in found
        if not allowed_for(role, method, name, func)
    )
    assert not forbidden, f"controls a {role} cannot use:\n  " + "\n  ".join(forbidden)


# (method, URL name) of controls a member may use and a viewer may not, and where they are.
MEMBER_CONTROLS = {
    ("POST", "events:issue-action"): "issue",
    ("POST", "events:issue-delete"): "issue",
    ("POST", "monitors:mute"): "monitor",
    ("GET", "feedback:list"): "issues",
    ("POST", "events:bulk"): "issues",
    ("POST", "events:bulk "): "all",  # all issues: bulk_action narrows to member or more
}


def test_a_member_sees_the_controls_a_viewer_does_not(client, world):
    seeds = dict(
        zip(
            ("overview", "org", "issues", "issue", "monitor", "release"),
            world["seeds"],
            strict=True,
        )
    )
    seeds["all"] = reverse("events:all-issues")
    for role, present in (("member", True), ("viewer", False)):
        client.force_login(world["people"][role])
        for (method, name), page in MEMBER_CONTROLS.items():
            status, found = targets(client, seeds[page])
            assert status == 200
            shown = any((m, n) == (method, name.strip()) for m, _p, n, _f in found)
            assert shown is present, (role, method, name, page)
