"""The rule editor: one ModelForm, with list fields typed as text."""

import ipaddress
import re
from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.validators import validate_email

from . import webhooks
from .models import NotificationRule

MAX_ITEMS = 20


def split_list(text: str) -> list[str]:
    return list(dict.fromkeys(p.strip() for p in re.split(r"[,\n]", text or "") if p.strip()))


class ListField(forms.CharField):
    """Comma- or line-separated text <-> a list of strings."""

    def __init__(self, *, item_max=200, **kwargs):
        self.item_max = item_max
        super().__init__(required=False, **kwargs)

    def prepare_value(self, value):
        return ", ".join(value) if isinstance(value, list) else value

    def to_python(self, value):
        items = split_list(super().to_python(value))
        if len(items) > MAX_ITEMS:
            raise forms.ValidationError(f"At most {MAX_ITEMS} entries.")
        if any(len(item) > self.item_max for item in items):
            raise forms.ValidationError(f"Each entry has at most {self.item_max} characters.")
        return items


class RuleForm(forms.ModelForm):
    environments = ListField(item_max=64, help_text="Comma-separated; empty: any environment.")
    email_addresses = ListField(
        label="Email these addresses too", item_max=254, help_text="Comma-separated."
    )
    webhook_url = forms.CharField(
        required=False, max_length=500, label="Webhook URL",
        help_text="POSTs JSON with a Slack-compatible “text” field (Slack, Mattermost).",
    )  # fmt: skip

    class Meta:
        model = NotificationRule
        fields = [
            "name", "enabled", "on_new_issue", "on_regression", "on_frequency",
            "frequency_count", "frequency_minutes", "on_every_event", "on_feedback", "min_level",
            "environments", "release", "tag_key", "tag_value", "text_contains",
            "email_to", "email_members", "email_addresses", "webhook_url",
            "feedback_email_in_webhook", "throttle_minutes",
        ]  # fmt: skip
        labels = {
            "min_level": "Level",
            "release": "Release matches",
            "tag_key": "Tag",
            "tag_value": "equals",
            "text_contains": "Title or message contains",
            "email_to": "Email project members",
            "email_members": "Members to email",
            "throttle_minutes": "At most one notification per issue every (minutes)",
        }
        widgets = {"email_members": forms.CheckboxSelectMultiple, "email_to": forms.RadioSelect}

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        self.project = project
        self.fields["email_members"].queryset = (
            get_user_model()
            .objects.filter(memberships__organization_id=project.organization_id)
            .order_by("username")
        )
        self.fields["email_members"].label_from_instance = lambda u: (
            f"{u.get_username()} <{u.email}>"
        )

    def clean_email_addresses(self):
        addresses = self.cleaned_data["email_addresses"]
        for address in addresses:
            try:
                validate_email(address)
            except forms.ValidationError:
                raise forms.ValidationError(f"“{address}” is not an email address.") from None
        return addresses

    def clean_webhook_url(self):
        url = (self.cleaned_data.get("webhook_url") or "").strip()
        if not url:
            return ""
        try:
            _parts, host, _port = webhooks.check_syntax(url)
        except webhooks.Refused as exc:
            raise forms.ValidationError(str(exc)) from None
        if host.lower() == (urlsplit(settings.BASE_URL).hostname or "").lower():
            raise forms.ValidationError("A webhook cannot point at this app itself.")
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return url  # a name: checked again, resolved, on every send
        if not settings.ALERTS_WEBHOOK_ALLOW_PRIVATE and not address.is_global:
            raise forms.ValidationError("Private, loopback and reserved addresses are refused.")
        return url

    def clean(self):
        data = super().clean()
        if not any(data.get(f) for f in ("on_new_issue", "on_regression", "on_frequency",
                                         "on_every_event", "on_feedback")):  # fmt: skip
            raise forms.ValidationError("Choose at least one trigger.")
        if data.get("on_frequency"):
            for name in ("frequency_count", "frequency_minutes"):
                if not data.get(name) and name not in self.errors:
                    self.add_error(name, "Needed for the frequency trigger.")
        if data.get("tag_value") and not data.get("tag_key"):
            self.add_error("tag_key", "Name the tag to compare.")
        if data.get("email_to") == NotificationRule.EmailTo.CHOSEN and not data.get(
            "email_members"
        ):
            self.add_error("email_members", "Choose at least one member.")
        if not (data.get("email_to") or data.get("email_addresses") or data.get("webhook_url")):
            if not self.errors:
                raise forms.ValidationError("Choose at least one action: email or a webhook.")
        return data

    def save(self, commit=True):
        self.instance.project = self.project
        return super().save(commit)
