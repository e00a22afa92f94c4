"""Single sign-on in the app, without a provider (the flow through one is in
test_sso_browser.py): the login page, refusals that never reach a provider, the organization's
settings, require-SSO and its interplay with two-factor. Alice owns org A, bob is a member."""

import pytest
from django.contrib.auth import BACKEND_SESSION_KEY
from django.test import Client
from django.urls import reverse

from accounts import sso, twofactor
from api.models import ApiToken
from audit.models import AuditEntry
from projects.models import Membership
from tests.support.factories import MembershipFactory, OrganizationFactory, UserFactory
from tests.support.stack import free_port


@pytest.fixture
def sso_on(settings):
    """Configured, with an issuer nothing listens on: any call to the provider would fail."""
    settings.OIDC_ISSUER = f"http://127.0.0.1:{free_port()}"
    settings.OIDC_CLIENT_ID, settings.OIDC_CLIENT_SECRET = "agg", "secret"
    settings.OIDC_NAME = "Acme ID"
    sso.forget_discovery()
    yield settings
    sso.forget_discovery()


@pytest.fixture
def sso_off(settings):
    settings.OIDC_ISSUER = settings.OIDC_CLIENT_ID = ""


def signed_in(username, **extra):
    client = Client()
    answer = client.post(reverse("login"), {"username": username, "password": "pw"}, **extra)
    assert answer.status_code == 302
    return client


def test_login_page_offers_sso_only_when_configured(db, sso_off, settings):
    page = Client().get(reverse("login")).content.decode()
    assert "Sign in with" not in page
    assert Client().get(reverse("account-sso-login")).status_code == 404
    assert (
        Client().get(reverse("account-sso-callback"), {"code": "x", "state": "y"}).status_code
        == 404
    )
    settings.OIDC_ISSUER, settings.OIDC_CLIENT_ID, settings.OIDC_NAME = (
        "https://id.test",
        "agg",
        "Acme ID",
    )
    page = Client().get(reverse("login"), {"next": "/issues/"}).content.decode()
    assert "Sign in with Acme ID" in page and "/accounts/sso/login/?next=/issues/" in page


def test_an_unreachable_provider_is_a_clear_502(db, sso_on):
    answer = Client().get(reverse("account-sso-login"))
    assert answer.status_code == 502
    assert "cannot be reached" in answer.content.decode()
    entry = AuditEntry.objects.get(action="auth.sso_failed")
    assert entry.detail["reason"] == "unavailable"


def test_callbacks_this_session_did_not_start_are_refused(db, sso_on):
    client = Client()
    answer = client.get(reverse("account-sso-callback"), {"code": "c", "state": "s"})
    assert answer.status_code == 403 and "did not complete" in answer.content.decode()
    denied = client.get(reverse("account-sso-callback"), {"error": "access_denied", "state": "s"})
    assert denied.status_code == 403 and "cancelled" in denied.content.decode()
    reasons = [e.detail["reason"] for e in AuditEntry.objects.order_by("id")]
    assert reasons == ["incomplete", "provider_denied"]
    assert "_auth_user_id" not in client.session


def test_a_state_not_in_the_session_is_refused_not_a_500(db, sso_on):
    client = Client()
    session = client.session
    session["oidc_states"] = {"mine": {"nonce": "n", "code_verifier": None, "added_on": 0}}
    session.save()
    answer = client.get(reverse("account-sso-callback"), {"code": "c", "state": "other"})
    assert answer.status_code == 403
    assert AuditEntry.objects.get(action="auth.sso_failed").detail["reason"] == "bad_state"


def test_password_sign_in_never_calls_the_provider(bob, sso_on):
    # code and state in the query of a password form: the SSO backend stays out of it.
    client = Client()
    url = reverse("login") + "?code=c&state=s"
    answer = client.post(url, {"username": "bob", "password": "pw"})
    assert answer.status_code == 302
    assert client.session[BACKEND_SESSION_KEY] == "django.contrib.auth.backends.ModelBackend"
    assert AuditEntry.objects.get(action="auth.login").detail["method"] == "password"
    assert not AuditEntry.objects.filter(action="auth.sso_failed").exists()


def test_owners_set_domains_role_and_requirement(alice, bob, org_a, sso_on):
    url = reverse("projects:sign-in-rules", args=["org-a"])
    data = {"require_sso": "on", "sso_domains": "@Acme.test, ops.acme.test", "sso_role": "viewer"}
    assert signed_in("bob").post(url, data).status_code == 403
    owner = signed_in("alice")
    assert (
        "Email domains that join"
        in owner.get(reverse("projects:organization", args=["org-a"])).content.decode()
    )
    owner.post(url, data)
    org_a.refresh_from_db()
    assert (org_a.require_sso, org_a.sso_domains, org_a.sso_role) == (
        True, "acme.test\nops.acme.test", "viewer")  # fmt: skip
    entry = AuditEntry.objects.get(action="org.sign_in_rules")
    assert entry.actor == alice and entry.detail["require_sso"] is True
    assert entry.detail["sso_domains"] == "acme.test\nops.acme.test"

    answer = owner.post(
        url, {"sso_domains": "acme.test localhost", "sso_role": "member"}, follow=True
    )
    assert "not an email domain" in answer.content.decode()
    org_a.refresh_from_db()
    assert org_a.sso_domains == "acme.test\nops.acme.test" and org_a.require_sso
    owner.post(url, {"sso_role": "owner"})  # not a role one joins with
    org_a.refresh_from_db()
    assert org_a.sso_role == "viewer"


def test_without_sso_configured_the_settings_are_not_offered(alice, org_a, sso_off):
    owner = signed_in("alice")
    assert (
        "Require single sign-on"
        not in owner.get(reverse("projects:organization", args=["org-a"])).content.decode()
    )
    owner.post(reverse("projects:sign-in-rules", args=["org-a"]), {"require_sso": "on"})
    org_a.refresh_from_db()
    assert not org_a.require_sso


def test_require_sso_sends_members_password_sessions_to_the_provider(alice, bob, org_a, sso_on):
    bobs = signed_in("bob")
    assert bobs.get("/").status_code == 200
    owner = signed_in("alice")
    owner.post(reverse("projects:sign-in-rules", args=["org-a"]),
               {"require_sso": "on", "sso_role": "member"})  # fmt: skip
    assert bobs.get("/")["Location"].startswith(reverse("login"))  # his session ended
    assert owner.get("/").status_code == 200  # owners keep their password

    again = signed_in("bob")
    org_page = reverse("projects:organization", args=["org-a"])
    for path in ("/", "/issues/", org_page):
        answer = again.get(path)
        assert answer.status_code == 302, path
        assert answer["Location"].startswith(reverse("account-sso-required")), path
    page = again.get(reverse("account-sso-required"), {"next": org_page}).content.decode()
    assert "Org A requires its members to sign in with Acme ID" in page
    assert "/accounts/sso/login/?next=/orgs/org-a/" in page
    api = again.get("/api/0/organizations/")
    assert api.status_code == 403 and api.json()["detail"] == "Single sign-on required."
    _, text = ApiToken.issue(bob, scopes=["read"])  # tokens are not sessions
    answer = Client().get("/api/0/organizations/", HTTP_AUTHORIZATION=f"Bearer {text}")
    assert answer.status_code == 200 and answer.json()[0]["slug"] == "org-a"


def test_require_sso_is_not_enforced_while_sso_is_not_configured(bob, org_a, settings):
    org_a.require_sso = True
    org_a.save()
    settings.OIDC_ISSUER = ""  # the provider was removed: nobody could comply
    assert signed_in("bob").get("/").status_code == 200


def test_sso_counts_as_second_factor_only_where_sso_is_required(bob, org_a, db):
    org_a.require_2fa = True
    org_a.save()
    assert twofactor.pending_for(bob, sso=True) == "setup"  # 2FA still applies
    org_a.require_sso = True
    org_a.save()
    assert twofactor.pending_for(bob, sso=True) is None  # the provider is the org's gate
    assert twofactor.pending_for(bob, sso=False) == "setup"  # a password sign-in is not
    other = OrganizationFactory(slug="other", require_2fa=True)
    MembershipFactory(user=bob, organization=other)
    assert twofactor.pending_for(bob, sso=True) == "setup"  # another org wants 2FA of its own


def test_join_by_domain(db):
    acme = OrganizationFactory(
        slug="acme", sso_domains="acme.test\nops.acme.test", sso_role="viewer"
    )
    lookalike = OrganizationFactory(slug="evil", sso_domains="acme.test.evil\nxacme.test")
    OrganizationFactory(slug="none")
    ann = UserFactory(username="ann", email="ann@acme.test")
    joined = sso.join_by_domain(ann, "ann@acme.test")
    assert [(m.organization, m.role) for m in joined] == [(acme, "viewer")]
    assert sso.join_by_domain(ann, "ann@acme.test") == []  # already a member
    Membership.objects.filter(user=ann).update(role="admin")
    assert sso.join_by_domain(ann, "ann@acme.test") == []
    assert Membership.objects.get(user=ann).role == "admin"  # a later sign-in keeps the role
    assert not Membership.objects.filter(organization=lookalike).exists()
    assert (
        sso.join_by_domain(UserFactory(username="eve"), "eve@ops.acme.test")[0].organization == acme
    )


def test_new_usernames_do_not_collide(db):
    UserFactory(username="ann")
    UserFactory(username="ann-2")
    assert sso.free_username("ann") == "ann-3"
    assert sso.free_username("bea") == "bea"


def test_a_deactivated_user_loses_a_single_sign_on_session(bob, sso_on):
    client = Client()
    client.force_login(bob, backend=sso.BACKEND)
    assert client.get("/").status_code == 200
    bob.is_active = False
    bob.save()
    assert client.get("/")["Location"].startswith(reverse("login"))
