"""Forms of the dashboard: the issue list's filters and the triage actions."""

from django import forms

from events.issues import search, triage
from events.issues.reads import RANGES, SORTS


class IssueFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=500, label="Search")
    status = forms.ChoiceField(required=False, choices=[(s, s.title()) for s in search.STATUSES])
    level = forms.ChoiceField(
        required=False, choices=[("", "Level")] + [(v, v) for v in search.LEVELS]
    )
    environment = forms.CharField(required=False, max_length=64)
    release = forms.CharField(required=False, max_length=200)
    since = forms.ChoiceField(
        required=False,
        label="Seen in",
        choices=[("", "Any time")] + [(k, f"last {k}") for k in RANGES],
    )
    sort = forms.ChoiceField(
        required=False, choices=[(k, v[2]) for k, v in SORTS.items()], initial="last_seen"
    )
    cursor = forms.CharField(required=False, max_length=200, widget=forms.HiddenInput)

    def issue_query(self) -> search.IssueQuery:
        data = self.cleaned_data
        query = search.parse(data.get("q") or "")
        level = data.get("level")
        return query.with_filters(
            # What the search box says (is:resolved, a short id) wins: the select only shows
            # the status in force and is sent along with every search.
            status=None if query.status or query.short_id else data.get("status"),
            levels=(level,) if level else (),
            environment=data.get("environment"),
            release=data.get("release"),
        )


class TriageForm(forms.Form):
    ACTIONS = ("resolve", "resolve_next", "resolve_in", "unresolve", "ignore", "assign")
    action = forms.ChoiceField(choices=[(a, a) for a in ACTIONS])
    release = forms.CharField(required=False, max_length=200, strip=True)  # resolve in it
    minutes = forms.IntegerField(required=False, min_value=1, max_value=triage.MAX_IGNORE_MINUTES)
    count = forms.IntegerField(required=False, min_value=1, max_value=triage.MAX_IGNORE_COUNT)
    assignee = forms.IntegerField(required=False)
