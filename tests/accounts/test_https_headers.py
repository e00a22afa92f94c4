"""The app started with an https BASE_URL behind a TLS-terminating proxy (BEHIND_PROXY, the
proxy's X-Forwarded-Proto): secure cookies, HSTS when opted in, and the security headers on
the login page and on an issue page."""

import http.client
import http.cookies
from urllib.parse import urlencode, urlsplit

import pytest

from tests.support.browser import web_server
from tests.support.factories import MembershipFactory, ProjectFactory, UserFactory
from tests.support.payloads import python_error
from tests.support.stack import database_url
from tests.support.world import store

pytestmark = [pytest.mark.e2e, pytest.mark.one_pass]

PROXY = {"X-Forwarded-Proto": "https", "Host": "errors.example.com"}


def fetch(base, method, path, *, headers=(), body=None):
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    conn.request(method, path, body=body, headers={**PROXY, **dict(headers)})
    response = conn.getresponse()
    response.read()
    conn.close()
    return response


def cookies_of(response) -> dict[str, http.cookies.Morsel]:
    jar = http.cookies.SimpleCookie()
    for header in response.headers.get_all("Set-Cookie") or []:
        jar.load(header)
    return dict(jar)


def assert_security_headers(response):
    h = response.headers
    assert h["Strict-Transport-Security"] == "max-age=31536000"
    assert h["X-Frame-Options"] == "DENY"
    assert h["X-Content-Type-Options"] == "nosniff"
    assert h["Referrer-Policy"] == "same-origin"
    assert h["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "frame-ancestors 'none'" in h["Content-Security-Policy"]


def test_https_base_url_cookies_and_headers(transactional_db, ingest_queue, tmp_path, org_a):
    MembershipFactory(user=UserFactory(username="dora"), organization=org_a, role="owner")
    project = ProjectFactory(organization=org_a, name="Shop", slug="shop")
    [issue] = store(project, python_error())
    env = {"BASE_URL": "https://errors.example.com", "BEHIND_PROXY": "true",
           "SECURE_HSTS_SECONDS": "31536000", "ALLOWED_HOSTS": "errors.example.com"}  # fmt: skip
    with web_server(tmp_path, database_url(), **env) as base:
        login = fetch(base, "GET", "/accounts/login/")
        assert login.status == 200
        assert_security_headers(login)
        csrf = cookies_of(login)["csrftoken"]
        assert csrf["secure"] and csrf["samesite"] == "Lax"

        # Signing in sets the session cookie: secure, HttpOnly, SameSite.
        page = fetch(base, "GET", "/accounts/login/", headers={"Cookie": f"csrftoken={csrf.value}"})
        assert page.status == 200
        form = urlencode({"username": "dora", "password": "pw", "csrfmiddlewaretoken": csrf.value})
        signed = fetch(base, "POST", "/accounts/login/", body=form, headers={
            "Cookie": f"csrftoken={csrf.value}", "Content-Type": "application/x-www-form-urlencoded",
            "Origin": "https://errors.example.com", "Referer": "https://errors.example.com/accounts/login/",
        })  # fmt: skip
        assert signed.status == 302, signed.status
        session = cookies_of(signed)["sessionid"]
        assert session["secure"] and session["httponly"] and session["samesite"] == "Lax"

        issue_page = fetch(base, "GET", f"/issues/{issue.pk}/",
                           headers={"Cookie": f"sessionid={session.value}"})  # fmt: skip
        assert issue_page.status == 200
        assert_security_headers(issue_page)
        # Event data is for this user only: no shared cache may keep it.
        assert "Cookie" in issue_page.headers["Vary"]
        assert issue_page.headers["Cache-Control"] == "private, no-store"

        # Plain http to the app (no proxy header) is not https: no HSTS is sent there.
        parts = urlsplit(base)
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        conn.request("GET", "/accounts/login/", headers={"Host": "errors.example.com"})
        plain = conn.getresponse()
        assert "Strict-Transport-Security" not in plain.headers
        conn.close()
