from celery import shared_task

from . import assemble


@shared_task(name="sourcemaps.tasks.expire_chunks", ignore_result=True)
def expire_chunks() -> int:
    return assemble.expire_chunks()
