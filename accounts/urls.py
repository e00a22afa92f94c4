from django.urls import path

from . import views

# Mounted under accounts/ before django.contrib.auth.urls, so these names win.
urlpatterns = [
    path("password_reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("2fa/", views.two_factor, name="account-2fa"),
    path("2fa/setup/", views.two_factor_setup, name="account-2fa-setup"),
    path("2fa/verify/", views.two_factor_verify, name="account-2fa-verify"),
    path("2fa/disable/", views.two_factor_disable, name="account-2fa-disable"),
    path("2fa/recovery/", views.two_factor_recovery, name="account-2fa-recovery"),
]
