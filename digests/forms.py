"""The per-user notification settings form."""

import zoneinfo
from functools import cache

from django import forms
from django.utils import timezone

from projects.access import projects_for

from .models import NotificationSettings

WEEKDAYS = list(
    enumerate(["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"])
)
HOURS = [(h, f"{h:02d}:00") for h in range(24)]


@cache
def timezone_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in sorted(zoneinfo.available_timezones())]


class ProjectChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.organization.name} / {obj.name}"


class NotificationSettingsForm(forms.ModelForm):
    digest_hour = forms.TypedChoiceField(choices=HOURS, coerce=int, label="Local hour")
    digest_weekday = forms.TypedChoiceField(choices=WEEKDAYS, coerce=int, label="Weekday")
    timezone = forms.ChoiceField(choices=timezone_choices, label="Time zone")

    class Meta:
        model = NotificationSettings
        fields = [
            "immediate_email",
            "muted_projects",
            "digest_frequency",
            "digest_hour",
            "digest_weekday",
            "timezone",
        ]
        labels = {
            "immediate_email": "Immediate emails from notification rules",
            "muted_projects": "Muted projects (no emails, no digests)",
            "digest_frequency": "Digest",
        }
        help_texts = {"digest_frequency": "Daily at the local hour; weekly on the weekday too."}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["muted_projects"] = ProjectChoice(
            queryset=projects_for(user)
            .select_related("organization")
            .order_by("organization__name", "name"),
            required=False,
            widget=forms.CheckboxSelectMultiple,
            label=self.Meta.labels["muted_projects"],
        )
        self.was_off = self.instance.digest_frequency == NotificationSettings.Frequency.OFF

    def save(self, commit=True):
        # Turning digests back on starts them now, not at the last digest sent long ago.
        turned_on = self.instance.digest_frequency != NotificationSettings.Frequency.OFF
        if turned_on and self.was_off:
            self.instance.digest_since = timezone.now()
        return super().save(commit)
