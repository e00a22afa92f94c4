from django.urls import path

from . import views

# Mounted under accounts/ before django.contrib.auth.urls, so these names win.
urlpatterns = [
    path("password_reset/", views.PasswordResetView.as_view(), name="password_reset"),
]
