"""The settings page's quota and filter forms, the organization quota, the stats page."""

import re
from datetime import UTC, datetime

import pytest
from django.urls import reverse

from outcomes import tally
from projects.models import Organization, Project
from tests.support.factories import ProjectFactory

pytestmark = pytest.mark.django_db


def test_quotas_and_filters_are_saved_from_the_settings_page(client, alice, project):
    client.force_login(alice)
    page = client.get(reverse("projects:settings", args=["org-a", "backend"])).content.decode()
    assert "Inbound filters" in page and "Events per month (30 days)" in page
    client.post(reverse("projects:settings-quotas", args=["org-a", "backend"]), {
        "quotas-rate_limit_per_hour": "100", "quotas-rate_limit_per_month": "9000",
    })  # fmt: skip
    client.post(reverse("projects:settings-filters", args=["org-a", "backend"]), {
        "filters-filter_web_crawlers": "on", "filters-filter_messages": " *timeout* \n\n",
        "filters-filter_ip_ranges": "10.0.0.0/8",
    })  # fmt: skip
    project = Project.objects.get(pk=project.pk)
    assert (project.rate_limit_per_hour, project.rate_limit_per_month) == (100, 9000)
    assert project.filter_web_crawlers and not project.filter_localhost
    assert project.filter_messages == "*timeout*" and project.filter_ip_ranges == "10.0.0.0/8"

    response = client.post(
        reverse("projects:settings-filters", args=["org-a", "backend"]),
        {"filters-filter_ip_ranges": "10.0.0.0/33"}, follow=True,
    )  # fmt: skip
    assert "Not saved" in response.content.decode() and "10.0.0.0/33" in response.content.decode()
    assert Project.objects.get(pk=project.pk).filter_ip_ranges == "10.0.0.0/8"


def test_only_admins_change_quotas(client, bob, project):
    client.force_login(bob)
    response = client.post(
        reverse("projects:settings-quotas", args=["org-a", "backend"]),
        {"quotas-rate_limit_per_hour": "1"},
    )
    assert response.status_code in (403, 404)
    assert Project.objects.get(pk=project.pk).rate_limit_per_hour is None


def test_the_organization_monthly_quota(client, alice, org_a):
    client.force_login(alice)
    client.post(reverse("projects:organization-quota", args=["org-a"]),
                {"monthly_event_quota": "50000"})  # fmt: skip
    assert Organization.objects.get(pk=org_a.pk).monthly_event_quota == 50000


def test_the_stats_page_stacks_outcomes_with_their_reasons(client, bob, charlie, project):
    now = int(datetime.now(UTC).timestamp()) // 3600 * 3600
    tally.fold({
        (project.id, now, "error", "accepted", ""): 12,
        (project.id, now, "error", "filtered", "<b>web-crawlers</b>"): 3,
        (project.id, now - 3 * 86400, "error", "rate_limited", "project_daily_quota"): 4,
    })  # fmt: skip
    client.force_login(bob)
    url = reverse("outcomes:project-stats", args=["org-a", "backend"])
    page = client.get(url).content.decode()
    assert "Accepted: <strong>12</strong>" in page and "Filtered: <strong>3</strong>" in page
    assert "Rate limited: <strong>0</strong>" in page  # three days ago: not in 24 hours
    assert "&lt;b&gt;web-crawlers&lt;/b&gt;" in page and "<b>web" not in page  # escaped
    assert page.count("<rect x=") == 2  # accepted and filtered, one column
    page = client.get(url + "?span=14d").content.decode()
    assert "Rate limited: <strong>4</strong>" in page and "project_daily_quota" in page
    client.force_login(charlie)
    assert client.get(url).status_code == 404


def test_the_issue_list_links_the_stats_page(client, bob, project):
    client.force_login(bob)
    page = client.get(reverse("events:project-issues", args=["org-a", "backend"])).content.decode()
    assert reverse("outcomes:project-stats", args=["org-a", "backend"]) in page


def test_other_projects_do_not_leak_into_the_page(client, bob, project):
    other = ProjectFactory()
    now = int(datetime.now(UTC).timestamp()) // 3600 * 3600
    tally.fold({(other.id, now, "error", "accepted", ""): 99})
    client.force_login(bob)
    page = client.get(reverse("outcomes:project-stats", args=["org-a", "backend"])).content
    # 99 as a number of its own: a CSRF token or static file hash may hold the digits "99".
    assert not re.search(rb"\b99\b", page)
