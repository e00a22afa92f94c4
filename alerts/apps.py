from django.apps import AppConfig


class AlertsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "alerts"
    verbose_name = "Notification rules"

    def ready(self):
        from django.db.models.signals import post_save

        from events import signals
        from events.dashboard import panels
        from projects.models import Project

        from . import receivers, views

        # Rule evaluation runs in Celery: the receiver only queues one task per batch.
        signals.batch_stored.connect(receivers.on_batch_stored, dispatch_uid="alerts-batch")
        signals.feedback_received.connect(
            receivers.on_feedback_received, dispatch_uid="alerts-feedback"
        )
        post_save.connect(receivers.on_project_saved, sender=Project, dispatch_uid="alerts-default")
        # The issue page's "Notifications" panel: the deliveries made for the issue.
        panels.register(views.issue_panel)
