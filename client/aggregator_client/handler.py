"""The logging handler: builds the event in the caller's thread, hands it to a transport."""

from __future__ import annotations

import logging
import os
import socket
import threading

from . import event as _event
from .transport import Counters, Dsn, HttpTransport, UdpTransport

__version__ = "0.1.0"
CLIENT = f"aggregator-client/{__version__}"


def _env(*names: str) -> str | None:
    for name in names:
        if os.environ.get(name):
            return os.environ[name]
    return None


class AggregatorHandler(logging.Handler):
    """Sends log records as Sentry-format events; never blocks or raises into the caller.

    `dsn`: `udp://key@host:port/project` or `http(s)://key@host[:port][/prefix]/project`;
    default `AGGREGATOR_DSN`, then `SENTRY_DSN`; with neither the handler does nothing.
    """

    def __init__(
        self,
        dsn: str | None = None,
        level: int | str = logging.NOTSET,
        *,
        release: str | None = None,
        environment: str | None = None,
        server_name: str | None = None,
        tags: dict | None = None,
        in_app_include=(),
        in_app_exclude=(),
        project_root: str | None = None,
        context_lines: int = 5,
        queue_size: int = 1000,
        timeout: float = 5.0,
        shutdown_timeout: float = 2.0,
        endpoint: str = "envelope",
    ):
        super().__init__(level)
        dsn = dsn or _env("AGGREGATOR_DSN", "SENTRY_DSN")
        # not `self.release`: that is the lock method of logging.Handler
        self.release_name = release or _env("AGGREGATOR_RELEASE", "SENTRY_RELEASE")
        self.environment = environment or _env("AGGREGATOR_ENVIRONMENT", "SENTRY_ENVIRONMENT")
        try:
            self.server_name = server_name or socket.gethostname()
        except OSError:
            self.server_name = None
        self.tags = dict(tags or {})
        self.in_app = _event.InApp(in_app_include, in_app_exclude, project_root)
        self.context_lines = context_lines
        self.shutdown_timeout = shutdown_timeout
        self.counters = Counters()
        self._local = threading.local()
        self.dsn = Dsn(dsn) if dsn else None  # a malformed DSN is a configuration error: raise
        self.transport: UdpTransport | HttpTransport | None = None
        if self.dsn is None:
            return
        if self.dsn.scheme == "udp":
            self.transport = UdpTransport(self.dsn, self.counters, CLIENT, shrink=_event.shrink)
        else:
            self.transport = HttpTransport(
                self.dsn, self.counters, CLIENT,
                queue_size=queue_size, timeout=timeout, endpoint=endpoint,
            )  # fmt: skip

    def build_event(self, record: logging.LogRecord) -> dict:
        return _event.build_event(
            record,
            in_app=self.in_app,
            release=self.release_name,
            environment=self.environment,
            server_name=self.server_name,
            tags=self.tags,
            context_lines=self.context_lines,
            project_id=self.dsn.project_id if self.dsn else None,
            sdk_version=__version__,
        )

    def emit(self, record: logging.LogRecord) -> None:
        transport = self.transport
        if transport is None or getattr(self._local, "busy", False):
            return  # no DSN, or a record logged while sending one (no loops)
        if record.name.startswith("aggregator_client") or (
            isinstance(transport, HttpTransport) and threading.current_thread() is transport.thread
        ):
            return
        self._local.busy = True
        try:
            transport.send(self.build_event(record))
        except Exception:  # never into the application
            self.counters.add("errors")
        finally:
            self._local.busy = False

    def stats(self) -> dict[str, int]:
        """sent, dropped_queue_full, dropped_send_error, dropped_rate_limited, errors, …"""
        return self.counters.snapshot()

    def flush(self, timeout: float | None = None) -> bool:
        """Wait (at most `timeout`, default shutdown_timeout) until queued events are sent."""
        if self.transport is None:
            return True
        try:
            done = self.transport.flush(self.shutdown_timeout if timeout is None else timeout)
        except Exception:
            done = False
        self._flush_failed = not done
        return done

    def close(self) -> None:
        # logging.shutdown() calls flush() then close(): wait once, not twice.
        timeout = 0.0 if getattr(self, "_flush_failed", False) else self.shutdown_timeout
        try:
            if self.transport is not None:
                self.transport.close(timeout)
        except Exception:
            pass
        super().close()
