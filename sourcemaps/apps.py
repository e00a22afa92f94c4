from django.apps import AppConfig


class SourcemapsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "sourcemaps"
    verbose_name = "Source maps"

    def ready(self):
        from events.processing import enrich

        from . import symbolicate

        # The worker maps JavaScript and Node frames through uploaded source maps.
        enrich.register(("javascript", "node"), symbolicate.symbolicate_event)
