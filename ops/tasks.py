"""Periodic work of the status page."""

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from . import collect
from .models import PipelineSample

KEEP = timedelta(days=1)


def _by_label(totals: dict, name: str, label: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for labels, value in totals.get(name, {}).items():
        key = dict(labels).get(label, "")
        out[key] = out.get(key, 0) + value
    return out


def sample() -> PipelineSample:
    state = collect.pipeline()
    totals = collect.counter_totals()
    now = timezone.now()
    PipelineSample.objects.filter(taken__lt=now - KEEP).delete()
    return PipelineSample.objects.create(
        taken=now,
        depth=state.depth,
        oldest_age=state.oldest_age,
        spool_payloads=state.spool_payloads,
        received=_by_label(totals, "aggregator_events_received_total", "protocol"),
        refused=_by_label(totals, "aggregator_events_refused_total", "reason"),
    )


@shared_task(ignore_result=True)
def sample_pipeline() -> None:
    sample()
