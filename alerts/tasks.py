"""Celery tasks: thin wrappers that decide retries."""

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError

from . import deliver, evaluate

TRANSIENT_DB = (OperationalError, InterfaceError)


# The database was away or busy: evaluation is one transaction, so running it again is safe.
@shared_task(ignore_result=True, autoretry_for=TRANSIENT_DB, retry_backoff=True, max_retries=5)
def evaluate_batch(outcomes: list[dict]) -> None:
    """Rules against one stored batch; each resulting delivery is its own task."""
    for delivery_id in evaluate.evaluate(outcomes):
        send_delivery.delay(delivery_id)


@shared_task(ignore_result=True, autoretry_for=TRANSIENT_DB, retry_backoff=True, max_retries=5)
def evaluate_feedback(feedback: list[dict]) -> None:
    """Rules with the feedback trigger against new feedback on issues."""
    for delivery_id in evaluate.evaluate_feedback(feedback):
        send_delivery.delay(delivery_id)


def backoff(retries: int) -> float:
    return min(settings.ALERTS_RETRY_BASE_SECONDS * 2**retries, 3600)


@shared_task(bind=True, max_retries=None, ignore_result=True)
def send_delivery(self, delivery_id: int) -> None:
    try:
        deliver.attempt(delivery_id)
    except deliver.Transient as exc:
        if self.request.retries >= settings.ALERTS_MAX_RETRIES:
            deliver.give_up(delivery_id, str(exc))
            return
        raise self.retry(exc=exc, countdown=backoff(self.request.retries)) from exc


@shared_task(ignore_result=True)
def send_stuck_deliveries() -> None:
    """Beat's safety net for deliveries whose send task never arrived."""
    for delivery_id in deliver.stuck():
        send_delivery.delay(delivery_id)
