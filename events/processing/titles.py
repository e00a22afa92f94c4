"""Issue title, culprit, type and metadata of a normalized event (docs/protocols.md §7.6).

Also `format_message`, the display text of a logged message, which normalize_event uses to
fill `logentry.formatted` when an SDK sent only the template and its params.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

MAX_TITLE_VALUE = 100
MAX_CULPRIT = 200
MAX_METADATA_VALUE = 1024
_JS = frozenset({"javascript", "node"})
_NATIVE = frozenset({"native", "cocoa"})
_PERCENT = re.compile(
    r"%(?:\((?P<key>[^()]{0,200})\))?[-#0 +]*(?:\d+|\*)?(?:\.(?P<prec>\d+))?[hlL]?"
    r"(?P<conv>[diouxXeEfFgGcrsa%])"
)
_BRACE = re.compile(r"\{(\w*)\}")
_NO_PARAM = object()


def event_type(event: dict) -> str:
    """Return "error" for events carrying an exception, else "default"."""
    return "error" if _exceptions(event) else "default"


def event_title(event: dict) -> str:
    exceptions = _exceptions(event)
    if exceptions:
        last = exceptions[-1]
        if _is_synthetic(last):  # type/value are placeholders: name the crashing function
            return _str(_crash_frame(event).get("function")) or "<unknown>"
        exc_type = _str(last.get("type")) or "Error"
        value = _first_line(last.get("value"))
        return f"{exc_type}: {_truncate(value, MAX_TITLE_VALUE)}" if value else exc_type
    logentry = _dict(event.get("logentry"))
    for text in (logentry.get("formatted"), logentry.get("message"), event.get("message")):
        line = _first_line(text)
        if line:
            return _truncate(line, MAX_TITLE_VALUE)
    return "<unlabeled event>"


def event_culprit(event: dict) -> str:
    """Explicit culprit, else transaction, else the crash frame, else the request URL."""
    for key in ("culprit", "transaction"):
        text = _str(event.get(key))
        if text and text.strip():
            return _truncate(text, MAX_CULPRIT)
    frames = _culprit_frames(event)
    if frames:
        frame = next((f for f in reversed(frames) if f.get("in_app") is True), frames[-1])
        text = _render_frame(frame, _str(frame.get("platform")) or _platform(event))
        if text:
            return _truncate(text, MAX_CULPRIT)
    url = _str(_dict(event.get("request")).get("url"))
    return _truncate(url, MAX_CULPRIT) if url else ""


def event_metadata(event: dict) -> dict:
    """Errors: {type, value, filename?, function?}; other events: {title}."""
    exceptions = _exceptions(event)
    if not exceptions:
        return {"title": event_title(event)}
    last = exceptions[-1]
    metadata = {
        "type": _str(last.get("type")) or "Error",
        "value": _truncate(_str(last.get("value")) or "", MAX_METADATA_VALUE),
    }
    frame = _crash_frame(event)
    filename = _str(frame.get("filename")) or _str(frame.get("abs_path"))
    if filename:
        metadata["filename"] = _url_path(filename)
    function = _str(frame.get("function"))
    if function and function != "?":
        metadata["function"] = function
    return metadata


def format_message(template: str, params: object) -> str | None:
    """Fill `%s`-style or `{name}`/`{}` placeholders; None when the params do not fit."""
    if isinstance(params, list | dict) and params:
        if isinstance(params, dict):
            percent = "%(" in template
        else:
            percent = any(m.group("conv") != "%" for m in _PERCENT.finditer(template))
        try:
            if percent:
                return _format_percent(template, params)
            return _format_braces(template, params)
        except (ValueError, TypeError, IndexError, KeyError, OverflowError):
            return None
    return None


def _param_text(value: object, conv: str) -> str:
    if conv in "ra":
        return repr(value)
    if isinstance(value, str):
        return value
    return "None" if value is None else str(value)


def _format_percent(template: str, params: list | dict) -> str | None:
    positional = iter(params) if isinstance(params, list) else None

    def replace(match: re.Match) -> str:
        conv = match.group("conv")
        if conv == "%":
            return "%"
        key = match.group("key")
        if key is not None:
            if not isinstance(params, dict):
                raise KeyError(key)
            value = params[key]
        elif positional is not None:
            value = next(positional)  # StopIteration -> too few params
        else:
            raise TypeError("mapping params need %(name)s placeholders")
        if conv in "diu":
            return str(int(float(value)) if isinstance(value, str) else int(value))
        if conv in "xXo":
            return format(int(value), conv)
        if conv in "eEfFgG":
            precision = min(int(match.group("prec") or 6), 20)  # widths are ignored: no padding DoS
            return format(float(value), f".{precision}{conv}")
        return _param_text(value, conv)

    try:
        result = _PERCENT.sub(replace, template)
    except StopIteration:
        return None
    if positional is not None and next(positional, _NO_PARAM) is not _NO_PARAM:
        return None  # leftover params: Python's % would reject this too
    return result


def _format_braces(template: str, params: list | dict) -> str:
    counter = iter(range(len(params)))

    def replace(match: re.Match) -> str:
        name = match.group(1)
        if isinstance(params, dict):
            return _param_text(params[name], "s") if name in params else match.group(0)
        index = int(name) if name.isdigit() else next(counter, None) if not name else None
        if index is None or index >= len(params):
            return match.group(0)
        return _param_text(params[index], "s")

    return _BRACE.sub(replace, template)


def _render_frame(frame: dict, platform: str) -> str:
    function = _str(frame.get("function"))
    location = _str(frame.get("module")) or _str(frame.get("filename"))
    location = location or _str(frame.get("abs_path"))
    if platform in _JS:
        return f"{function or '?'}({_url_path(location)})" if location else function or ""
    if platform in _NATIVE:
        return function or ""
    if location:
        return f"{location} in {function or '?'}"
    return function or ""


def _url_path(location: str) -> str:
    """`https://host/dist/bundle.js?v=1` -> `/dist/bundle.js`; other values unchanged."""
    if location.startswith(("http://", "https://")):
        try:
            return urlsplit(location).path or location
        except ValueError:
            return location
    return location


def _culprit_frames(event: dict) -> list[dict]:
    for exc in reversed(_exceptions(event)):
        frames = _frames(exc.get("stacktrace"))
        if frames:
            return frames
    frames = _frames(event.get("stacktrace"))
    if frames:
        return frames
    threads = [_frames(t.get("stacktrace")) for t in _list(event.get("threads"))]
    threads = [frames for frames in threads if frames]
    return threads[0] if len(threads) == 1 else []


def _crash_frame(event: dict) -> dict:
    exceptions = _exceptions(event)
    frames = _frames(exceptions[-1].get("stacktrace")) if exceptions else []
    in_app = [f for f in frames if f.get("in_app") is True]
    return (in_app or frames or [{}])[-1]


def _is_synthetic(exc: dict) -> bool:
    return _dict(exc.get("mechanism")).get("synthetic") is True


def _exceptions(event: dict) -> list[dict]:
    return _list(event.get("exception"))


def _frames(stacktrace: object) -> list[dict]:
    return _list(stacktrace, "frames")


def _list(container: object, key: str = "values") -> list[dict]:
    value = _dict(container).get(key)
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _dict(value: object) -> dict:
    return value if isinstance(value, dict) else {}


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _platform(event: dict) -> str:
    return _str(event.get("platform")) or "other"


def _first_line(value: object) -> str:
    if not isinstance(value, str):
        return ""
    return next((line.strip() for line in value.splitlines() if line.strip()), "")


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
