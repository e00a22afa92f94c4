"""Tags of an event: the ones the SDK sent plus the ones Sentry users expect to filter by."""

MAX_TAG_LENGTH = 200


def _s(value) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    text = str(value).strip()
    return text[:MAX_TAG_LENGTH] if text else None


def _context_tag(contexts: dict, name: str) -> tuple[str | None, str | None]:
    """("Chrome 120", "Chrome") for contexts.browser, and so on."""
    ctx = contexts.get(name)
    if not isinstance(ctx, dict):
        return None, None
    title = _s(ctx.get("name")) or _s(ctx.get("model"))
    version = _s(ctx.get("version"))
    if not title:
        return None, None
    return (f"{title} {version}" if version else title), title


def user_tag(user) -> str | None:
    """The value Sentry shows for `user`: the first of id, email, username, ip."""
    if not isinstance(user, dict):
        return None
    for field, prefix in (
        ("id", "id"),
        ("email", "email"),
        ("username", "username"),
        ("ip_address", "ip"),
    ):
        value = _s(user.get(field))
        if value:
            return f"{prefix}:{value}"[:MAX_TAG_LENGTH]
    return None


def event_tags(event: dict) -> dict[str, str]:
    """Tags as a dict (last value wins for a repeated key), derived ones first."""
    tags: dict[str, str] = {}

    def put(key: str, value) -> None:
        text = _s(value)
        if text:
            tags[key] = text

    put("level", event.get("level"))
    for field in ("environment", "release", "dist", "server_name", "logger", "transaction"):
        put(field, event.get(field))
    request = event.get("request")
    if isinstance(request, dict) and isinstance(request.get("url"), str):
        put("url", request["url"].split("?", 1)[0])
    values = (event.get("exception") or {}).get("values") or []
    if values and isinstance(values[-1], dict):
        mechanism = values[-1].get("mechanism")
        if isinstance(mechanism, dict):
            put("mechanism", mechanism.get("type"))
            if isinstance(mechanism.get("handled"), bool):
                put("handled", "yes" if mechanism["handled"] else "no")
    contexts = event.get("contexts") if isinstance(event.get("contexts"), dict) else {}
    for name in ("browser", "os", "runtime", "device"):
        full, short = _context_tag(contexts, name)
        put(name, full)
        put(f"{name}.name", short)
    put("user", user_tag(event.get("user")))
    for pair in event.get("tags") or []:
        if isinstance(pair, (list, tuple)) and len(pair) == 2:
            key = _s(pair[0])
            if key:
                put(key, pair[1])
    return tags
