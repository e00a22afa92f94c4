"""What the single sign-on trusts of an OpenID Connect provider's answer: pure functions, no
Django. The provider's claims are input like any other (a provider lets users edit their
name and, often, their email), so only a verified email may match an account here."""

from __future__ import annotations

import re

# Django's username characters (letters, digits and @.+-_), at most 150.
_NOT_USERNAME = re.compile(r"[^\w.@+-]+")
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_SEPARATORS = re.compile(r"[\s,;]+")


def is_verified(claims: dict, *, trust_unflagged: bool = False) -> bool:
    """True when the provider says the email is verified (`email_verified`, a boolean or, from
    some providers, the string "true"). `trust_unflagged` accepts an email whose provider
    sends no `email_verified` at all (Entra ID); an explicit false is never accepted."""
    flag = claims.get("email_verified")
    if flag is None:
        return trust_unflagged
    return flag is True or (isinstance(flag, str) and flag.strip().lower() == "true")


def normal_email(value) -> str | None:
    """The email lowercased, or None when it is not a plausible address."""
    if not isinstance(value, str):
        return None
    email = value.strip().lower()
    local, _, domain = email.rpartition("@")
    if not local or len(email) > 254 or not _DOMAIN.match(domain):
        return None
    return email


def verified_email(claims: dict, *, trust_unflagged: bool = False) -> str | None:
    """The email an account may be matched or created by, or None."""
    email = normal_email(claims.get("email"))
    if email is None or not is_verified(claims, trust_unflagged=trust_unflagged):
        return None
    return email


def refusal(claims: dict, *, trust_unflagged: bool = False) -> str:
    """Why the claims cannot sign anyone in ("" when they can): a reason code for the audit
    log and the message the login page shows."""
    if normal_email(claims.get("email")) is None:
        return "no_email"
    if not is_verified(claims, trust_unflagged=trust_unflagged):
        return "email_not_verified"
    return ""


def email_domain(email: str) -> str:
    return email.rpartition("@")[2]


def username_base(claims: dict, email: str) -> str:
    """A readable username for a new account: `preferred_username`, else the email's local
    part, cut to Django's characters (the caller makes it unique)."""
    preferred = claims.get("preferred_username")
    for candidate in (preferred if isinstance(preferred, str) else "", email.partition("@")[0]):
        name = _NOT_USERNAME.sub("-", candidate.strip()).strip("-.")[:140]
        if name:
            return name
    return "user"


def names(claims: dict) -> tuple[str, str]:
    """(first, last) name from `given_name`/`family_name`, else split from `name`."""
    first, last = claims.get("given_name"), claims.get("family_name")
    if isinstance(first, str) or isinstance(last, str):
        first, last = first if isinstance(first, str) else "", last if isinstance(last, str) else ""
    else:
        full = claims.get("name")
        first, _, last = (full if isinstance(full, str) else "").strip().partition(" ")
    return first.strip()[:150], last.strip()[:150]


def parse_domains(text: str) -> list[str]:
    """Email domains from an organization's setting (separated by spaces, commas or lines;
    a leading @ is allowed). Raises ValueError naming the first that is not a domain."""
    domains = []
    for item in _SEPARATORS.split(text or ""):
        domain = item.strip().lower().removeprefix("@")
        if not domain:
            continue
        if not _DOMAIN.match(domain):
            raise ValueError(f"{item!r} is not an email domain (example: example.com)")
        if domain not in domains:
            domains.append(domain)
    return domains


def id_token_problem(payload: dict, *, issuer: str, client_id: str) -> str:
    """What is wrong with an ID token's (signature-checked) payload for this client: the
    issuer and the audience must be ours (OpenID Connect Core 3.1.3.7); "" when fine."""
    if str(payload.get("iss", "")).rstrip("/") != issuer.rstrip("/"):
        return "wrong_issuer"
    audience = payload.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    if client_id not in audiences:
        return "wrong_audience"
    if len(audiences) > 1 and payload.get("azp") not in (None, client_id):
        return "wrong_audience"
    return ""
