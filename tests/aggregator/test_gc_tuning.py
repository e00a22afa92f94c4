import gc

import pytest
from celery.signals import worker_process_init

from aggregator import gc_tuning

pytestmark = pytest.mark.one_pass


@pytest.fixture
def restore_gc():
    before = gc.get_threshold()
    yield
    gc.set_threshold(*before)
    gc.unfreeze()


def test_worker_processes_collect_less_often(restore_gc):
    gc.set_threshold(700, 10, 10)
    worker_process_init.send(sender=None)  # what each prefork child gets after the fork
    assert gc.get_threshold()[0] == gc_tuning.GEN0_THRESHOLD
    assert gc.get_freeze_count() > 0  # start-up objects are out of the collector's walks
