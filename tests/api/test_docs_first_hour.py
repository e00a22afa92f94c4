"""The API docs page after the first-hour fixes: no CSP violation at all, a way back to the
dashboard, a summary on every operation, and a schema built without warnings."""

import json
import urllib.request

import pytest
from django.core.management import call_command

from tests.support.browser import watched_page

pytestmark = pytest.mark.one_pass


@pytest.mark.e2e
def test_docs_page_has_no_csp_violation_and_a_link_back(live_web, browser, transactional_db):
    with watched_page(browser, timeout_ms=15_000, responses=False) as page:  # nothing ignored
        page.goto(live_web + "/api/0/docs/")
        page.wait_for_selector(".opblock")
        page.locator(".opblock-summary-description").first.wait_for()
        described = page.locator(".opblock-summary-description").count()
        # Every operation of the schema, as in test_docs.py (new endpoints need no edit here).
        with urllib.request.urlopen(live_web + "/api/0/schema/?format=json", timeout=30) as answer:
            schema = json.load(answer)
        methods = {"get", "put", "post", "delete", "patch"}
        operations = sum(len(methods & set(item)) for item in schema["paths"].values())
        assert operations >= 57
        assert described == page.locator(".opblock").count() == operations
        page.click("a#back-to-dashboard")
        page.wait_for_url("**/accounts/login/**")


@pytest.mark.django_db
def test_every_operation_has_a_summary_and_the_schema_builds_without_warnings(client, capsys):
    schema = client.get("/api/0/schema/?format=json").json()
    operations = [
        (method, path, op)
        for path, ops in schema["paths"].items()
        for method, op in ops.items()
        if method in ("get", "post", "put", "patch", "delete")
    ]
    missing = [(m, p) for m, p, op in operations if not op.get("summary")]
    assert operations and not missing, missing
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", "/dev/null")
