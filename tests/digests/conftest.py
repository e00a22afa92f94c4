"""People and issues for digest tests.

Org A has projects backend and frontend; org B has billing. ann is in A, bob in B, cat in
both (with frontend muted). All want hourly digests and joined long before the tests' hour.
"""

import itertools
from datetime import UTC, datetime

import pytest

from alerts.models import NotificationRule
from digests.models import NotificationSettings
from events.models import Issue
from projects.models import Membership
from tests.support.factories import (
    MembershipFactory,
    OrganizationFactory,
    ProjectFactory,
    UserFactory,
)

NOW = datetime(2026, 3, 4, 10, 2, tzinfo=UTC)  # the beat runs just after the 10:00 boundary
_fingerprints = itertools.count()


def utc(*args):
    return datetime(*args, tzinfo=UTC)


def make_issue(project, title, first_seen, times_seen=1, **fields):
    return Issue.objects.create(
        project=project,
        grouping_version="test",
        fingerprint=f"{next(_fingerprints):032x}",
        title=title,
        first_seen=first_seen,
        created=fields.pop("created", first_seen),  # made here when its first event came
        last_seen=fields.pop("last_seen", first_seen),
        times_seen=times_seen,
        **fields,
    )


def make_user(name, *orgs, frequency="hourly"):
    user = UserFactory(username=name, date_joined=utc(2026, 1, 1))
    for org in orgs:
        MembershipFactory(user=user, organization=org, role=Membership.Role.MEMBER)
    NotificationSettings.objects.create(user=user, digest_frequency=frequency)
    return user


@pytest.fixture
def world(db):
    org_a = OrganizationFactory(name="Org A", slug="org-a")
    org_b = OrganizationFactory(name="Org B", slug="org-b")
    w = type("World", (), {})()
    w.backend = ProjectFactory(organization=org_a, name="Backend", slug="backend")
    w.frontend = ProjectFactory(organization=org_a, name="Frontend", slug="frontend")
    w.billing = ProjectFactory(organization=org_b, name="Billing", slug="billing")
    w.ann = make_user("ann", org_a)
    w.bob = make_user("bob", org_b)
    w.cat = make_user("cat", org_a, org_b)
    w.cat.notification_settings.muted_projects.add(w.frontend)
    # Digests only: the projects' default alert rules would mail these users too.
    NotificationRule.objects.filter(project__in=[w.backend, w.frontend, w.billing]).delete()
    return w
