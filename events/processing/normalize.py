"""Turn any SDK event payload into our canonical event dict (docs/protocols.md §6).

Pure and defensive: any dict decoded from JSON comes out as a new, JSON-serializable dict;
values of the wrong type are coerced or dropped, never raised on.
"""

from __future__ import annotations

import json
import math
import re
import uuid
from datetime import UTC, datetime

from .jsonsafe import DROP, INT_TEXT, clean, clean_dict, integer, string, trusted_input
from .titles import format_message

MAX_FUTURE_SECONDS = 60.0
MAX_AGE_SECONDS = 30 * 86400.0
MAX_MESSAGE_CHARS = 8192
MAX_TAG_CHARS = 200

LEVELS = ("fatal", "error", "warning", "info", "debug")
_LEVEL_ALIASES = {"warn": "warning", "log": "info", "critical": "fatal"}
_INT_LEVELS = {10: "debug", 20: "info", 30: "warning", 40: "error", 50: "fatal"}

_STRING_FIELDS = dict(  # name -> max chars (§6.1)
    logger=64, transaction=200, server_name=200, release=200, dist=64, environment=64, culprit=200
)
_ALIASES = {
    "sentry.interfaces.Message": "logentry",
    "sentry.interfaces.Exception": "exception",
    "sentry.interfaces.Stacktrace": "stacktrace",
    "sentry.interfaces.Http": "request",
    "sentry.interfaces.User": "user",
    "sentry.interfaces.Threads": "threads",
    "sentry.interfaces.Breadcrumbs": "breadcrumbs",
    "sentry.interfaces.Contexts": "contexts",
    "sentry.interfaces.DebugMeta": "debug_meta",
}
_RAVEN_JUNK = frozenset({"project", "time_spent", "repos"})
_HANDLED = frozenset(
    {"event_id", "timestamp", "received", "platform", "level", "message", "logentry"}
    | set(_STRING_FIELDS)
    | {"exception", "stacktrace", "threads", "breadcrumbs", "request", "user", "tags"}
    | {"contexts", "extra", "modules", "sdk", "fingerprint"}
)

_FRAME_STRINGS = (
    "filename abs_path module function raw_function context_line package platform "
    "instruction_addr symbol"
).split()
_HEX32 = re.compile(r"[0-9a-f]{32}")
_DASHED_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_QUOTED_NAME = re.compile(r"u?'(.*)'", re.DOTALL)
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


def normalize_event(
    raw: dict,
    *,
    received: float,
    event_id: str | None = None,
    client_ip: str | None = None,
    trusted: bool = False,
) -> dict:
    """Return a new canonical event dict built from an SDK payload.

    `trusted`: orjson parsed `raw`, so its parts are JSON-safe as they are and are used
    without copies; the result then shares containers with `raw`, which the caller drops.
    """
    with trusted_input(trusted):
        return _normalize(raw, received, event_id, client_ip)


def _normalize(raw: dict, received: float, event_id: str | None, client_ip: str | None) -> dict:
    if not isinstance(raw, dict):
        raw = {}
    src = _resolve_aliases(raw)
    received = float(received)
    if event_id is not None:
        event_id = _event_id(event_id) or str(event_id)  # the edge already validated it
    out: dict = {
        "event_id": event_id or _event_id(src.get("event_id")) or uuid.uuid4().hex,
        "timestamp": _timestamp(src.get("timestamp"), received),
        "received": received,
        "platform": string(src.get("platform"), 64) or "other",
        "level": normalize_level(src.get("level")),
    }
    for key, cap in _STRING_FIELDS.items():
        value = string(src.get(key), cap)
        if key == "logger" and value is not None:
            value = (value.splitlines() or [""])[0]  # loggers are single-line names
        _put(out, key, value)
    _put(out, "logentry", _logentry(src.get("logentry"), src.get("message")))

    exceptions = [e for e in map(_exception, _exception_list(src.get("exception"))) if e]
    top_stack = _stacktrace(src.get("stacktrace"))
    if len(exceptions) == 1 and top_stack and "stacktrace" not in exceptions[0]:
        exceptions[0]["stacktrace"] = top_stack  # raven 3 sends it beside the exception
        top_stack = None
    _put(out, "exception", {"values": exceptions} if exceptions else None)
    _put(out, "stacktrace", None if exceptions else top_stack)
    threads = [t for t in map(_thread, _values(src.get("threads"))) if t]
    _put(out, "threads", {"values": threads} if threads else None)
    crumbs = [clean(b) for b in _values(src.get("breadcrumbs")) if isinstance(b, dict)]
    _put(out, "breadcrumbs", {"values": crumbs} if crumbs else None)

    _put(out, "request", _request(src.get("request")))
    _put(out, "user", _user(src.get("user"), client_ip))
    out["tags"] = _tags(src.get("tags"))
    for key in ("contexts", "extra", "modules", "sdk"):
        _put(out, key, clean_dict(src.get(key)))
    _put(out, "fingerprint", _fingerprint(src.get("fingerprint")))

    for key, value in src.items():
        if key in _HANDLED or key in _RAVEN_JUNK or not isinstance(key, str):
            continue
        cleaned = clean(value)
        if cleaned is not DROP and cleaned == value:  # keep only what is already JSON-safe
            out[key] = cleaned
    return out


def _put(out: dict, key: str, value: object) -> None:
    if value is not None:
        out[key] = value


def normalize_level(value: object) -> str:
    """Map a level in any accepted spelling to one of LEVELS (default "error")."""
    if isinstance(value, str):
        text = value.strip().lower()
        if INT_TEXT.fullmatch(text):
            value = int(text)
        else:
            text = _LEVEL_ALIASES.get(text, text)
            return text if text in LEVELS else "error"
    number = integer(value)
    return _INT_LEVELS.get(number, "error") if number is not None else "error"


def _event_id(value: object) -> str | None:
    text = value.strip().lower().strip("{}") if isinstance(value, str) else ""
    if _DASHED_UUID.fullmatch(text):
        text = text.replace("-", "")
    return text if _HEX32.fullmatch(text) else None


def _timestamp(value: object, received: float) -> float:
    ts: float | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        ts = float(value)
    elif isinstance(value, str):
        text = value.strip()
        # SDKs send ISO 8601 text or a number as text: the likely parser first, since a
        # failed one costs an exception on every event.
        iso_first = "-" in text[1:] or "T" in text
        for parse in (_iso_timestamp, float) if iso_first else (float, _iso_timestamp):
            try:
                ts = parse(text)
                break
            except (ValueError, OverflowError, OSError):
                pass
    if ts is None or not math.isfinite(ts):
        return received
    if ts > received + MAX_FUTURE_SECONDS or ts < received - MAX_AGE_SECONDS:
        return received
    return ts


def _iso_timestamp(text: str) -> float:
    parsed = datetime.fromisoformat(text)
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()


def _resolve_aliases(raw: dict) -> dict:
    src = dict(raw)
    for key, value in raw.items():
        if isinstance(key, str) and key.startswith("sentry.interfaces."):
            name = _ALIASES.get(key) or key.rsplit(".", 1)[-1].lower()
            del src[key]
            src.setdefault(name, value)
    return src


def _values(value: object) -> list:
    if isinstance(value, dict):
        value = value.get("values")
    return value if isinstance(value, list) else []


def _logentry(logentry: object, message: object) -> dict | None:
    if logentry is None and isinstance(message, dict):
        logentry, message = message, None
    if isinstance(logentry, str):
        logentry = {"formatted": logentry}
    if not isinstance(logentry, dict):
        formatted = string(message, MAX_MESSAGE_CHARS) if isinstance(message, str) else None
        return {"message": None, "formatted": formatted, "params": None} if formatted else None
    template = string(logentry.get("message"), MAX_MESSAGE_CHARS)
    formatted = string(logentry.get("formatted"), MAX_MESSAGE_CHARS)
    params = logentry.get("params")
    params = clean(params) if isinstance(params, list | dict) else None
    if formatted is None and isinstance(message, str) and message and message != template:
        # raven sends the formatted line too; its captureMessage sends the template there
        formatted = string(message, MAX_MESSAGE_CHARS)
    if formatted is None and template and params:
        formatted = format_message(template, params)
        formatted = formatted[:MAX_MESSAGE_CHARS] if formatted is not None else None
    if template is None and formatted is None:
        return None
    return {"message": template, "formatted": formatted, "params": params}


def _exception_list(value: object) -> list:
    if isinstance(value, dict):
        if "values" in value:
            values = value["values"]
            return values if isinstance(values, list) else [values]
        return [value]  # raven 3: a single exception object
    return value if isinstance(value, list) else []


def _exception(value: object) -> dict | None:
    if not isinstance(value, dict):
        return None
    exc = {
        "type": string(value.get("type"), 256),
        "value": string(value.get("value"), MAX_MESSAGE_CHARS),
        "module": string(value.get("module"), 256),
        "mechanism": clean_dict(value.get("mechanism")),
    }
    _put(exc, "stacktrace", _stacktrace(value.get("stacktrace")))
    _put(exc, "thread_id", _id(value.get("thread_id")))
    if exc["type"] is None and exc["value"] is None and "stacktrace" not in exc:
        return None
    return exc


def _stacktrace(value: object) -> dict | None:
    frames = value.get("frames") if isinstance(value, dict) else value
    if not isinstance(frames, list):
        return None
    frames = [_frame(f) for f in frames if isinstance(f, dict)]
    return {"frames": frames} if frames else None


def _frame(raw: dict) -> dict:
    """The hot spot of normalizing (a dozen frames per event): plain ASCII strings and
    64-bit ints, nearly all of them, are taken as they are without a call."""
    frame: dict = {}
    get = raw.get
    for key in _FRAME_STRINGS:
        value = get(key)
        if value is None:
            continue
        if type(value) is str and value.isascii() and len(value) <= MAX_MESSAGE_CHARS:
            frame[key] = value
        else:
            _put(frame, key, string(value, MAX_MESSAGE_CHARS))
    for key in ("lineno", "colno"):
        value = get(key)
        if type(value) is int and _INT64_MIN <= value <= _INT64_MAX:
            frame[key] = value
        elif value is not None:
            _put(frame, key, integer(value))
    for key in ("pre_context", "post_context"):
        if isinstance(get(key), list):
            frame[key] = _lines(raw[key])
    in_app = get("in_app")
    frame["in_app"] = in_app is True or in_app == 1 or in_app == "true"
    if isinstance(get("vars"), dict):
        frame["vars"] = _unquote_keys(clean(raw["vars"]))
    return frame


def _lines(lines: list) -> list[str]:
    """Source context lines as strings; checked in C when they are plain short ASCII text."""
    try:
        text = "".join(lines)
        if text.isascii() and (
            len(text) <= MAX_MESSAGE_CHARS or max(map(len, lines)) <= MAX_MESSAGE_CHARS
        ):
            return list(lines)
    except TypeError:  # not all strings
        pass
    return [string(line, MAX_MESSAGE_CHARS) or "" for line in lines]


def _unquote_keys(names: dict) -> dict:
    """Raven 3 on Python 2 sends variable names as "'x'" or "u'x'": looked for in C, since
    nearly no event has one."""
    if "'\x00" not in "\x00".join(names) + "\x00":
        return names
    return {_unquote(k): v for k, v in names.items()}


def _unquote(name: str) -> str:
    if name[-1:] != "'":
        return name
    match = _QUOTED_NAME.fullmatch(name)
    return match.group(1) if match else name


def _thread(value: object) -> dict | None:
    if not isinstance(value, dict):
        return None
    thread: dict = {}
    _put(thread, "id", _id(value.get("id")))
    for key in ("name", "state"):
        _put(thread, key, string(value.get(key), 256))
    for key in ("crashed", "current", "main"):
        _put(thread, key, value[key] if isinstance(value.get(key), bool) else None)
    _put(thread, "stacktrace", _stacktrace(value.get("stacktrace")))
    return thread or None


def _id(value: object) -> int | str | None:
    return integer(value) if integer(value) is not None else string(value, 256)


def _request(value: object) -> dict | None:
    if not isinstance(value, dict):
        return None
    request = clean(value)
    for key in ("url", "method"):
        _put(request, key, string(request.pop(key, None), MAX_MESSAGE_CHARS))
    if "headers" in request:
        request["headers"] = _header_pairs(request["headers"])
    for key in ("cookies", "query_string"):
        if key in request and not isinstance(request[key], dict | list | str):
            del request[key]
    return request


def _header_pairs(value: object) -> list[list[str]]:
    if isinstance(value, str):
        lines = (line.partition(":") for line in value.splitlines())
        return [[k.strip(), v.strip()] for k, sep, v in lines if sep and k.strip()]
    pairs = []
    for key, item in _items(value):
        name = string(key)
        for single in item if isinstance(item, list) else [item]:  # PHP sends value lists
            text = string(single)
            if name and text is not None:
                pairs.append([name, text])
    return pairs


def _user(value: object, client_ip: str | None) -> dict | None:
    if not isinstance(value, dict):
        return None
    user = clean(value)
    if user.get("ip_address") == "{{auto}}":
        if client_ip:
            user["ip_address"] = client_ip
        else:
            del user["ip_address"]
    return user


def _tags(value: object) -> list[list[str]]:
    tags = []
    for key, item in _items(value):
        name, text = string(key, MAX_TAG_CHARS), _tag_value(item)
        if name and text is not None:
            tags.append([name, text])
    return tags


def _items(value: object) -> list[tuple]:
    """(key, value) pairs of a dict or of a list of 2-item lists."""
    if isinstance(value, dict):
        return list(value.items())
    if isinstance(value, list):
        return [tuple(p) for p in value if isinstance(p, list | tuple) and len(p) == 2]
    return []


def _tag_value(value: object) -> str | None:
    if isinstance(value, dict | list):
        text = json.dumps(clean(value), separators=(",", ":"), ensure_ascii=False)
    else:
        text = string(value)
    return text[:MAX_TAG_CHARS] if text is not None else None


def _fingerprint(value: object) -> list[str] | None:
    if not isinstance(value, list):
        return None
    entries = [string(entry, 1024) for entry in value]
    return [e for e in entries if e is not None] or None
