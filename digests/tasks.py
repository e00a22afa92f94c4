"""Celery beat entry point: thin; sending.run decides what is due and claims it."""

import logging
from collections import Counter

from celery import shared_task
from django.utils import timezone

from . import sending

log = logging.getLogger(__name__)


# Safe to run twice at once or to repeat: every period is claimed in the database first.
@shared_task(ignore_result=True)
def send_digests() -> dict:
    results = sending.run(timezone.now())
    counts = Counter(r.status for r in results)
    if results:
        log.info("digests: %s", dict(counts))
    return dict(counts)
