from django.apps import AppConfig


class DashboardConfig(AppConfig):
    """The dashboard's pages. An app of its own only so that its templates and static files
    live beside its views; it has no models (those are the `events` app's)."""

    name = "events.dashboard"
    label = "events_dashboard"
    verbose_name = "Dashboard"
