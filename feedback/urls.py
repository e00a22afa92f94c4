from django.urls import path, re_path

from . import dialog, views

app_name = "feedback"

urlpatterns = [
    # The crash-report dialog browser SDKs load with showReportDialog (feedback/dialog.py).
    re_path(r"^(?:.*/)?api/embed/error-page/?$", dialog.error_page, name="error-page"),
    path("orgs/<slug:org_slug>/projects/<slug:project_slug>/feedback/", views.project_feedback,
         name="list"),
]  # fmt: skip
