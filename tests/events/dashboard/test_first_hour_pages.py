"""The issue page after the first-hour fixes: the chart's axes, the active frame order, frame
variables as the SDK wrote them, the short id."""

import html

import pytest
from django.urls import reverse

from tests.events.dashboard.test_views import rich_error

pytestmark = pytest.mark.django_db


def test_issue_page_chart_axes_order_and_variables(client, bob, project, store_events):
    events = [rich_error(), rich_error()]
    for event in events:
        frame = event["exception"]["values"][0]["stacktrace"]["frames"][1]
        frame["vars"] = {"row": {"sku": "'A1'", "qty": "10"}, "x": "'abc'"}
    issue = store_events(project, *events)[0]
    client.force_login(bob)
    page = client.get(reverse("events:issue", args=[issue.pk])).content.decode()
    chart = page[page.index('id="issue-chart"') : page.index("</figure>")]
    assert (
        '<div class="y-axis small muted" aria-hidden="true"><span>2</span><span>1</span><span>0</span>'
        in chart
    )
    assert chart.count("<time datetime=") == 5 and "Events per hour (2 in all" in chart
    assert 'href="?order=oldest" aria-current="true">oldest first' in page.replace("  ", " ")
    newest = client.get(reverse("events:issue", args=[issue.pk]), {"order": "newest"})
    assert 'aria-current="true">newest first' in newest.content.decode()
    # The SDK's own text (reprs), not JSON of it ("'A1'").
    text = html.unescape(page)
    assert "<pre>{'sku': 'A1', 'qty': 10}</pre>" in text and "<pre>'abc'</pre>" in text
    assert f'id="short-id">BACKEND-{issue.short_number}<' in page
