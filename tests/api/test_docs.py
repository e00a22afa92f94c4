"""The OpenAPI schema and its docs page: our own static files, nothing inline, and Swagger UI
really renders under the strict CSP in Chromium."""

import json
import re
import urllib.request

import pytest

from tests.support.browser import ARTIFACTS, watched_page

pytestmark = pytest.mark.one_pass


@pytest.mark.django_db
def test_schema_is_openapi_3_with_every_endpoint_and_bearer_auth(client):
    schema = client.get("/api/0/schema/?format=json").json()
    assert schema["openapi"].startswith("3.")
    paths = schema["paths"]
    for path in ("/api/0/", "/api/0/projects/{org_slug}/{project_slug}/issues/",
                 "/api/0/issues/{issue_id}/events/{which}/", "/api/0/organizations/{org_slug}/issues/"):  # fmt: skip
        assert path in paths
    assert set(paths["/api/0/projects/{org_slug}/{project_slug}/issues/"]) == {
        "get",
        "put",
        "delete",
    }
    assert schema["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    issue = schema["components"]["schemas"]["Issue"]["properties"]
    assert issue["id"]["type"] == "string" and issue["count"]["type"] == "string"
    assert issue["userCount"]["type"] == "integer"


@pytest.mark.django_db
def test_docs_page_uses_only_our_static_files_and_no_inline_code(client):
    response = client.get("/api/0/docs/")
    html = response.content.decode()
    assert (
        response.status_code == 200 and "script-src 'self'" in response["Content-Security-Policy"]
    )
    assert "<style" not in html and " style=" not in html
    scripts = re.findall(r"<script([^>]*)>", html)
    assert scripts and all('src="/static/' in attrs for attrs in scripts)
    assert "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert client.get("/static/api/docs.js").status_code == 200


@pytest.fixture
def page(browser):
    # Swagger UI sets one inline style attribute that our policy blocks (cosmetic: the page
    # renders the same); scripts must all run from our files, so any other error fails.
    with watched_page(
        browser, timeout_ms=15_000, ignore=("Applying inline style violates",), responses=False
    ) as page:
        yield page


@pytest.mark.e2e
def test_swagger_ui_renders_every_operation_under_our_csp(live_web, page, transactional_db):
    page.goto(live_web + "/api/0/docs/")
    page.wait_for_selector(".opblock")
    page.screenshot(path=str(ARTIFACTS / "api-docs.png"))
    # Every operation of the schema (so that apps adding endpoints need not edit this test).
    with urllib.request.urlopen(live_web + "/api/0/schema/?format=json", timeout=30) as answer:
        schema = json.load(answer)
    methods = {"get", "put", "post", "delete", "patch"}
    operations = sum(len(methods & set(item)) for item in schema["paths"].values())
    assert operations >= 57  # 41 before the releases endpoints
    assert page.locator(".opblock").count() == operations
    assert "Aggregator API" in page.locator(".info .title").inner_text()


@pytest.mark.e2e
def test_token_page_in_the_browser_creates_a_token_that_works(live_web, page, transactional_db):
    import json
    import urllib.request

    from tests.events.dashboard.test_browser import log_in
    from tests.support.factories import MembershipFactory, UserFactory

    MembershipFactory(user=UserFactory(username="erin"))
    log_in(page, live_web, "erin")
    page.click("text=API tokens")
    page.fill("#id_name", "laptop")
    page.check("input[value=write]")
    page.click("button:has-text('Create token')")
    token = page.locator("#new-token").inner_text().strip()
    page.screenshot(path=str(ARTIFACTS / "api-tokens.png"))
    request = urllib.request.Request(
        live_web + "/api/0/", headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        body = json.load(response)
    assert body["user"]["username"] == "erin" and body["auth"]["scopes"] == ["read", "write"]
    page.reload()  # the token was shown once: a reload neither shows it again nor makes another
    assert token not in page.content() and "laptop" in page.content()
    assert page.locator("button:has-text('Revoke')").count() == 1
    page.click("button:has-text('Revoke')")
    assert "Token revoked." in page.content()
