"""Releases in the worker's batch write: made implicitly, counted per batch in a fixed
number of statements; resolving in a release, and regressions only for newer releases."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from events.issues import triage
from events.models import Activity, Issue
from releases.models import Release, ReleaseProject
from tests.support.factories import ProjectFactory
from tests.support.payloads import python_error

pytestmark = pytest.mark.django_db


def at(minutes: int, **kw) -> dict:
    ts = datetime(2026, 12, 1, 12, tzinfo=UTC) + timedelta(minutes=minutes)
    return python_error(timestamp=ts.isoformat(), **kw)


def test_an_event_naming_an_unseen_release_creates_it_with_counters(store_events, project, alice):
    store_events(
        project,
        at(1, release="web@1.4.2+build.7"),
        at(2, release="web@1.4.2+build.7", type_="KeyError"),
        at(3, release="web@1.4.2+build.7"),
        at(0, release="1.0/hotfix"),  # `/` is fine
        at(4),  # no release: nothing made
    )
    releases = {r.version: r for r in Release.objects.filter(organization=project.organization)}
    assert set(releases) == {"web@1.4.2+build.7", "1.0/hotfix"}
    link = ReleaseProject.objects.get(release=releases["web@1.4.2+build.7"], project=project)
    assert link.events == 3
    # The ValueError issue's first event (minute 0) came in 1.0/hotfix: one new issue each.
    assert link.new_groups == 1
    assert ReleaseProject.objects.get(release=releases["1.0/hotfix"]).new_groups == 1
    assert link.first_event == datetime(2026, 12, 1, 12, 1, tzinfo=UTC)
    assert link.last_event == datetime(2026, 12, 1, 12, 3, tzinfo=UTC)

    store_events(project, at(10, release="web@1.4.2+build.7"))  # a later batch adds
    link.refresh_from_db()
    assert (link.events, link.new_groups) == (4, 1)
    assert link.last_event == datetime(2026, 12, 1, 12, 10, tzinfo=UTC)


def test_a_release_is_organization_wide_and_shared_by_its_projects(store_events, project):
    other = ProjectFactory(organization=project.organization, slug="api")
    foreign = ProjectFactory(slug="elsewhere")
    store_events(project, at(1, release="2.0.0"))
    store_events(other, at(1, release="2.0.0"))
    store_events(foreign, at(1, release="2.0.0"))
    ours = Release.objects.get(organization=project.organization, version="2.0.0")
    assert set(ours.projects.all()) == {project, other}
    assert Release.objects.filter(version="2.0.0").count() == 2  # the foreign org has its own


def test_release_statements_per_batch_do_not_grow_with_the_batch(store_events, project):
    def statements(n: int, release: str | None) -> int:
        extra = {"release": release} if release else {}
        events = [at(i, value=f"v {i}", **extra) for i in range(n)]
        with CaptureQueriesContext(connection) as ctx:
            store_events(project, *events)
        return sum("releases_" in q["sql"] for q in ctx.captured_queries)

    assert statements(3, None) == 0  # batches without a release never touch the tables
    assert statements(3, "3.0.0") == 2
    assert statements(40, "3.0.1") == 2


def resolved(issue) -> Issue:
    issue.refresh_from_db()
    return issue


def test_resolved_in_a_release_stays_resolved_for_it_and_older_and_regresses_for_newer(
    store_events, project, alice
):
    [issue] = store_events(project, at(1, release="1.0.0"), at(2, release="1.1.0"))
    triage.resolve([issue.pk], alice, in_release="1.1.0")
    assert resolved(issue).resolved_in_release == "1.1.0"
    assert Activity.objects.filter(issue=issue, kind="resolved").get().data == {"release": "1.1.0"}

    mail.outbox.clear()
    store_events(project, at(3, release="1.1.0"), at(4, release="1.0.0"))
    issue = resolved(issue)
    assert issue.status == Issue.Status.RESOLVED and issue.times_seen == 4
    assert not mail.outbox

    store_events(project, at(5, release="1.2.0-rc.1"))  # newer by semver: a regression
    issue = resolved(issue)
    assert issue.status == Issue.Status.UNRESOLVED and issue.regressed
    assert issue.resolved_in_release == ""
    regression = Activity.objects.get(issue=issue, kind="regressed")
    assert regression.data == {"release": "1.2.0-rc.1"}
    [email] = mail.outbox
    assert "Release:    1.2.0-rc.1" in email.body


def test_an_event_without_a_release_regresses_a_release_resolved_issue(
    store_events, project, alice
):
    [issue] = store_events(project, at(1, release="1.0.0"))
    triage.resolve([issue.pk], alice, in_release="1.0.0")
    store_events(project, at(2))
    assert resolved(issue).status == Issue.Status.UNRESOLVED


def test_resolve_in_the_next_release_uses_the_newest_release_seen(store_events, project, alice):
    # Non-semver versions: first-seen order decides; "b" was seen last.
    [issue] = store_events(project, at(1, release="a1f3"), at(2, release="c9d0"))
    store_events(project, at(3, release="b777", type_="KeyError"))
    triage.resolve([issue.pk], alice, in_next_release=True)
    issue = resolved(issue)
    assert (issue.resolved_in_release, issue.resolved_in_next_release) == ("b777", True)
    store_events(project, at(4, release="c9d0"), at(5, release="b777"))
    assert resolved(issue).status == Issue.Status.RESOLVED
    store_events(project, at(6, release="e5e5"))  # first seen now: newer
    assert resolved(issue).status == Issue.Status.UNRESOLVED


def test_resolve_in_next_release_without_releases_is_a_plain_resolve(store_events, project, alice):
    [issue] = store_events(project, at(1))
    triage.resolve([issue.pk], alice, in_next_release=True)
    issue = resolved(issue)
    assert issue.status == Issue.Status.RESOLVED and issue.resolved_in_release == ""
    store_events(project, at(2, release="1.0.0"))
    assert resolved(issue).status == Issue.Status.UNRESOLVED


def test_resolve_in_a_release_not_seen_yet_keeps_current_releases_out(store_events, project, alice):
    [issue] = store_events(project, at(1, release="deadbeef"))
    triage.resolve([issue.pk], alice, in_release="future-build")
    store_events(project, at(2, release="deadbeef"))  # older than a release not seen yet
    assert resolved(issue).status == Issue.Status.RESOLVED


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="needs concurrent writers")
def test_concurrent_batches_naming_the_same_new_releases_make_each_once_with_exact_counts(
    ingest_queue,
):
    from events.processing import prepare
    from tests.events.processing.test_store import _payload, _store_concurrently

    project = ProjectFactory()
    versions = ("1.0.0", "1.0.1", "abc")
    batches = [
        [
            prepare.prepare(
                _payload(project, python_error(type_=f"E{n % 5}", release=versions[(i + n) % 3]))
            )
            for n in range(30)
        ]
        for i in range(4)
    ]
    _outcomes, errors = _store_concurrently(batches)
    assert errors == []
    links = ReleaseProject.objects.filter(project=project).select_related("release")
    assert sorted(link.release.version for link in links) == sorted(versions)
    assert sum(link.events for link in links) == 120
    assert sum(link.new_groups for link in links) == 5  # five issues, each new in one release
