"""Personal API tokens: stored hashed, shown once, scoped, revocable; the command and page."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from api import tokens
from api.models import ApiToken

pytestmark = pytest.mark.django_db


def test_a_token_is_stored_only_as_a_hash_and_found_by_its_text(alice):
    row, text = ApiToken.issue(alice, scopes=["write", "read"], name="ci")
    assert tokens.looks_like_token(text)
    assert row.hashed != text and text not in (row.hashed, row.prefix * 2)
    assert row.prefix == text[:12] and row.scopes == ["read", "write"]
    assert ApiToken.find(text) == row
    assert ApiToken.find(text[:-1] + ("0" if text[-1] != "0" else "1")) is None
    assert ApiToken.find("not a token") is None


def test_revoked_tokens_and_inactive_users_are_not_found(alice, bob):
    _row, text = ApiToken.issue(alice, scopes=["read"])
    row_b, text_b = ApiToken.issue(bob, scopes=["read"])
    alice.is_active = False
    alice.save()
    row_b.revoked = row_b.created
    row_b.save()
    assert ApiToken.find(text) is None and ApiToken.find(text_b) is None


def test_scopes_imply_the_lesser_ones_and_unknown_scopes_are_refused():
    assert tokens.effective(["write"]) == {"read", "write"}
    assert tokens.allows(["admin"], "write") and not tokens.allows(["read"], "write")
    assert tokens.clean_scopes(["admin read", "write,read"]) == ["read", "write", "admin"]
    with pytest.raises(ValueError):
        tokens.clean_scopes(["root"])


def test_createtoken_prints_a_working_token(alice, client):
    out = io.StringIO()
    call_command("createtoken", "alice", "--scopes", "read", stdout=out)
    text = out.getvalue().strip()
    row = ApiToken.find(text)
    assert row.user == alice and row.scopes == ["read"]
    response = client.get("/api/0/", HTTP_AUTHORIZATION=f"Bearer {text}")
    assert response.json()["user"]["username"] == "alice"
    assert response.json()["auth"] == {"scopes": ["read"]}


def test_createtoken_refuses_unknown_users_and_scopes(alice):
    with pytest.raises(CommandError, match="No user"):
        call_command("createtoken", "nobody")
    with pytest.raises(CommandError, match="unknown scope"):
        call_command("createtoken", "alice", "--scopes", "sudo")


def test_token_page_shows_a_new_token_once_then_only_its_prefix(client, alice):
    client.force_login(alice)
    url = reverse("api-tokens:list")
    response = client.post(url, {"name": "deploy", "scopes": ["read", "write"]}, follow=True)
    assert response.redirect_chain == [(url, 302)]
    row = ApiToken.objects.get(user=alice)
    text = response.context["new_token"]
    assert ApiToken.find(text) == row and row.scopes == ["read", "write"]
    assert text in response.content.decode()
    page = client.get(url).content.decode()
    assert text not in page and row.prefix in page and "deploy" in page


def test_token_page_revokes_own_tokens_only(client, alice, bob):
    row, text = ApiToken.issue(alice, scopes=["read"])
    client.force_login(bob)
    assert client.post(reverse("api-tokens:revoke", args=[row.pk])).status_code == 404
    client.force_login(alice)
    assert client.post(reverse("api-tokens:revoke", args=[row.pk])).status_code == 302
    assert ApiToken.find(text) is None
    assert (
        client.get("/api/0/organizations/", HTTP_AUTHORIZATION=f"Bearer {text}").status_code == 401
    )


def test_token_page_needs_login_and_is_linked_from_the_menu(client, alice):
    assert client.get(reverse("api-tokens:list")).status_code == 302
    client.force_login(alice)
    assert reverse("api-tokens:list") in client.get(reverse("events:overview")).content.decode()
