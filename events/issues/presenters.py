"""A stored event (`Event.data`, the normalized payload) -> what the event template shows.

Pure functions over plain dicts. Every value stays a plain string or number: the template
escapes them all (never `|safe`), since everything in an event comes from the sender.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from urllib.parse import parse_qsl

MAX_PRETTY = 20_000


def pretty(value) -> str:
    """Readable text for any JSON value: strings as they are, the rest as indented JSON."""
    if isinstance(value, str):
        text = value
    else:
        text = json.dumps(value, indent=2, ensure_ascii=False, sort_keys=False, default=str)
    return text if len(text) <= MAX_PRETTY else text[:MAX_PRETTY] + "\n… (truncated)"


def sdk_text(value, indent: int = 0) -> str:
    """A frame variable as the SDK wrote it. SDKs send each value as its own text (Python's
    repr: `'A1'`, `10`), nested in JSON objects and arrays; show those texts as they are,
    not as JSON strings of them (`"'A1'"`), and the nesting in the SDK's language's style."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or value is None:
        return {True: "True", False: "False", None: "None"}[value]
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, dict):
        items = [f"{k!r}: {sdk_text(v, indent + 2)}" for k, v in value.items()]
        opening, closing = "{", "}"
    elif isinstance(value, list):
        items = [sdk_text(v, indent + 2) for v in value]
        opening, closing = "[", "]"
    else:
        return str(value)
    flat = opening + ", ".join(items) + closing
    if len(flat) <= 80 and "\n" not in flat:
        return flat
    pad = " " * (indent + 2)
    return opening + "\n" + ",\n".join(pad + i for i in items) + "\n" + " " * indent + closing


def _vars_text(value) -> str:
    text = sdk_text(value)
    return text if len(text) <= MAX_PRETTY else text[:MAX_PRETTY] + "\n… (truncated)"


def _dict(value) -> dict:
    return value if isinstance(value, dict) else {}


def _pairs(value) -> list[tuple[str, str]]:
    if isinstance(value, dict):
        return [(str(k), pretty(v)) for k, v in value.items()]
    if isinstance(value, list):
        return [
            (str(p[0]), pretty(p[1])) for p in value if isinstance(p, list | tuple) and len(p) == 2
        ]
    if isinstance(value, str):
        return [(k, v) for k, v in parse_qsl(value, keep_blank_values=True)] or [("", value)]
    return []


def _when(value) -> datetime | None:
    try:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return datetime.fromtimestamp(value, UTC)
        if isinstance(value, str):
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    except (ValueError, OverflowError, OSError):
        pass
    return None


def _frame(raw: dict) -> dict:
    lineno = raw.get("lineno") if isinstance(raw.get("lineno"), int) else None
    context = []
    if lineno is not None and isinstance(raw.get("context_line"), str):
        pre = [str(x) for x in raw.get("pre_context") or []]
        post = [str(x) for x in raw.get("post_context") or []]
        start = lineno - len(pre)
        lines = [*pre, raw["context_line"], *post]
        context = [(start + i, line, start + i == lineno) for i, line in enumerate(lines)]
    variables = raw.get("vars")
    data = raw.get("data") if isinstance(raw.get("data"), dict) else {}
    unmapped = data.get("sourcemap_error") if isinstance(data.get("sourcemap_error"), dict) else {}
    return {
        "filename": raw.get("filename") or raw.get("abs_path") or raw.get("module") or "?",
        "abs_path": raw.get("abs_path") or "",
        "module": raw.get("module") or "",
        "function": raw.get("function") or raw.get("symbol") or "",
        "lineno": lineno,
        "colno": raw.get("colno") if isinstance(raw.get("colno"), int) else None,
        "in_app": raw.get("in_app") is True,
        "context": context,
        "vars": [(str(k), _vars_text(v)) for k, v in variables.items()]
        if isinstance(variables, dict)
        else [],
        "expanded": False,
        # Source maps (sourcemaps app): where a mapped frame was, or why it was not mapped.
        "minified": str(data.get("minified") or "") if data.get("symbolicated") else "",
        "unmapped": str(unmapped.get("message") or ""),
    }


def _stack(stacktrace, *, newest_first: bool, app_only: bool) -> dict:
    frames = [_frame(f) for f in (_dict(stacktrace).get("frames") or []) if isinstance(f, dict)]
    if frames:
        crash = next((f for f in reversed(frames) if f["in_app"]), frames[-1])
        crash["expanded"] = True
    has_app = any(f["in_app"] for f in frames)
    shown = [f for f in frames if f["in_app"]] if app_only and has_app else frames
    if newest_first:
        shown = shown[::-1]
    return {"frames": shown, "hidden": len(frames) - len(shown), "total": len(frames)}


def _exceptions(data: dict, *, newest_first: bool, app_only: bool) -> list[dict]:
    out = []
    for exc in _dict(data.get("exception")).get("values") or []:
        if not isinstance(exc, dict):
            continue
        mechanism = _dict(exc.get("mechanism"))
        out.append({
            "type": exc.get("type") or "",
            "value": exc.get("value") or "",
            "module": exc.get("module") or "",
            "mechanism": mechanism.get("type") or "",
            "handled": mechanism.get("handled") if isinstance(mechanism.get("handled"), bool) else None,
            "stack": _stack(exc.get("stacktrace"), newest_first=newest_first, app_only=app_only),
        })  # fmt: skip
    if not out and data.get("stacktrace"):
        stack = _stack(data["stacktrace"], newest_first=newest_first, app_only=app_only)
        out.append(
            {
                "type": "",
                "value": "",
                "module": "",
                "mechanism": "",
                "handled": None,
                "stack": stack,
            }
        )
    return out[::-1] if newest_first else out


def _threads(data: dict, *, newest_first: bool, app_only: bool) -> list[dict]:
    threads = []
    for t in _dict(data.get("threads")).get("values") or []:
        if isinstance(t, dict) and t.get("stacktrace"):
            threads.append({
                "name": str(t.get("name") or t.get("id") or "thread"),
                "crashed": t.get("crashed") is True,
                "stack": _stack(t["stacktrace"], newest_first=newest_first, app_only=app_only),
            })  # fmt: skip
    return sorted(threads, key=lambda t: not t["crashed"])


def _breadcrumbs(data: dict) -> list[dict]:
    crumbs = []
    for b in _dict(data.get("breadcrumbs")).get("values") or []:
        if isinstance(b, dict):
            crumbs.append({
                "when": _when(b.get("timestamp")),
                "category": str(b.get("category") or b.get("type") or "default"),
                "level": str(b.get("level") or "info"),
                "message": pretty(b["message"]) if b.get("message") is not None else "",
                "data": _pairs(b.get("data")),
            })  # fmt: skip
    return crumbs


def _request(data: dict) -> dict | None:
    request = data.get("request")
    if not isinstance(request, dict):
        return None
    body = request.get("data")
    return {
        "method": str(request.get("method") or ""),
        "url": str(request.get("url") or ""),
        "query": _pairs(request.get("query_string")),
        "headers": _pairs(request.get("headers")),
        "cookies": _pairs(request.get("cookies")),
        "body": pretty(body) if body not in (None, "", {}, []) else "",
        "env": _pairs(request.get("env")),
    }


def _contexts(data: dict) -> list[tuple[str, list]]:
    out = []
    for name, ctx in _dict(data.get("contexts")).items():
        if isinstance(ctx, dict):
            out.append((str(name), [(str(k), pretty(v)) for k, v in ctx.items() if k != "type"]))
    return out


def _message(data: dict) -> str:
    logentry = _dict(data.get("logentry"))
    text = logentry.get("formatted") or logentry.get("message") or data.get("message")
    return text if isinstance(text, str) else ""


def present_event(data: dict, *, newest_first: bool = False, app_only: bool = False) -> dict:
    data = _dict(data)
    sdk = _dict(data.get("sdk"))
    return {
        "message": _message(data),
        "exceptions": _exceptions(data, newest_first=newest_first, app_only=app_only),
        "threads": _threads(data, newest_first=newest_first, app_only=app_only),
        "breadcrumbs": _breadcrumbs(data),
        "request": _request(data),
        "user": _pairs(data.get("user")),
        "contexts": _contexts(data),
        "tags": _pairs(data.get("tags")),
        "sdk": {
            "name": str(sdk.get("name") or ""),
            "version": str(sdk.get("version") or ""),
            "integrations": [str(i) for i in sdk.get("integrations") or [] if isinstance(i, str)],
        },
        "extra": _pairs(data.get("extra")),
        "fingerprint": [str(f) for f in data.get("fingerprint") or []],
    }
