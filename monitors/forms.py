"""The monitor editor: schedule, margin, runtime, thresholds and mute, checked by the same
rules as a check-in's monitor_config (monitors/schedule.py)."""

from django import forms

from . import schedule
from .models import Monitor


class MonitorForm(forms.ModelForm):
    class Meta:
        model = Monitor
        fields = [
            "name", "schedule_type", "crontab", "interval_value", "interval_unit", "timezone",
            "checkin_margin", "max_runtime", "failure_threshold", "recovery_threshold", "muted",
        ]  # fmt: skip
        labels = {
            "schedule_type": "Schedule",
            "crontab": "Crontab",
            "interval_value": "Every",
            "interval_unit": "Unit",
            "checkin_margin": "Check-in margin (minutes)",
            "max_runtime": "Max runtime (minutes)",
            "failure_threshold": "Failures in a row before an issue",
            "recovery_threshold": "OK check-ins in a row to resolve it",
            "muted": "Muted (check-ins are recorded, no issues are raised)",
        }
        widgets = {
            "interval_unit": forms.Select(choices=[("", "—")] + [(u, u) for u in schedule.UNITS])
        }

    def clean(self):
        data = super().clean()
        kind = data.get("schedule_type")
        if not kind:
            return data
        config = {
            "schedule": {"type": kind, "value": data.get("crontab") if kind == "crontab"
                         else data.get("interval_value"), "unit": data.get("interval_unit")},
            "timezone": data.get("timezone"),
            "checkin_margin": data.get("checkin_margin"),
            "max_runtime": data.get("max_runtime"),
            "failure_issue_threshold": data.get("failure_threshold"),
            "recovery_threshold": data.get("recovery_threshold"),
        }  # fmt: skip
        try:
            parsed = schedule.parse_config(config)
        except schedule.ConfigError as exc:
            raise forms.ValidationError(str(exc)) from None
        data["crontab"] = parsed.crontab
        if kind == "crontab":
            data["interval_value"], data["interval_unit"] = None, ""
        return data

    def save(self, commit=True):
        monitor = super().save(commit=False)
        # A field left out of the POST keeps its old value in a ModelForm: clear the
        # schedule fields the chosen type does not use.
        if monitor.schedule_type != "crontab":
            monitor.crontab = ""
        if monitor.schedule_type != "interval":
            monitor.interval_value, monitor.interval_unit = None, ""
        if commit:
            monitor.save()
        return monitor
