from django.apps import AppConfig


class ReleasesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "releases"
    verbose_name = "Releases"

    def ready(self):
        from events import releases as seam
        from events.dashboard import panels

        from . import views, worker

        # The worker records releases inside its batch write and asks us about their order.
        seam.register(worker.HOOK)
        # The issue page's "Releases" panel: first, last and resolved-in release, linked.
        panels.register(views.issue_panel)
        panels.register_project_link("Releases", "releases:project-releases")
