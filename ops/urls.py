from django.urls import path

from . import views

app_name = "ops"

urlpatterns = [
    path("-/health/", views.health, name="health"),
    path("-/ready/", views.ready, name="ready"),
    path("metrics", views.metrics_view, name="metrics"),
    path("-/status/", views.status, name="status"),
    path("-/status/replay/", views.replay, name="replay"),
]
