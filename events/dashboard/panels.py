"""Panels that other apps add to the issue page, so that the dashboard never names them.

An app registers a function in its AppConfig.ready(); the issue page calls it with the
request and the issue, and shows the Panel it returns (None: nothing to show) in the side
column, in registration order. The alerts app adds its notification deliveries this way.
"""

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Panel:
    title: str
    template: str  # included with `panel` in its context: it reads `panel.context`
    context: dict = field(default_factory=dict)


Provider = Callable[..., Panel | None]  # (request, issue) -> Panel | None
_providers: list[Provider] = []


def register(provider: Provider) -> None:
    if provider not in _providers:  # ready() may run twice in tests
        _providers.append(provider)


def for_issue(request, issue) -> list[Panel]:
    return [panel for provider in _providers if (panel := provider(request, issue)) is not None]


# Buttons other apps add to a project's issue list header: (label, URL name taking the
# organization and project slugs): releases, stats, monitors and feedback add theirs this way.
project_links: list[tuple[str, str]] = []


def register_project_link(label: str, url_name: str) -> None:
    if (label, url_name) not in project_links:
        project_links.append((label, url_name))


def links_for_project(project) -> list[tuple[str, str]]:
    """The links the user may follow (project.membership, from access.project_or_404): a
    viewer sees no Feedback button, whose page is for members."""
    from django.urls import reverse

    from projects import access

    slugs = (project.organization.slug, project.slug)
    membership = getattr(project, "membership", None)
    return [
        (label, reverse(name, args=slugs))
        for label, name in project_links
        if access.allows(membership, name)
    ]
