"""Limits on guessing: sign-in failures are counted by django-axes (per account and per
address, in the database, so every web process shares them); password-reset requests here,
per address and per email, with the `limits` library (Redis when configured, else each
process's memory). Neither answer says whether an account exists: the same for every name."""

from __future__ import annotations

from functools import cache

from django.conf import settings
from django.shortcuts import render
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

LOCKED_MESSAGE = (
    "Too many failed sign-in attempts. Wait {minutes} minutes before trying again, "
    "or reset your password."
)


def client_ip(request) -> str | None:
    """The client's address: REMOTE_ADDR, or behind a trusted proxy (BEHIND_PROXY) the last
    X-Forwarded-For entry, the one that proxy appended (earlier ones are the client's word)."""
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        last = forwarded.split(",")[-1].strip()
        if last:
            return last
    return request.META.get("REMOTE_ADDR") or None


def lockout_minutes() -> int:
    return max(1, int(settings.AXES_COOLOFF_TIME.total_seconds() // 60))


def locked_out(request, original_response=None, credentials=None):
    """axes' answer to a locked-out account or address: the login page again, 429, with a
    message that is the same whether or not the account exists."""
    from django.contrib.auth.forms import AuthenticationForm

    return render(
        request,
        "registration/login.html",
        {
            "form": AuthenticationForm(request),
            "locked_message": LOCKED_MESSAGE.format(minutes=lockout_minutes()),
            "next": request.POST.get("next", ""),
        },
        status=429,
    )


@cache
def _limiter() -> MovingWindowRateLimiter:
    return MovingWindowRateLimiter(storage_from_string(settings.REDIS_URL or "memory://"))


def reset_allowed(request, email: str) -> bool:
    """Counts one password-reset request; False once the address or the email is over
    PASSWORD_RESET_LIMIT (e.g. "5/hour")."""
    item = parse(settings.PASSWORD_RESET_LIMIT)
    limiter = _limiter()
    ip = client_ip(request) or "-"
    ok_ip = limiter.hit(item, "password-reset-ip", ip)
    ok_email = limiter.hit(item, "password-reset-email", email.strip().lower())
    return ok_ip and ok_email
