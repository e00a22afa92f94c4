"""A task that tests load into a real worker (`celery worker --include`) to look inside it;
the worker logs what it returns."""

import threading

from celery import shared_task


@shared_task(ignore_result=True)
def thread_names() -> list[str]:
    """The threads of the process that runs it: with the solo pool, the worker's own."""
    return sorted(thread.name for thread in threading.enumerate())
