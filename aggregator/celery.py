"""The Celery app. Settings come from Django settings under the CELERY_ namespace."""

import os
import warnings

from celery import Celery
from celery.signals import worker_init, worker_process_init
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from . import gc_tuning, priority, secret_key
from .embedded_beat import EmbeddedBeat
from .embedded_udp import EmbeddedUdp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aggregator.settings")

# Celery's ten-line warning about running as root (containers, a first try on a fresh box):
# it matters for workers that accept pickle; ours accept JSON only (Celery's default).
warnings.filterwarnings("ignore", message="You're running the worker with superuser privileges")

app = Celery("aggregator")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.steps["worker"].add(EmbeddedBeat)  # off unless WORKER_BEAT
app.steps["worker"].add(EmbeddedUdp)  # off unless WORKER_UDP_BIND


@worker_init.connect
@worker_process_init.connect
def _tune_gc(**_kwargs) -> None:
    # worker_init: the main process (solo and threads pools); worker_process_init: each
    # prefork child, after the fork.
    gc_tuning.tune()


@worker_init.connect
def _require_secret_key(**_kwargs) -> None:
    # Tasks sign unsubscribe links and invitations. SystemExit: Celery logs and ignores
    # what a signal handler raises, so an exception would not stop the worker.
    try:
        secret_key.require()
    except ImproperlyConfigured as exc:
        raise SystemExit(str(exc)) from None


@worker_init.connect
def _lower_priority(**_kwargs) -> None:
    # Before the pool starts: prefork children inherit it.
    priority.lower(settings.WORKER_NICE)


@worker_process_init.connect
def _own_process_group(**_kwargs) -> None:
    # honcho (./run.sh) stops a process by signalling its whole process group, which would
    # also kill the prefork children mid-task; the main process then waited for that task
    # until SIGKILL. In groups of their own they finish it and leave when the main process
    # closes the pool (or, if it dies, when their pipe to it closes). Only where asked for
    # (the Procfile): a crash that kills the worker's group should still take them along.
    # The solo pool sends this signal in the main process, which honcho made a session (and
    # group) leader: it has its own group already, and setpgid would fail (EPERM).
    if settings.WORKER_CHILDREN_OWN_GROUP and os.getpgid(0) != os.getpid():
        os.setpgid(0, 0)
