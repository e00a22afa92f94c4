"""Hooks for what happens after an event is stored. Sent after commit, from the worker.

Receivers get `issue_id` and `project_id` keyword arguments (plain ints).
"""

from django.dispatch import Signal

issue_created = Signal()
issue_regressed = Signal()  # also `release`: the regressing release, or ""
issue_unignored = Signal()  # an ignored issue passed its duration or event count

# Once per stored batch, after the per-issue signals: `outcomes` is a list of store.Outcome
# (issue, project, new event count and ids, created/regressed/unignored). Frequency and
# every-event notification rules hang off this one.
batch_stored = Signal()

# Feedback (the feedback app) that is on an issue, new or newly attached: `feedback`, a list
# of plain dicts (id, project_id, issue_id, event_id, message, name, email, url). Sent after
# commit; notification rules with a feedback trigger hang off it.
feedback_received = Signal()
