from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "events"
    verbose_name = "Events"

    def ready(self):
        from django.db.models.signals import pre_delete

        from projects.models import Project

        from . import lifecycle, signals
        from .issues import triage
        from .models import Issue

        # Events of deleted issues and projects go in the background (no cascade on them).
        for model in (Issue, Project):
            pre_delete.connect(lifecycle.on_deleted, sender=model, dispatch_uid=f"purge-{model}")

        # Regressions and ends of ignores appear in the issue's activity log.
        signals.issue_regressed.connect(
            triage.on_issue_regressed, dispatch_uid="activity-regressed"
        )
        signals.issue_unignored.connect(
            triage.on_issue_unignored, dispatch_uid="activity-unignored"
        )
