from django.urls import re_path

from . import airbrake

app_name = "airbrake"

urlpatterns = [
    re_path(
        r"^api/v3/projects/(?P<project_id>[^/]+)/(?:notices|create-notice)/?$",
        airbrake.notices_v3,
        name="notices",
    ),
    re_path(r"^notifier_api/v2/notices(?:\.xml)?/?$", airbrake.notices_v2, name="v2"),
    re_path(r"^locate/(?P<event_id>[0-9a-fA-F-]{32,36})/?$", airbrake.locate, name="locate"),
]
