from django.apps import AppConfig


class MonitorsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "monitors"
    verbose_name = "Cron monitors"

    def ready(self):
        from events import items
        from events.dashboard import panels

        from . import checkin_wire, checkins, retention

        # check_in envelope items reach us from the worker's batch (events/items.py).
        items.register("check_in", checkins.handle_items, checkin_wire.parse)
        panels.register_project_link("Monitors", "monitors:list")
        retention.register()  # check-ins go with the events' retention (events/lifecycle.py)
