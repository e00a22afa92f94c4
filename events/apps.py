from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "events"
    verbose_name = "Events"

    def ready(self):
        from . import signals
        from .issues import triage

        # Regressions and ends of ignores appear in the issue's activity log.
        signals.issue_regressed.connect(
            triage.on_issue_regressed, dispatch_uid="activity-regressed"
        )
        signals.issue_unignored.connect(
            triage.on_issue_unignored, dispatch_uid="activity-unignored"
        )
