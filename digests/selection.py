"""What goes into one user's digest: a fixed number of queries, however many issues."""

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, F, Q, Window
from django.db.models.functions import RowNumber

from events.models import Issue
from projects.models import Project

from .models import NotificationSettings

PER_PROJECT = 20  # issues listed per project; the rest are "and N more"


@dataclass
class Line:
    issue_id: int
    title: str
    culprit: str
    level: str
    times_seen: int
    regressed: bool  # else new


@dataclass
class Section:
    project: Project
    total: int  # issues new or regressed in the period (lines holds the first PER_PROJECT)
    new: int  # of which first seen in the period
    lines: list[Line] = field(default_factory=list)

    @property
    def more(self) -> int:
        return self.total - len(self.lines)


def digest_projects(user):
    """The projects a digest covers: the user's memberships, minus the ones they muted."""
    muted = NotificationSettings.muted_projects.through.objects.filter(
        notificationsettings__user=user
    ).values("project_id")
    return Project.objects.filter(organization__memberships__user=user).exclude(pk__in=muted)


def in_period(start: datetime, end: datetime) -> Q:
    """New (created here) or regressed in [start, end). Ignored issues stay quiet. New means
    `created`, the server's time, not `first_seen`, the event's own: an event sent late from
    an SDK's offline cache still makes the next digest."""
    window = Q(created__gte=start, created__lt=end) | Q(
        regressed_at__gte=start, regressed_at__lt=end
    )
    return window & ~Q(status=Issue.Status.IGNORED)


def collect(user, start: datetime, end: datetime, per_project: int = PER_PROJECT) -> list[Section]:
    """Sections by project name, each listing the most frequent issues first."""
    issues = Issue.objects.filter(in_period(start, end), project__in=digest_projects(user))
    first = Q(created__gte=start, created__lt=end)
    totals = {
        pid: (n, new)
        for pid, n, new in issues.values_list("project_id")
        .annotate(n=Count("id"), new=Count("id", filter=first))
        .order_by()
    }
    if not totals:
        return []
    ranked = (
        issues.annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("project_id")],
                order_by=[F("times_seen").desc(), F("id").asc()],
            )
        )
        .filter(rank__lte=per_project)
        .values_list("id", "project_id", "title", "culprit", "level", "times_seen", "created")
        .order_by("project_id", "-times_seen", "id")
    )
    projects = Project.objects.select_related("organization").in_bulk(list(totals))
    sections = {pid: Section(projects[pid], n, new) for pid, (n, new) in totals.items()}
    for issue_id, pid, title, culprit, level, seen, created in ranked:
        regressed = not (start <= created < end)
        sections[pid].lines.append(Line(issue_id, title, culprit, level, seen, regressed))
    return sorted(sections.values(), key=lambda s: (s.project.name.lower(), s.project.pk))


def count(sections: list[Section]) -> int:
    return sum(s.total for s in sections)


def count_new(sections: list[Section]) -> int:
    return sum(s.new for s in sections)
