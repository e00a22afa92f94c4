"""Hooks for what happens after an event is stored. Sent after commit, from the worker.

Receivers get `issue_id` and `project_id` keyword arguments (plain ints).
"""

from django.dispatch import Signal

issue_created = Signal()
issue_regressed = Signal()
issue_unignored = Signal()  # an ignored issue passed its duration or event count
