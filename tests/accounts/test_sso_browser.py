"""Single sign-on end to end: the real server (granian) configured from the environment
against a real OpenID Connect provider on localhost (oidc-provider under node), driven
through the system Chromium: login page -> the provider's sign-in form -> consent -> back
signed in."""

import pytest
from django.contrib.auth import get_user_model

from audit.models import AuditEntry
from projects.models import Membership
from tests.support import oidc
from tests.support.browser import log_in, watched_page, web_server
from tests.support.factories import MembershipFactory, OrganizationFactory, UserFactory
from tests.support.stack import database_url

pytestmark = [pytest.mark.e2e, pytest.mark.one_pass]

User = get_user_model()
ACCOUNTS = {  # the provider's accounts: login name -> claims
    "alice": {"email": "Alice@Acme.test", "email_verified": True, "name": "Alice Liddell",
              "preferred_username": "alice"},
    "mallory": {"email": "victim@acme.test", "email_verified": False},
    "bob": {"email": "bob@acme.test", "email_verified": True},
}  # fmt: skip
# The provider's development pages link a web font (no network here) and have no favicon.
PROVIDER_NOISE = ("ERR_NAME_NOT_RESOLVED", "status of 404")


@pytest.fixture(scope="module")
def site(django_db_setup, django_db_blocker, tmp_path_factory):
    logs = tmp_path_factory.mktemp("sso")
    provider = oidc.reserve()
    with django_db_blocker.unblock():
        url = database_url()
    with web_server(logs, url, **provider.app_env("Test IdP")) as base:
        callback = base + "/accounts/sso/callback/"
        with oidc.running(provider, redirect_uri=callback, accounts=ACCOUNTS, logs=logs):
            yield base, provider


def through_provider(page, provider, login):
    """The provider's sign-in form (any password), then its consent page."""
    page.wait_for_url(provider.issuer + "/**")
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", "anything")
    page.click("button[type=submit]")
    page.click("button:has-text('Continue')")


def sign_in_with_sso(browser, base, provider, login, *, ignore=()):
    with watched_page(browser, ignore=PROVIDER_NOISE + ignore) as page:
        page.goto(base + "/")
        page.click("#sso-login")
        through_provider(page, provider, login)
        yield page


@pytest.fixture
def acme(transactional_db):
    org = OrganizationFactory(name="Acme", slug="acme", sso_domains="acme.test", sso_role="viewer")
    MembershipFactory(user=UserFactory(username="olga"), organization=org, role="owner")
    return org


def test_first_sign_in_creates_the_user_and_joins_by_domain_then_matches(site, browser, acme):
    base, provider = site
    for _ in range(2):  # each in a fresh browser: the provider asks again
        for page in sign_in_with_sso(browser, base, provider, "alice"):
            page.wait_for_url(base + "/")
            assert "Acme" in page.inner_text("main")

    user = User.objects.get(email__iexact="alice@acme.test")  # one account, matched the 2nd time
    assert (user.username, user.email, user.first_name, user.last_name) == (
        "alice", "alice@acme.test", "Alice", "Liddell")  # fmt: skip
    assert not user.has_usable_password()
    assert Membership.objects.get(user=user, organization=acme).role == "viewer"
    logins = AuditEntry.objects.filter(action="auth.login", actor=user)
    assert [e.detail["method"] for e in logins] == ["sso", "sso"]
    joined = AuditEntry.objects.get(action="member.added", target="alice", organization=acme)
    assert joined.detail["role"] == "viewer"


def test_an_unverified_email_never_signs_in_to_the_account_with_it(site, browser, acme):
    base, provider = site
    victim = UserFactory(username="victim", email="victim@acme.test")
    for page in sign_in_with_sso(browser, base, provider, "mallory", ignore=("status of 403",)):
        page.wait_for_url(base + "/accounts/sso/callback/**")
        assert "not verified your email" in page.inner_text("#sso-error")
        page.goto(base + "/")
        assert "/accounts/login/" in page.url  # not signed in

    assert User.objects.filter(email__iexact="victim@acme.test").count() == 1
    assert not Membership.objects.filter(user=victim).exists()
    failed = AuditEntry.objects.get(action="auth.sso_failed")
    assert (failed.actor, failed.detail["reason"]) == (victim, "email_not_verified")
    assert not AuditEntry.objects.filter(action="auth.login").exists()


def test_an_organization_that_requires_sso_sends_password_sign_ins_there(site, browser, acme):
    base, provider = site
    acme.require_sso = True
    acme.save()
    bob = MembershipFactory(
        user=UserFactory(username="bob", email="bob@acme.test"), organization=acme
    ).user

    with watched_page(browser) as page:  # the owner keeps her password
        log_in(page, base, "olga")
        assert "Acme" in page.inner_text("main")

    with watched_page(browser, ignore=PROVIDER_NOISE) as page:
        page.goto(base + "/")
        page.fill("#id_username", "bob")
        page.fill("#id_password", "pw")
        page.click("button[type=submit]")
        page.wait_for_url(base + "/accounts/sso/required/**")
        assert "Acme requires its members to sign in with Test IdP" in page.inner_text("main")
        page.goto(base + "/orgs/acme/")
        assert "/accounts/sso/required/" in page.url  # no organization data yet
        page.click("#sso-continue")
        through_provider(page, provider, "bob")
        page.wait_for_url(base + "/orgs/acme/")
        assert "Acme" in page.inner_text("main")

    methods = AuditEntry.objects.filter(action="auth.login", actor=bob).order_by("id")
    assert [e.detail["method"] for e in methods] == ["password", "sso"]
