"""Personal API tokens: making, hashing and checking them, and what their scopes allow.

A token is 64 hex characters, the shape of a Sentry user token, so tools that check the
format (sentry-cli does) take it as one. Only a SHA-256 of it is stored, with its first 12
characters as a lookup prefix; tokens are random, so a fast hash is enough.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

PREFIX_LENGTH = 12
SCOPES = ("read", "write", "admin")
# Each scope includes the ones before it: write can also read, admin can do everything.
IMPLIED = {"read": {"read"}, "write": {"read", "write"}, "admin": {"read", "write", "admin"}}


def new_token() -> str:
    return secrets.token_hex(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def prefix_of(token: str) -> str:
    return token[:PREFIX_LENGTH]


def looks_like_token(token: str) -> bool:
    return len(token) == 64 and all(c in "0123456789abcdef" for c in token)


def matches(token: str, hashed: str) -> bool:
    return hmac.compare_digest(hash_token(token), hashed)


def clean_scopes(scopes) -> list[str]:
    """The valid scopes among `scopes`, in canonical order; ValueError for an unknown one."""
    wanted = set()
    for scope in scopes:
        for part in str(scope).replace(",", " ").split():
            if part not in SCOPES:
                raise ValueError(f"unknown scope {part!r} (choose from {', '.join(SCOPES)})")
            wanted.add(part)
    return [s for s in SCOPES if s in wanted]


def effective(scopes: list[str]) -> set[str]:
    granted: set[str] = set()
    for scope in scopes:
        granted |= IMPLIED.get(scope, set())
    return granted


def allows(scopes: list[str], needed: str) -> bool:
    return needed in effective(scopes)
