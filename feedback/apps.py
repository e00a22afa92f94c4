from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "feedback"
    verbose_name = "User feedback"

    def ready(self):
        from events import items, signals
        from events.dashboard import panels

        from . import receivers, views, wire

        items.register("feedback", receivers.feedback_items, wire.check_feedback_item)
        items.register("user_report", receivers.user_report_items, wire.check_user_report_item)
        # Feedback sent before its event: linked once the event is stored.
        signals.batch_stored.connect(receivers.on_batch_stored, dispatch_uid="feedback-attach")
        panels.register(views.issue_panel)
        panels.register_project_link("Feedback", "feedback:list")
