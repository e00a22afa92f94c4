from django.urls import path

from . import views

app_name = "projects"

urlpatterns = [
    path("orgs/<slug:org_slug>/", views.organization, name="organization"),
    path("orgs/<slug:org_slug>/sign-in-rules/", views.sign_in_rules, name="sign-in-rules"),
    path("orgs/<slug:org_slug>/teams/new/", views.team_create, name="team-create"),
    path("orgs/<slug:org_slug>/teams/<int:team_id>/", views.team_action, name="team-action"),
    path(
        "orgs/<slug:org_slug>/invitations/<int:invitation_id>/revoke/",
        views.invitation_revoke,
        name="invitation-revoke",
    ),
    path("invitations/<str:token>/", views.invitation, name="invitation"),
    path("orgs/<slug:org_slug>/members/add/", views.add_member, name="add-member"),
    path("orgs/<slug:org_slug>/data/", views.organization_data, name="organization-data"),
    path("orgs/<slug:org_slug>/quota/", views.organization_quota, name="organization-quota"),
    path(
        "orgs/<slug:org_slug>/members/<int:membership_id>/remove/",
        views.remove_member,
        name="remove-member",
    ),
    path("orgs/<slug:org_slug>/projects/new/", views.project_create, name="create"),
    path(
        "orgs/<slug:org_slug>/projects/<slug:project_slug>/setup/",
        views.project_setup,
        name="setup",
    ),
    path(
        "orgs/<slug:org_slug>/projects/<slug:project_slug>/settings/",
        views.project_settings,
        name="settings",
    ),
    path("orgs/<slug:org_slug>/projects/<slug:project_slug>/keys/", views.key_action, name="keys"),
    path(
        "orgs/<slug:org_slug>/projects/<slug:project_slug>/settings/data/",
        views.project_data,
        name="project-data",
    ),
    *(
        path(
            f"orgs/<slug:org_slug>/projects/<slug:project_slug>/settings/{section}/",
            views.project_section,
            {"section": section},
            name=f"settings-{section}",
        )
        for section in ("quotas", "filters")
    ),
]
