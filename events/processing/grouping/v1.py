"""Grouping v1: an approximation of Sentry's `newstyle:2023-01-11` (docs/protocols.md §7).

Frozen: issues grouped by v1 keep their hashes only while this module behaves the same
(tests/events/processing/test_grouping.py checks the corpus against its recorded hashes). A change
of grouping is a new module, v2.py, that starts as a copy of this one.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable

_JS = frozenset({"javascript", "node"})
_CONTEXT_PLATFORMS = frozenset({"javascript", "node", "python", "php", "ruby"})
_MAX_CONTEXT_LINE = 120
_RECURSION_KEYS = ("abs_path", "package", "module", "filename", "function", "lineno", "colno")
_NO_FUNCTION = frozenset({"?", "<unknown>", "<redacted>", "<anonymous>", "Anonymous function"})
_JS_SKIP_PATHS = frozenset({"[native code]", "eval code", "<anonymous>"})
_JAVA_CODEGEN = re.compile(
    r"\$\$(?:EnhancerBy|FastClassBy)\w*CGLIB\$\$\w+|\$\$_javassist_\w+|\$HibernateProxy\$\w+"
)
_JAVA_NUMBERED = re.compile(r"(Generated\w*Accessor|\$Proxy)\d+")
_DOTNET_NUMBERED = re.compile(r"(__|DisplayClass)\d+(?:_\d+)?")
_JS_AS_ALIAS = re.compile(r"\s*\[as [^\]]*\]$")
_PHP_ANON_CLASS = re.compile(r"class@anonymous.*?(?=::|$)")
_VARIABLE = re.compile(r"\{\{\s*(\S+?)\s*\}\}")
_IPV6 = re.compile(r"(?<![\w:.])(?:[0-9a-fA-F]{0,4}:){2,7}[0-9a-fA-F]{0,4}(?![\w:])")
_MONTHS = "Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec"
_VALUES = re.compile(
    rf"""
    (?P<email>(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+)
    |(?P<url>\b(?:wss?|https?|ftp)://[^\s'"<>]+)
    |(?P<ip>(?<![\w.])(?:\d{{1,3}}\.){{3}}\d{{1,3}}(?!\w|\.\d))
    |(?P<uuid>\b[0-9a-fA-F]{{8}}-(?:[0-9a-fA-F]{{4}}-){{3}}[0-9a-fA-F]{{12}}\b)
    |(?P<sha1>\b[0-9a-fA-F]{{40}}\b)
    |(?P<md5>\b[0-9a-fA-F]{{32}}\b)
    |(?P<date>
        \b\d{{4}}-\d{{2}}-\d{{2}}(?:[T\ ]\d{{2}}:\d{{2}}(?::\d{{2}}(?:[.,]\d+)?)?
            (?:\ ?(?:Z|[+-]\d{{2}}:?\d{{2}}))?)?
        |\b(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun),\ ?)?\d{{1,2}}\ (?:{_MONTHS})\ \d{{2,4}}
            \ \d{{2}}:\d{{2}}(?::\d{{2}})?(?:\ (?:[+-]\d{{4}}|[A-Z]{{2,4}}))?
        |\bdatetime\.datetime\([^()]{{0,200}}\)
    )
    |(?P<hex>\b0[xX][0-9a-fA-F]+\b)
    |(?P<float>(?<![\w.])-?\d+\.\d+)
    |(?P<int>(?<!\w)-?\d+)
    |(?P<quoted_str>='[^'\n]*')
    """,
    re.VERBOSE,
)


def components(event: dict) -> tuple[str, ...]:
    """The values that make the group hash: strategy name first, then what contributes."""
    default = _default(event)
    fingerprint = event.get("fingerprint")
    if not isinstance(fingerprint, list) or not fingerprint:
        return default
    entries = [_resolve_variable(str(entry), event) for entry in fingerprint]
    if None in entries:  # hybrid: "{{ default }}" plus extra entries
        return default + tuple(e for e in entries if e is not None)
    return ("fingerprint", *entries)


def _default(event: dict) -> tuple[str, ...]:
    platform = _str(event.get("platform")) or "other"
    exceptions = _list(event.get("exception"), "values")
    if exceptions:
        values = _exception_chain(exceptions, platform)
        if values:
            return ("exception", *values)
    stacks = [_list(t.get("stacktrace"), "frames") for t in _list(event.get("threads"))]
    stacks = [frames for frames in stacks if frames]
    if not exceptions and len(stacks) == 1:
        values = _pick_variant(stacks, platform)[0]
        if values:
            return ("threads", *values)
    frames = _list(event.get("stacktrace"), "frames")
    if frames:
        values = _pick_variant([frames], platform)[0]
        if values:
            return ("stacktrace", *values)
    logentry = event.get("logentry") if isinstance(event.get("logentry"), dict) else {}
    message = _str(logentry.get("message")) or _str(logentry.get("formatted"))
    if message and message.strip():
        return ("message", _normalize_value(message))
    return ("fallback",)  # nothing to group by: all such events share one issue


def _exception_chain(exceptions: list[dict], platform: str) -> list[str]:
    """Every exception contributes: [frames…, type, value if no frame contributed]."""
    stacks = [_list(exc.get("stacktrace"), "frames") for exc in exceptions]
    per_exception = _pick_variant(stacks, platform)
    values: list[str] = []
    for exc, frame_values in zip(exceptions, per_exception, strict=True):
        values.extend(frame_values)
        mechanism = exc.get("mechanism") if isinstance(exc.get("mechanism"), dict) else {}
        exc_type = _str(exc.get("type"))
        if exc_type and mechanism.get("synthetic") is not True:
            values.append(exc_type)
        exc_value = _str(exc.get("value"))
        if not frame_values and exc_value and exc_value.strip():
            values.append(_normalize_value(exc_value))
    return values


def _pick_variant(stacks: list[list], platform: str) -> list[list[str]]:
    """App variant (in-app frames only) if it contributes anything, else the system variant."""
    app = [_frames(frames, platform, app_only=True) for frames in stacks]
    if any(app):
        return app
    return [_frames(frames, platform, app_only=False) for frames in stacks]


def _frames(frames: list, platform: str, *, app_only: bool) -> list[str]:
    values: list[str] = []
    previous = None
    for frame in frames:
        if not isinstance(frame, dict):
            continue
        identity = tuple(frame.get(k) for k in _RECURSION_KEYS)
        if identity == previous:  # recursion: the same frame again adds nothing
            continue
        previous = identity
        if app_only and frame.get("in_app") is not True:
            continue
        values.extend(_frame_values(frame, _str(frame.get("platform")) or platform))
    return values


def _frame_values(frame: dict, platform: str) -> list[str]:
    abs_path = _str(frame.get("abs_path")) or _str(frame.get("filename"))
    if platform in _JS and (frame.get("function") == "eval" or abs_path in _JS_SKIP_PATHS):
        return []
    if _str(frame.get("module")):
        location = _module(frame["module"], platform)
    else:
        location = _filename(frame)
    function = _function(_str(frame.get("function")), platform)
    context = _context_line(frame.get("context_line"), platform)
    values = [v for v in (location, function, context) if v]
    lineno = frame.get("lineno")
    bare = frame.get("function") in (None, "", "?") and not frame.get("context_line")
    if location and bare and isinstance(lineno, int):
        # Legacy fallback (Sentry's legacy config, not newstyle): a frame sent with neither
        # function nor source line has only its line number to tell two spots in a file apart.
        values.append(str(lineno))
    return values


def _module(module: str, platform: str) -> str | None:
    if platform == "java":
        if "$$Lambda$" in module:
            return None
        module = _JAVA_NUMBERED.sub(r"\1", _JAVA_CODEGEN.sub("", module))
    elif platform == "csharp":
        module = _DOTNET_NUMBERED.sub(r"\1", module)
    return module or None


def _filename(frame: dict) -> str | None:
    paths = [_str(frame.get("abs_path")), _str(frame.get("filename"))]
    for path in paths:
        if path and (path.startswith(("http://", "https://")) or path in _JS_SKIP_PATHS):
            return None
    path = paths[1] or paths[0]
    if not path:
        return None
    return re.split(r"[/\\]", path)[-1].lower() or None


def _function(function: str | None, platform: str) -> str | None:
    if not function or function in _NO_FUNCTION:
        return None
    if platform in _JS:
        function = _JS_AS_ALIAS.sub("", function)
        for prefix in ("async ", "new "):
            function = function.removeprefix(prefix)
        if function.endswith("/<"):  # Firefox names for anonymous inner functions
            return None
        function = function.rsplit(".", 1)[-1]
    elif platform == "java" and function.startswith("lambda$"):
        return None
    elif platform == "ruby" and function.startswith("block "):
        function = "block"  # "block (2 levels) in foo" -> nesting depth is noise
    elif platform == "php":
        if "{closure}" in function:
            return None
        function = _PHP_ANON_CLASS.sub("class@anonymous", function)
    elif platform == "csharp":
        function = _DOTNET_NUMBERED.sub(r"\1", function)
    return function if function not in _NO_FUNCTION else None


def _context_line(line: object, platform: str) -> str | None:
    if platform not in _CONTEXT_PLATFORMS or not isinstance(line, str):
        return None
    if len(line) > _MAX_CONTEXT_LINE:  # minified or generated code: too unstable
        return None
    return " ".join(line.replace("\t", "  ").split()) or None


def _normalize_value(text: str) -> str:
    """Replace the variable parts of a message or exception value (§7.5)."""
    lines = [line for line in text.splitlines() if line.strip()]
    text = "\n".join(lines[:2]) + ("..." if len(lines) > 2 else "")
    text = _IPV6.sub(_ipv6, text)
    return _VALUES.sub(_placeholder, text)


def _ipv6(match: re.Match) -> str:
    candidate = match.group(0)
    try:
        ipaddress.IPv6Address(candidate)
    except ValueError:
        return candidate
    # "Foo::Bad" parses too; a real address almost always has a digit.
    return "<ip>" if any(c.isdigit() for c in candidate) else candidate


def _placeholder(match: re.Match) -> str:
    return "=<quoted_str>" if match.lastgroup == "quoted_str" else f"<{match.lastgroup}>"


def _resolve_variable(entry: str, event: dict) -> str | None:
    """Value of a fingerprint entry; None stands for {{ default }}."""
    match = _VARIABLE.fullmatch(entry)
    if not match:
        return entry
    raw_name = match.group(1)
    name = raw_name.lower()
    if name == "default":
        return None
    exceptions = _list(event.get("exception"), "values")
    last = exceptions[-1] if exceptions else {}
    logentry = event.get("logentry") if isinstance(event.get("logentry"), dict) else {}
    if name.startswith("tags."):
        key = raw_name[5:]
        pairs = [p for p in event.get("tags") or [] if isinstance(p, list) and len(p) == 2]
        return next((v for k, v in pairs if k == key), "<no-value-for-tag-key>")
    lookups: dict[str, Callable[[], object]] = {
        "transaction": lambda: event.get("transaction"),
        "message": lambda: (
            _str(logentry.get("formatted")) or _str(logentry.get("message")) or last.get("value")
        ),
        "type": lambda: last.get("type"),
        "value": lambda: last.get("value"),
        "function": lambda: _crash_frame(event).get("function"),
        "abs_path": lambda: _crash_frame(event).get("abs_path"),
        "filename": lambda: _crash_frame(event).get("filename"),
        "module": lambda: _crash_frame(event).get("module"),
        "package": lambda: re.split(r"[/\\]", _crash_frame(event).get("package") or "")[-1],
        "level": lambda: event.get("level"),
        "logger": lambda: event.get("logger"),
    }
    key = _VARIABLE_ALIASES.get(name, name)
    if key not in lookups:
        return entry  # unknown variables stay literal (Sentry's 2023 behaviour)
    value = _str(lookups[key]())
    return value if value else f"<no-{key.replace('_', '-')}>"


_VARIABLE_ALIASES = {
    "error.type": "type",
    "error.value": "value",
    "stack.function": "function",
    "path": "abs_path",
    "stack.abs_path": "abs_path",
    "stack.filename": "filename",
    "stack.module": "module",
    "stack.package": "package",
}


def _crash_frame(event: dict) -> dict:
    exceptions = _list(event.get("exception"), "values")
    if exceptions:
        frames = _list(exceptions[-1].get("stacktrace"), "frames")
    else:
        frames = _list(event.get("stacktrace"), "frames")
    frames = [f for f in frames if isinstance(f, dict)]
    in_app = [f for f in frames if f.get("in_app") is True]
    return (in_app or frames or [{}])[-1]


def _list(container: object, key: str = "values") -> list:
    value = container.get(key) if isinstance(container, dict) else None
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None
