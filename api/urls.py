from django.urls import path, register_converter
from drf_spectacular.views import SpectacularAPIView

from audit.api import OrganizationAuditLog
from outcomes.api import OrganizationStats
from releases import api_urls as release_urls

from . import docs, filter_views, issue_views, member_views, rule_views, views

app_name = "api"


class EventPick:
    regex = "latest|oldest|recommended"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


class RowId:
    """A row id that fits in a 64-bit column (longer digits would overflow the database)."""

    regex = "[0-9]{1,18}"

    def to_python(self, value):
        return int(value)

    def to_url(self, value):
        return str(value)


register_converter(EventPick, "pick")
register_converter(RowId, "id")

urlpatterns = [
    path("", views.Root.as_view(), name="root"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", docs.docs_page, name="docs"),
    path("organizations/", views.OrganizationList.as_view(), name="organizations"),
    path("organizations/<slug:org_slug>/", views.OrganizationDetail.as_view(), name="organization"),
    path(
        "organizations/<slug:org_slug>/projects/",
        views.OrganizationProjects.as_view(),
        name="organization-projects",
    ),
    path(
        "organizations/<slug:org_slug>/members/",
        member_views.OrganizationMembers.as_view(),
        name="organization-members",
    ),
    path(
        "organizations/<slug:org_slug>/members/<id:member_id>/",
        member_views.OrganizationMemberDetail.as_view(),
        name="organization-member",
    ),
    path(
        "organizations/<slug:org_slug>/stats_v2/",
        OrganizationStats.as_view(),
        name="organization-stats",
    ),
    path(
        "organizations/<slug:org_slug>/audit-logs/",
        OrganizationAuditLog.as_view(),
        name="organization-audit-logs",
    ),
    path(
        "organizations/<slug:org_slug>/issues/",
        issue_views.OrganizationIssues.as_view(),
        name="organization-issues",
    ),
    path(
        "organizations/<slug:org_slug>/issues/<id:issue_id>/",
        issue_views.IssueDetail.as_view(),
        name="organization-issue",
    ),
    path(
        "organizations/<slug:org_slug>/issues/<id:issue_id>/events/",
        issue_views.IssueEvents.as_view(),
        name="organization-issue-events",
    ),
    path(
        "organizations/<slug:org_slug>/issues/<id:issue_id>/events/<pick:which>/",
        issue_views.IssueEventPick.as_view(),
        name="organization-issue-event",
    ),
    path(
        "organizations/<slug:org_slug>/issues/<id:issue_id>/tags/",
        issue_views.IssueTags.as_view(),
        name="organization-issue-tags",
    ),
    path(
        "projects/<slug:org_slug>/<slug:project_slug>/",
        views.ProjectDetail.as_view(),
        name="project",
    ),
    path(
        "projects/<slug:org_slug>/<slug:project_slug>/issues/",
        issue_views.ProjectIssues.as_view(),
        name="project-issues",
    ),
    path(
        "projects/<slug:org_slug>/<slug:project_slug>/events/<str:event_id>/",
        issue_views.ProjectEventDetail.as_view(),
        name="project-event",
    ),
    path(
        "projects/<slug:org_slug>/<slug:project_slug>/keys/",
        views.ProjectKeys.as_view(),
        name="project-keys",
    ),
    path(
        "projects/<slug:org_slug>/<slug:project_slug>/keys/<str:key_id>/",
        views.ProjectKeyDetail.as_view(),
        name="project-key",
    ),
    path(
        "projects/<slug:org_slug>/<slug:project_slug>/filters/",
        filter_views.ProjectFilters.as_view(),
        name="project-filters",
    ),
    path(
        "projects/<slug:org_slug>/<slug:project_slug>/filters/options/",
        filter_views.ProjectFilterOptions.as_view(),
        name="project-filter-options",
    ),
    path(
        "projects/<slug:org_slug>/<slug:project_slug>/filters/<str:filter_id>/",
        filter_views.ProjectFilterDetail.as_view(),
        name="project-filter",
    ),
    path(
        "projects/<slug:org_slug>/<slug:project_slug>/quotas/",
        filter_views.ProjectQuotas.as_view(),
        name="project-quotas",
    ),
    path(
        "projects/<slug:org_slug>/<slug:project_slug>/rules/",
        rule_views.ProjectRules.as_view(),
        name="project-rules",
    ),
    path(
        "projects/<slug:org_slug>/<slug:project_slug>/rules/<id:rule_id>/",
        rule_views.ProjectRuleDetail.as_view(),
        name="project-rule",
    ),
    path(
        "projects/<slug:org_slug>/<slug:project_slug>/rules/<id:rule_id>/deliveries/",
        rule_views.ProjectRuleDeliveries.as_view(),
        name="project-rule-deliveries",
    ),
    path("issues/<id:issue_id>/", issue_views.IssueDetail.as_view(), name="issue"),
    path("issues/<id:issue_id>/events/", issue_views.IssueEvents.as_view(), name="issue-events"),
    path(
        "issues/<id:issue_id>/events/<pick:which>/",
        issue_views.IssueEventPick.as_view(),
        name="issue-event",
    ),
    path("issues/<id:issue_id>/tags/", issue_views.IssueTags.as_view(), name="issue-tags"),
    *release_urls.urlpatterns,  # releases, deploys, commits, repositories (releases app)
]
