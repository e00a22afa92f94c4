"""One alert email: subject, headers for threading and unsubscribing, text and HTML parts."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from digests.prefs import unsubscribe_url
from events import shortids
from events.issues.presenters import present_event

TOP_FRAMES = 5
MAX_LINE = 200
MAX_SUBJECT_TITLE = 100


def issue_url(issue) -> str:
    return settings.BASE_URL + reverse("events:issue", args=[issue.pk])


def subject(project, issue) -> str:
    # Same subject for every alert of an issue, so clients sort and thread them together.
    title = " ".join(issue.title.split())  # no newlines: they would break the header
    if len(title) > MAX_SUBJECT_TITLE:
        title = title[: MAX_SUBJECT_TITLE - 1] + "…"
    number = issue.short_number or issue.pk
    return f"[{shortids.format(project.slug, number)}] {title}"


def top_frames(data: dict | None) -> list[dict]:
    """The innermost frames of the last exception, newest first: name, place, source line.
    Local variables and everything else in the event stay out of the mail."""
    if not data:
        return []
    exceptions = present_event(data, newest_first=True)["exceptions"]
    if not exceptions:
        return []
    frames = exceptions[0]["stack"]["frames"][:TOP_FRAMES]
    out = []
    for frame in frames:
        line = next((text for _n, text, current in frame["context"] if current), "")
        out.append({
            "filename": str(frame["filename"])[:MAX_LINE],
            "function": str(frame["function"])[:MAX_LINE],
            "lineno": frame["lineno"],
            "line": line.strip()[:MAX_LINE],
            "in_app": frame["in_app"],
        })  # fmt: skip
    return out


def _domain() -> str:
    return urlsplit(settings.BASE_URL).hostname or "localhost"


def build(delivery, issue, event_data: dict | None) -> EmailMultiAlternatives:
    project = issue.project
    unsubscribe = unsubscribe_url(delivery.user, project) if delivery.user_id else ""
    context = {
        "issue": issue,
        "project": project,
        "reason": delivery.get_reason_display(),
        "rule_name": delivery.rule_name,
        "frames": top_frames(event_data),
        "issue_url": issue_url(issue),
        "settings_url": settings.BASE_URL
        + reverse("alerts:rules", args=[project.organization.slug, project.slug]),
        "unsubscribe_url": unsubscribe,
        "feedback": delivery.feedback if delivery.reason == "feedback" else None,
    }
    domain = _domain()
    thread = f"<issue-{issue.pk}.{project.pk}@{domain}>"
    headers = {
        "Message-ID": f"<alert-{delivery.pk}.{issue.pk}@{domain}>",
        "In-Reply-To": thread,
        "References": thread,
        "Auto-Submitted": "auto-generated",
        "X-Auto-Response-Suppress": "All",
        "List-Id": f"{project.slug} alerts <{project.slug}.{project.pk}.alerts.{domain}>",
    }
    if unsubscribe:
        headers["List-Unsubscribe"] = f"<{unsubscribe}>"
    message = EmailMultiAlternatives(
        subject(project, issue),
        render_to_string("alerts/email/issue_alert.txt", context),
        settings.DEFAULT_FROM_EMAIL,
        [delivery.target],
        headers=headers,
    )
    message.attach_alternative(
        render_to_string("alerts/email/issue_alert.html", context), "text/html"
    )
    return message
