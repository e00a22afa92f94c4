from django.db import models


class PipelineSample(models.Model):
    """The pipeline once a minute (ops.tasks.sample_pipeline), for the status page's charts
    and rates: queue depth and lag, and the edge's counters summed over every process."""

    taken = models.DateTimeField(db_index=True)
    depth = models.IntegerField(null=True)  # None: the queue did not answer
    oldest_age = models.FloatField(default=0.0)  # seconds
    spool_payloads = models.IntegerField(default=0)
    received = models.JSONField(default=dict)  # protocol -> events accepted, ever
    refused = models.JSONField(default=dict)  # reason -> requests refused, ever

    class Meta:
        ordering = ["-taken"]

    def __str__(self) -> str:
        return f"{self.taken:%H:%M}: depth {self.depth}, lag {self.oldest_age:.0f}s"
