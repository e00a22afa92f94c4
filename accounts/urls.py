from django.urls import path

from . import sso_views, views

# Mounted under accounts/ before django.contrib.auth.urls, so these names win.
urlpatterns = [
    path("password_reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("2fa/", views.two_factor, name="account-2fa"),
    path("2fa/setup/", views.two_factor_setup, name="account-2fa-setup"),
    path("2fa/verify/", views.two_factor_verify, name="account-2fa-verify"),
    path("2fa/disable/", views.two_factor_disable, name="account-2fa-disable"),
    path("2fa/recovery/", views.two_factor_recovery, name="account-2fa-recovery"),
    # Single sign-on (accounts/sso.py); the provider's redirect URI is BASE_URL + callback.
    path("sso/login/", sso_views.SsoLoginView.as_view(), name="account-sso-login"),
    path("sso/callback/", sso_views.SsoCallbackView.as_view(), name="account-sso-callback"),
    path("sso/required/", sso_views.sso_required, name="account-sso-required"),
]
