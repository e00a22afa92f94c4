"""The digest email: subject, plain and HTML parts, unsubscribe headers. No sending logic."""

from datetime import datetime

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from . import prefs
from .periods import zone
from .selection import Section, count, count_new

SUBJECT_PROJECTS = 3  # project names in the subject; more become "and N more"


def one_line(text: str, limit: int = 60) -> str:
    """Header-safe: no line breaks or control characters, capped."""
    clean = "".join(c if c.isprintable() else " " for c in text)
    clean = " ".join(clean.split())
    return clean if len(clean) <= limit else clean[: limit - 1] + "…"


def subject(sections: list[Section]) -> str:
    total, new = count(sections), count_new(sections)
    noun = "issue" if total == 1 else "issues"
    if new == total:
        what = f"{new} new {noun}"
    elif new == 0:
        what = f"{total} regressed {noun}"
    else:
        what = f"{new} new and {total - new} regressed {noun}"
    # Slugs: short, plain ASCII, and they sort well in a mailbox.
    names = [one_line(s.project.slug, 40) for s in sections[:SUBJECT_PROJECTS]]
    if len(sections) > SUBJECT_PROJECTS:
        names.append(f"{len(sections) - SUBJECT_PROJECTS} more")
    return f"[Aggregator] {what} in {', '.join(names)}"


def absolute(path: str) -> str:
    return settings.BASE_URL + path


def context(user, sections: list[Section], start: datetime, end: datetime, tz: str) -> dict:
    for section in sections:
        project = section.project
        section.url = absolute(
            reverse("events:project-issues", args=[project.organization.slug, project.slug])
        )
        section.mute_url = prefs.unsubscribe_url(user, project)
        for line in section.lines:
            line.one_line_title = one_line(line.title, 200)  # no forged lines in the text part
            line.url = absolute(reverse("events:issue", args=[line.issue_id]))
    local = zone(tz)
    return {
        "user": user,
        "sections": sections,
        "total": count(sections),
        "start": start,
        "end": end,
        "tz": str(local),
        "settings_url": absolute(reverse("digests:settings")),
        "unsubscribe_url": prefs.unsubscribe_url(user),
    }


def build(user, sections: list[Section], start: datetime, end: datetime, tz: str = "UTC"):
    ctx = context(user, sections, start, end, tz)
    with timezone.override(zone(tz)):  # times in the user's zone, not the server's
        text = render_to_string("digests/email/digest.txt", ctx)
        html = render_to_string("digests/email/digest.html", ctx)
    message = EmailMultiAlternatives(
        subject=subject(sections),
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],
        headers={
            "List-Unsubscribe": f"<{ctx['unsubscribe_url']}>",
            # RFC 8058 one-click: mail clients POST to the link without a page or a login.
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
        },
    )
    message.attach_alternative(html, "text/html")
    return message
