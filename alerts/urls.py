from django.urls import path

from . import views

app_name = "alerts"

PREFIX = "orgs/<slug:org_slug>/projects/<slug:project_slug>/rules/"

urlpatterns = [
    path(PREFIX, views.rules, name="rules"),
    path(PREFIX + "new/", views.rule_new, name="rule-new"),
    path(PREFIX + "<int:rule_id>/", views.rule_edit, name="rule-edit"),
    path(PREFIX + "<int:rule_id>/delete/", views.rule_delete, name="rule-delete"),
]
