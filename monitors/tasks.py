from celery import shared_task

from . import beat


@shared_task(name="monitors.tasks.check_monitors", ignore_result=True)
def check_monitors() -> dict:
    """Once a minute (CELERY_BEAT_SCHEDULE): missed check-ins and timeouts."""
    result = beat.run_pass()
    return {"missed": result.missed, "timeouts": result.timeouts}
