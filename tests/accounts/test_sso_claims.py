"""The claim handling of single sign-on (accounts/claims.py): pure functions."""

import pytest

from accounts import claims

pytestmark = pytest.mark.one_pass


@pytest.mark.parametrize(
    ("flag", "trust", "verified"),
    [
        (True, False, True),
        ("true", False, True),  # some providers send it as a string
        (" TRUE ", False, True),
        (False, False, False),
        ("false", False, False),
        (False, True, False),  # an explicit false is never trusted
        ("yes", False, False),
        (1, False, False),  # only true itself
        (None, False, False),  # no claim: not verified ...
        (None, True, True),  # ... unless the provider only gives verified emails (Entra ID)
    ],
)
def test_verified_means_the_provider_says_so(flag, trust, verified):
    info = {"email": "a@example.com"} | ({} if flag is None else {"email_verified": flag})
    assert claims.is_verified(info, trust_unflagged=trust) is verified
    expected = "a@example.com" if verified else None
    assert claims.verified_email(info, trust_unflagged=trust) == expected


def test_emails_are_lowercased_and_must_look_like_emails():
    ok = {"email_verified": True}
    assert claims.verified_email(ok | {"email": " Ann@Example.COM "}) == "ann@example.com"
    for bad in ("", "ann", "@example.com", "ann@", "ann@localhost", "ann@ex ample.com", 42, None):
        assert claims.verified_email(ok | {"email": bad}) is None, bad
        assert claims.refusal(ok | {"email": bad}) == "no_email"
    assert claims.refusal({"email": "a@example.com", "email_verified": False}) == (
        "email_not_verified"
    )
    assert claims.refusal({"email": "a@example.com", "email_verified": True}) == ""


def test_username_from_preferred_username_else_the_email():
    assert claims.username_base({"preferred_username": "ann.lee"}, "x@example.com") == "ann.lee"
    assert claims.username_base({"preferred_username": "Ann Lee <b>"}, "x@e.com") == "Ann-Lee-b"
    assert claims.username_base({"preferred_username": "  "}, "ann+ops@e.com") == "ann+ops"
    assert claims.username_base({"preferred_username": ["x"]}, "ann@e.com") == "ann"
    assert claims.username_base({}, "!!!@e.com") == "user"
    assert len(claims.username_base({"preferred_username": "a" * 500}, "x@e.com")) == 140


def test_names():
    assert claims.names({"given_name": "Ann", "family_name": "Lee", "name": "X"}) == ("Ann", "Lee")
    assert claims.names({"name": "Ann Marie Lee"}) == ("Ann", "Marie Lee")
    assert claims.names({"given_name": "Ann"}) == ("Ann", "")
    assert claims.names({"name": 7}) == ("", "")


def test_domains_of_an_organization_setting():
    assert claims.parse_domains(" @Acme.com, ops.acme.com\nacme.com;example.org ") == [
        "acme.com", "ops.acme.com", "example.org",
    ]  # fmt: skip
    assert claims.parse_domains("") == []
    for bad in ("localhost", "acme..com", "*.acme.com", "acme.com/x", "-acme.com"):
        with pytest.raises(ValueError, match="not an email domain"):
            claims.parse_domains(f"example.org {bad}")
    assert claims.email_domain("ann@ops.acme.com") == "ops.acme.com"


def test_id_token_must_be_for_this_client_from_this_issuer():
    def problem(**payload):
        return claims.id_token_problem(payload, issuer="https://id.example.com/", client_id="agg")

    assert problem(iss="https://id.example.com", aud="agg") == ""
    assert problem(iss="https://id.example.com", aud=["agg", "other"], azp="agg") == ""
    assert problem(iss="https://evil.example.com", aud="agg") == "wrong_issuer"
    assert problem(aud="agg") == "wrong_issuer"
    assert problem(iss="https://id.example.com", aud="other") == "wrong_audience"
    assert problem(iss="https://id.example.com", aud=["agg", "x"], azp="x") == "wrong_audience"
