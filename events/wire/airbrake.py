"""Airbrake notices (v3 JSON, v2 Hoptoad XML) -> Sentry-format events (docs/protocols.md §9).

Pure: no Django. The edge converts a notice here and queues the resulting event like a store
body, so grouping, titles and the dashboard treat it exactly as an SDK event.

Airbrake and Sentry order things oppositely: `errors[0]` is the outermost error (causes
follow) and backtraces list the newest frame first; Sentry wants the root cause first and
the crashing frame last. Both lists are reversed here.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
from typing import Any

import defusedxml
import defusedxml.ElementTree as SafeElementTree

from .refusal import Refusal

MAX_ERRORS = 20
MAX_FRAMES = 250
MAX_VAR_DEPTH = 10

_LEVELS = {
    "debug": "debug",
    "info": "info",
    "notice": "info",
    "warning": "warning",
    "warn": "warning",
    "error": "error",
    "critical": "fatal",
    "alert": "fatal",
    "emergency": "fatal",
    "fatal": "fatal",
}
_PLATFORMS = (  # (pattern over context.language and the notifier's name, platform)
    (re.compile(r"python|pybrake"), "python"),
    (re.compile(r"ruby|rails|hoptoad"), "ruby"),
    (re.compile(r"\bnode"), "node"),
    (re.compile(r"javascript|\bjs\b|airbrake-js"), "javascript"),
    (re.compile(r"\bphp"), "php"),
    (re.compile(r"\bgo\b|golang|gobrake"), "go"),
    (re.compile(r"\bjava\b"), "java"),
    (re.compile(r"c#|\.net\b|csharp"), "csharp"),
    (re.compile(r"elixir"), "elixir"),
)
# Notifiers rewrite paths: pybrake /PROJECT_ROOT/… and /SITE_PACKAGES/…, airbrake-ruby
# /PROJECT_ROOT/… and /GEM_ROOT/…, airbrake-js [PROJECT_ROOT]/….
_ROOT_MARKERS = ("/PROJECT_ROOT/", "[PROJECT_ROOT]/", "[PROJECT_ROOT]")
_LIBRARY_MARKERS = (
    "/SITE_PACKAGES/", "/GEM_ROOT/", "[GEM_ROOT]", "/site-packages/", "/dist-packages/",
    "/node_modules/", "/vendor/bundle/", "/gems/",
)  # fmt: skip
_STRING_CONTEXT = (
    "environment", "version", "hostname", "url", "component", "action", "severity",
    "language", "os", "userAgent", "userAddr", "rootDirectory", "httpMethod", "referer",
    "userId", "userName", "userEmail", "userUsername", "revision",
)  # fmt: skip


# --- v3 JSON -----------------------------------------------------------------------------


def _opt_str(obj: dict, key: str, where: str) -> str | None:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise Refusal("bad_notice", f"Invalid request: {where}.{key} must be a string")
    return value


def _opt_int(obj: dict, key: str, where: str) -> int | None:
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())  # some notifiers send line numbers as strings
    if isinstance(value, bool) or not isinstance(value, int):
        raise Refusal("bad_notice", f"Invalid request: {where}.{key} must be an integer")
    return value


def _opt_dict(obj: dict, key: str, where: str) -> dict | None:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise Refusal("bad_notice", f"Invalid request: {where}{key} must be an object")
    return value


def _in_app(path: str) -> bool:
    return not any(marker in path for marker in _LIBRARY_MARKERS)


def _filename(path: str) -> str:
    for marker in _ROOT_MARKERS + ("/SITE_PACKAGES/", "/GEM_ROOT/", "[GEM_ROOT]/"):
        if path.startswith(marker):
            return path[len(marker) :].lstrip("/") or path
    return path


def _frame(raw: object, where: str) -> dict:
    if not isinstance(raw, dict):
        raise Refusal("bad_notice", f"Invalid request: {where} must be an object")
    path = _opt_str(raw, "file", where) or ""
    line = _opt_int(raw, "line", where)
    frame: dict[str, Any] = {
        "filename": _filename(path) if path else "<unknown>",
        "function": _opt_str(raw, "function", where),
        "lineno": line,
        "colno": _opt_int(raw, "column", where),
        "in_app": bool(path) and _in_app(path),
    }
    if path:
        frame["abs_path"] = path
    code = _opt_dict(raw, "code", where + ".")
    if code and line is not None:
        lines: dict[int, str] = {}
        for number, text in code.items():
            if not isinstance(text, str) or not str(number).strip().lstrip("-").isdigit():
                raise Refusal(
                    "bad_notice", f"Invalid request: {where}.code must map line numbers to strings"
                )
            lines[int(number)] = text
        if line in lines:
            frame["context_line"] = lines[line]
            frame["pre_context"] = [lines[n] for n in sorted(lines) if n < line]
            frame["post_context"] = [lines[n] for n in sorted(lines) if n > line]
    return {k: v for k, v in frame.items() if v is not None}


def _exception(raw: object, index: int) -> dict:
    where = f"errors[{index}]"
    if not isinstance(raw, dict):
        raise Refusal("bad_notice", f"Invalid request: {where} must be an object")
    exc_type = _opt_str(raw, "type", where)
    message = _opt_str(raw, "message", where)
    if not exc_type and not message:
        raise Refusal("bad_notice", f"Invalid request: {where} needs a type or a message")
    backtrace = raw.get("backtrace")
    if backtrace is None:
        backtrace = []
    if not isinstance(backtrace, list):
        raise Refusal("bad_notice", f"Invalid request: {where}.backtrace must be a list")
    frames = [_frame(f, f"{where}.backtrace[{i}]") for i, f in enumerate(backtrace[:MAX_FRAMES])]
    frames.reverse()  # Airbrake: newest first; Sentry: oldest first
    exc: dict[str, Any] = {
        "type": exc_type or "Error",
        "value": message or "",
        "mechanism": {"type": "airbrake", "handled": True},
    }
    if frames:
        exc["stacktrace"] = {"frames": frames}
    return exc


_EXTENSIONS = {".py": "python", ".rb": "ruby", ".js": "javascript", ".mjs": "javascript",
               ".ts": "javascript", ".php": "php", ".go": "go", ".java": "java", ".cs": "csharp",
               ".ex": "elixir", ".exs": "elixir"}  # fmt: skip


def _platform(language: str | None, notifier: dict, exceptions: list[dict]) -> str:
    """From context.language, else the notifier's name, else the source files' extension."""
    text = f"{language or ''} {notifier.get('name') or ''}".lower()
    for pattern, platform in _PLATFORMS:
        if pattern.search(text):
            return platform
    for exc in exceptions:
        for frame in (exc.get("stacktrace") or {}).get("frames", ()):
            _, dot, ext = frame.get("filename", "").rpartition(".")
            if dot and f".{ext}" in _EXTENSIONS:
                return _EXTENSIONS[f".{ext}"]
    return "other"


def _user(context: dict) -> dict | None:
    user = _opt_dict(context, "user", "context.")
    out = {}
    if user:
        for key in ("id", "name", "email", "username"):
            if user.get(key) not in (None, ""):
                out[key] = user[key] if isinstance(user[key], str | int) else str(user[key])
    for key, flat in (("id", "userId"), ("name", "userName"), ("email", "userEmail"),
                      ("username", "userUsername")):  # fmt: skip
        if context.get(flat) and key not in out:
            out[key] = context[flat]
    if context.get("userAddr"):
        out["ip_address"] = context["userAddr"]
    return out or None


def notice_to_event(notice: object) -> dict:
    """A v3 notice (parsed JSON) -> a Sentry event dict. Raises Refusal."""
    if not isinstance(notice, dict):
        raise Refusal("bad_notice", "Invalid request: the notice must be a JSON object")
    errors = notice.get("errors")
    if not isinstance(errors, list) or not errors:
        raise Refusal("bad_notice", "Invalid request: errors must be a non-empty list")
    exceptions = [_exception(e, i) for i, e in enumerate(errors[:MAX_ERRORS])]
    exceptions.reverse()  # errors[0] is the outermost: Sentry puts it last

    context = _opt_dict(notice, "context", "") or {}
    for key in _STRING_CONTEXT:
        value = context.get(key)
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, str | int | float)
        ):
            raise Refusal("bad_notice", f"Invalid request: context.{key} must be a string")
    context = {k: (str(v) if k in _STRING_CONTEXT and v is not None else v)
               for k, v in context.items()}  # fmt: skip
    notifier = _opt_dict(context, "notifier", "context.") or {}
    params = _opt_dict(notice, "params", "")
    session = _opt_dict(notice, "session", "")
    environment = _opt_dict(notice, "environment", "")

    event: dict[str, Any] = {
        "platform": _platform(context.get("language"), notifier, exceptions),
        "level": _LEVELS.get(str(context.get("severity") or "error").lower(), "error"),
        "exception": {"values": exceptions},
    }
    for field, key in (("environment", "environment"), ("release", "version"),
                       ("server_name", "hostname")):  # fmt: skip
        if context.get(key):
            event[field] = context[key]
    component, action = context.get("component"), context.get("action")
    if component or action:
        event["transaction"] = "#".join(p for p in (component, action) if p)
    tags = {k: context[k] for k in ("component", "action") if context.get(k)}
    if tags:
        event["tags"] = tags
    if context.get("url") or context.get("httpMethod"):
        headers = {name: context[key] for name, key in (("User-Agent", "userAgent"),
                   ("Referer", "referer")) if context.get(key)}  # fmt: skip
        request = {"url": context.get("url"), "method": context.get("httpMethod"),
                   "headers": headers, "data": params, "env": environment}  # fmt: skip
        event["request"] = {k: v for k, v in request.items() if v}
        params = environment = None
    if user := _user(context):
        event["user"] = user
    contexts = {}
    if context.get("os"):
        contexts["os"] = {"name": context["os"]}
    if context.get("language"):
        name, _, version = context["language"].partition("/")
        contexts["runtime"] = {"name": name, "version": version} if version else {"name": name}
    if contexts:
        event["contexts"] = contexts
    if notifier.get("name"):
        event["sdk"] = {"name": str(notifier["name"]), "version": str(notifier.get("version", ""))}
    used = {"environment", "version", "hostname", "component", "action", "severity", "url",
            "httpMethod", "userAgent", "referer", "user", "userId", "userName", "userEmail",
            "userUsername", "userAddr", "os", "language", "notifier"}  # fmt: skip
    extra = {"context": {k: v for k, v in context.items() if k not in used}}
    for key, value in (("params", params), ("session", session), ("environment", environment)):
        if value:
            extra[key] = value
    event["extra"] = {k: v for k, v in extra.items() if v}
    return event


# --- v2 XML (Hoptoad) --------------------------------------------------------------------


def _text(element, path: str) -> str | None:
    found = element.find(path) if element is not None else None
    if found is None or found.text is None:
        return None
    return found.text.strip() or None


def _vars(element, depth: int = 0) -> dict | None:
    """`<params><var key="a">1</var><var key="b"><var key="c">2</var></var></params>`."""
    if element is None:
        return None
    out: dict[str, Any] = {}
    for var in element.findall("var"):
        key = var.get("key")
        if key is None:
            continue
        if len(var) and depth < MAX_VAR_DEPTH:
            out[key] = _vars(var, depth + 1)
        else:
            out[key] = (var.text or "").strip()
    return out or None


def parse_xml(data: bytes) -> ElementTree.Element:
    try:
        return SafeElementTree.fromstring(data, forbid_dtd=True)
    except defusedxml.DefusedXmlException:
        raise Refusal(
            "bad_notice", "XML with a DTD or entity declarations is not accepted"
        ) from None
    except ElementTree.ParseError:
        raise Refusal("bad_xml", "The provided XML was not well-formed") from None


def xml_to_notice(data: bytes) -> tuple[str | None, dict]:
    """A v2 Hoptoad notice -> (api key, the equivalent v3 notice)."""
    root = parse_xml(data)
    if root.tag != "notice":
        raise Refusal("bad_notice", "Invalid request: the root element must be <notice>")
    error = root.find("error")
    if error is None:
        raise Refusal("bad_notice", "Invalid request: <error> is missing")
    exc_type = _text(error, "class")
    message = _text(error, "message") or ""
    if exc_type and message.startswith(exc_type + ": "):
        message = message[len(exc_type) + 2 :]  # Hoptoad notifiers prefix the class
    backtrace = []
    for line in error.findall("backtrace/line"):
        number = line.get("number")
        if number is not None and not number.strip().isdigit():
            raise Refusal("bad_notice", "Invalid request: backtrace line numbers must be integers")
        backtrace.append({"file": line.get("file"), "function": line.get("method"),
                          "line": int(number) if number else None})  # fmt: skip
    request = root.find("request")
    server = root.find("server-environment")
    user = root.find("current-user")
    context = {
        "notifier": {
            "name": _text(root, "notifier/name"),
            "version": _text(root, "notifier/version"),
            "url": _text(root, "notifier/url"),
        },
        "environment": _text(server, "environment-name"),
        "version": _text(server, "app-version"),
        "hostname": _text(server, "hostname"),
        "rootDirectory": _text(server, "project-root"),
        "url": _text(request, "url"),
        "component": _text(request, "component"),
        "action": _text(request, "action"),
    }
    if user is not None:
        context["user"] = {
            key: _text(user, key) for key in ("id", "name", "email", "username") if _text(user, key)
        }
    notice = {
        "errors": [{"type": exc_type, "message": message, "backtrace": backtrace}],
        "context": {k: v for k, v in context.items() if v},
        "params": _vars(request.find("params")) if request is not None else None,
        "session": _vars(request.find("session")) if request is not None else None,
        "environment": _vars(request.find("cgi-data")) if request is not None else None,
    }
    return _text(root, "api-key"), {k: v for k, v in notice.items() if v is not None}
