"""Hooks into the write path and project creation. Cheap: one task per stored batch."""

from .evaluate import outcome_dicts
from .models import NotificationRule
from .tasks import evaluate_batch, evaluate_feedback


def on_batch_stored(sender, *, outcomes, **kwargs) -> None:
    if outcomes:
        # A short argsrepr: Celery's own walks every value of the message to cap its repr
        # (~1 ms a batch of 50 issues, in the writer's time).
        evaluate_batch.apply_async(
            (outcome_dicts(outcomes),), argsrepr=f"({len(outcomes)} issues' outcomes,)"
        )


def on_feedback_received(sender, *, feedback, **kwargs) -> None:
    if feedback:
        evaluate_feedback.delay(feedback)


def create_default_rule(project) -> NotificationRule:
    return NotificationRule.objects.create(
        project=project,
        name="Email members about new issues and regressions",
        on_new_issue=True,
        on_regression=True,
        email_to=NotificationRule.EmailTo.ALL_MEMBERS,
    )


def on_project_saved(sender, *, instance, created, raw=False, **kwargs) -> None:
    if created and not raw:
        create_default_rule(instance)
