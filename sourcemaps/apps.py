from django.apps import AppConfig


class SourcemapsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "sourcemaps"
    verbose_name = "Source maps"

    def ready(self):
        from events.dashboard import panels as issue_panels
        from events.processing import enrich

        from . import panels, symbolicate

        # The worker maps JavaScript and Node frames through uploaded source maps.
        enrich.register(("javascript", "node"), symbolicate.symbolicate_event)
        # The issue page says when maps uploaded after an event would map its frames.
        issue_panels.register(panels.issue_panel)
