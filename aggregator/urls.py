from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("events.ingest_urls")),
    path("admin/", admin.site.urls),
]
