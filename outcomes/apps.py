from django.apps import AppConfig


class OutcomesConfig(AppConfig):
    name = "outcomes"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from events.dashboard import panels

        panels.register_project_link("Stats", "outcomes:project-stats")
