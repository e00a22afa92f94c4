from django.urls import path

from . import views

app_name = "digests"

urlpatterns = [
    path("settings/", views.notification_settings, name="settings"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
