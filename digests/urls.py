from django.urls import path

from . import views

app_name = "digests"

urlpatterns = [
    path("settings/", views.notification_settings, name="settings"),
    path("settings/digest-now/", views.digest_now, name="digest-now"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
