"""CORS for browser SDKs on the Sentry endpoints: any origin may post events (§2.4).

Both ways in add these: the WSGI fast path (wsgi.py) and the URLconf views (sentry.py).
"""

from functools import cache

ALLOW_HEADERS = (
    "x-sentry-auth", "x-requested-with", "x-forwarded-for", "origin", "referer", "accept",
    "content-type", "authentication", "authorization", "content-encoding", "transfer-encoding",
)  # fmt: skip
EXPOSE_HEADERS = ("x-sentry-error", "x-sentry-rate-limits", "retry-after")


@cache
def headers(preflight: bool) -> tuple[tuple[str, str], ...]:
    found = [
        ("Access-Control-Allow-Origin", "*"),
        ("Access-Control-Expose-Headers", ", ".join(EXPOSE_HEADERS)),
    ]
    if preflight:
        found += [
            ("Access-Control-Allow-Methods", "POST, OPTIONS"),
            ("Access-Control-Allow-Headers", ", ".join(ALLOW_HEADERS)),
            ("Access-Control-Max-Age", "86400"),
        ]
    return tuple(found)
