"""The issue page's extension point: panels other apps register (events/dashboard/panels.py)."""

import pytest

from events.dashboard import panels

pytestmark = pytest.mark.one_pass


@pytest.fixture
def providers(monkeypatch):
    registered = []
    monkeypatch.setattr(panels, "_providers", registered)
    return registered


def test_panels_come_in_registration_order_and_none_is_skipped(providers):
    first = panels.Panel("First", "a.html", {"n": 1})
    panels.register(lambda request, issue: first)
    panels.register(lambda request, issue: None)
    panels.register(lambda request, issue: panels.Panel("Third", "c.html"))
    assert [p.title for p in panels.for_issue(None, None)] == ["First", "Third"]


def test_a_provider_registered_twice_shows_once(providers):
    def provider(request, issue):
        return panels.Panel("Once", "a.html")

    panels.register(provider)
    panels.register(provider)
    assert len(panels.for_issue(None, None)) == 1


def test_the_alerts_app_registers_its_panel():
    """In its AppConfig.ready(): the dashboard never names alerts (the page's content is
    checked in tests/alerts/test_views.py)."""
    from alerts import views

    assert views.issue_panel in panels._providers
