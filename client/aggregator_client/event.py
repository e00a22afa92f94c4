"""LogRecord -> Sentry-format event dict (pure; no I/O beyond reading source lines)."""

from __future__ import annotations

import linecache
import logging
import os
import platform
import site
import sys
import sysconfig
import uuid

SDK_NAME = "aggregator.python.logging"
MAX_FRAMES = 100  # per exception: the oldest and newest halves are kept
MAX_CHAIN = 10
MAX_REPR = 1024
MAX_DEPTH = 8

# Attributes every LogRecord has: anything else on a record came from `extra=`.
_RESERVED = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message",
    "asctime",
    "taskName",
}
_JSON_SCALARS = (str, int, float, bool, type(None))


def level_name(levelno: int) -> str:
    if levelno >= logging.CRITICAL:
        return "fatal"
    if levelno >= logging.ERROR:
        return "error"
    if levelno >= logging.WARNING:
        return "warning"
    if levelno >= logging.INFO:
        return "info"
    return "debug"


def safe(value: object, depth: int = 0) -> object:
    """A JSON-serializable copy: containers walked (bounded), anything else repr()."""
    if isinstance(value, _JSON_SCALARS):
        return value[: MAX_REPR * 8] if isinstance(value, str) else value
    if depth < MAX_DEPTH:
        if isinstance(value, dict):
            return {str(k): safe(v, depth + 1) for k, v in list(value.items())[:200]}
        if isinstance(value, (list, tuple, set, frozenset)):
            return [safe(v, depth + 1) for v in list(value)[:200]]
    try:
        text = repr(value)
    except Exception:  # a broken __repr__ must not lose the event
        text = f"<{type(value).__name__} object>"
    return text[:MAX_REPR]


def _str(value: object) -> str:
    try:
        return str(value)
    except Exception:
        return safe(value)  # type: ignore[return-value]


class InApp:
    """Decides which frames are the application's own: by module prefix, by path."""

    def __init__(self, include=(), exclude=(), project_root: str | None = None):
        self.include = tuple(include or ())
        self.exclude = tuple(exclude or ())
        self.root = os.path.abspath(project_root) + os.sep if project_root else None
        paths = set()
        for name in ("stdlib", "platstdlib", "purelib", "platlib"):
            try:
                paths.add(sysconfig.get_paths()[name])
            except KeyError:
                pass
        try:
            paths.update(site.getsitepackages())
            paths.add(site.getusersitepackages())
        except AttributeError:  # virtualenv's old site.py
            pass
        for prefix in {sys.prefix, sys.base_prefix, sys.exec_prefix}:
            paths.add(os.path.join(prefix, "lib"))
        self.system = tuple(os.path.abspath(p) + os.sep for p in paths if p)

    @staticmethod
    def _matches(module: str, prefixes: tuple) -> bool:
        return any(module == p or module.startswith(p + ".") for p in prefixes)

    def __call__(self, module: str | None, abs_path: str | None) -> bool:
        if module and self._matches(module, self.include):
            return True
        if module and self._matches(module, self.exclude):
            return False
        if not abs_path or abs_path.startswith("<"):
            return False
        parts = abs_path.replace("\\", "/").split("/")
        if "site-packages" in parts or "dist-packages" in parts:
            return False
        if self.root is not None:
            return abs_path.startswith(self.root)
        return not abs_path.startswith(self.system)


def _filename(abs_path: str, module: str | None) -> str:
    """The path relative to its sys.path entry: `app/models.py` for module `app.models`."""
    if abs_path.startswith("<"):
        return abs_path
    segments = abs_path.replace("\\", "/").split("/")
    if module and module != "__main__" and not module.startswith("<"):
        depth = module.count(".") + 1
        if segments[-1].startswith("__init__."):
            depth += 1
        if len(segments) > depth:
            return "/".join(segments[-depth:])
    return segments[-1]


def frame_dict(frame, lineno: int, in_app: InApp, context_lines: int) -> dict:
    code = frame.f_code
    module = frame.f_globals.get("__name__")
    module = module if isinstance(module, str) else None
    path = code.co_filename
    abs_path = path if path.startswith("<") else os.path.abspath(path)
    out = {
        "filename": _filename(abs_path, module),
        "abs_path": abs_path,
        "module": module,
        "function": code.co_name,
        "lineno": lineno,
        "in_app": in_app(module, abs_path),
    }
    if context_lines and not path.startswith("<"):
        lines = linecache.getlines(path, frame.f_globals)
        if 0 < lineno <= len(lines):
            index = lineno - 1
            out["context_line"] = lines[index].rstrip("\r\n")
            start = max(0, index - context_lines)
            out["pre_context"] = [line.rstrip("\r\n") for line in lines[start:index]]
            out["post_context"] = [
                line.rstrip("\r\n") for line in lines[index + 1 : index + 1 + context_lines]
            ]
    return out


def _walk_tb(tb):
    while tb is not None:
        yield tb.tb_frame, tb.tb_lineno
        tb = tb.tb_next


def exception_chain(exc: BaseException) -> list[BaseException]:
    """The exception and its causes/contexts, oldest (root cause) first."""
    chain: list[BaseException] = []
    seen = set()
    while exc is not None and id(exc) not in seen and len(chain) < MAX_CHAIN:
        seen.add(id(exc))
        chain.append(exc)
        if exc.__cause__ is not None:
            exc = exc.__cause__
        elif exc.__context__ is not None and not exc.__suppress_context__:
            exc = exc.__context__
        else:
            exc = None  # type: ignore[assignment]
    chain.reverse()
    return chain


def exception_values(exc: BaseException, in_app: InApp, context_lines: int) -> list[dict]:
    values = []
    for item in exception_chain(exc):
        cls = type(item)
        frames = [
            frame_dict(frame, lineno, in_app, context_lines)
            for frame, lineno in _walk_tb(item.__traceback__)
        ]
        if len(frames) > MAX_FRAMES:
            frames = frames[: MAX_FRAMES // 2] + frames[-MAX_FRAMES // 2 :]
        value = {
            "type": cls.__name__,
            "value": _str(item),
            "mechanism": {"type": "logging", "handled": True},
        }
        if cls.__module__ not in ("builtins", "__builtin__", "exceptions"):
            value["module"] = cls.__module__
        if frames:
            value["stacktrace"] = {"frames": frames}
        values.append(value)
    return values


def _logentry(record: logging.LogRecord) -> dict:
    template = record.msg if isinstance(record.msg, str) else _str(record.msg)
    try:
        formatted = record.getMessage()
    except Exception:  # args that do not fit the template: keep both, raw
        formatted = f"{template} {safe(record.args)}"
    entry: dict = {"message": template, "formatted": formatted}
    args = record.args
    if isinstance(args, dict):
        entry["params"] = safe(args)
    elif args:
        entry["params"] = [safe(a) for a in args]
    return entry


def _runtime_contexts() -> dict:
    return {
        "runtime": {
            "name": platform.python_implementation(),
            "version": platform.python_version(),
        },
        "os": {"name": platform.system(), "version": platform.release()},
    }


_CONTEXTS = _runtime_contexts()


def build_event(
    record: logging.LogRecord,
    *,
    in_app: InApp,
    release: str | None = None,
    environment: str | None = None,
    server_name: str | None = None,
    tags: dict | None = None,
    context_lines: int = 5,
    project_id: int | None = None,
    sdk_version: str = "0",
) -> dict:
    event: dict = {
        "event_id": uuid.uuid4().hex,
        "timestamp": record.created,
        "platform": "python",
        "level": level_name(record.levelno),
        "logger": record.name,
        "logentry": _logentry(record),
        "contexts": _CONTEXTS,
        "sdk": {"name": SDK_NAME, "version": sdk_version},
    }
    if project_id is not None:
        event["project"] = str(project_id)  # raven's field: the UDP listener checks it
    for key, value in (("release", release), ("environment", environment)):
        if value:
            event[key] = value
    if server_name:
        event["server_name"] = server_name
    exc_info = record.exc_info
    if exc_info and isinstance(exc_info, tuple) and exc_info[1] is not None:
        event["exception"] = {"values": exception_values(exc_info[1], in_app, context_lines)}
    event_tags = dict(tags or {})
    extra = {}
    for key, value in record.__dict__.items():
        if key in _RESERVED or key.startswith("_"):
            continue
        if key == "tags" and isinstance(value, dict):
            event_tags.update(value)
        elif key == "fingerprint" and isinstance(value, (list, tuple)):
            event["fingerprint"] = [_str(v) for v in value]
        elif key == "user" and isinstance(value, dict):
            event["user"] = safe(value)
        else:
            extra[key] = safe(value)
    if event_tags:
        event["tags"] = {str(k)[:200]: _str(v)[:200] for k, v in event_tags.items()}
    extra["thread"] = record.threadName
    extra["location"] = f"{record.pathname}:{record.lineno} in {record.funcName}"
    event["extra"] = extra
    return event


def shrink(event: dict) -> dict:
    """A smaller copy for a datagram that would not fit: no source context, fewer frames."""
    small = dict(event)
    values = []
    for value in (event.get("exception") or {}).get("values", []):
        value = dict(value)
        frames = (value.get("stacktrace") or {}).get("frames")
        if frames:
            frames = frames[:10] + frames[-20:] if len(frames) > 30 else frames
            keep = ("filename", "abs_path", "module", "function", "lineno", "in_app")
            value["stacktrace"] = {
                "frames": [
                    {
                        **{k: f[k] for k in keep if k in f},
                        **(
                            {"context_line": f["context_line"][:200]} if "context_line" in f else {}
                        ),
                    }
                    for f in frames
                ]
            }
        if isinstance(value.get("value"), str):
            value["value"] = value["value"][:2048]
        values.append(value)
    if values:
        small["exception"] = {"values": values}
    small["extra"] = {k: safe(v, MAX_DEPTH - 1) for k, v in (event.get("extra") or {}).items()}
    return small
