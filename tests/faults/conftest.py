"""Fixtures for fault-injection tests: throwaway servers and the app as real processes.

These tests never use pytest-django's test database. Every process, and every assertion,
talks to servers started here on free loopback ports, never to the machine's own
PostgreSQL or Redis.
"""

import shutil

import pytest

from .harness import Stack, ThrowawayPostgres, ThrowawayRedis, postgres_bindir


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "faults: fault injection with real processes and throwaway PostgreSQL/Redis servers",
    )


@pytest.fixture
def throwaway_postgres():
    """A fresh PostgreSQL cluster (database `aggregator`), with start()/stop()."""
    bindir = postgres_bindir()
    if bindir is None:
        pytest.skip("PostgreSQL server binaries not found under /usr/lib/postgresql")
    if shutil.which("runuser") is None:
        pytest.skip("runuser not found (needed to run initdb as the postgres user)")
    server = ThrowawayPostgres(bindir)
    try:
        server.create()
        yield server
    finally:
        server.destroy()


@pytest.fixture
def throwaway_redis(tmp_path):
    """A fresh redis-server with append-only persistence, with start()/stop()."""
    if shutil.which("redis-server") is None or shutil.which("redis-cli") is None:
        pytest.skip("redis-server / redis-cli not installed")
    server = ThrowawayRedis(tmp_path / "redis")
    try:
        server.start()
        yield server
    finally:
        server.kill()


@pytest.fixture
def make_stack(tmp_path):
    """make_stack(env, worker=True, beat=True, servers=(), concurrency=2) -> a running Stack.

    Migrates and creates the project `faults/faults` with manage.py, then starts granian,
    a Celery worker (unless worker=False) and Celery beat. `servers` are throwaway
    servers whose logs are added to failure messages. Everything is stopped at teardown.
    """
    stacks = []

    def make(
        env: dict, worker: bool = True, beat: bool = True, servers=(), concurrency: int = 2
    ) -> Stack:
        stack = Stack(
            tmp_path / f"stack{len(stacks)}", env, extra_logs=[s.log_tail for s in servers]
        )
        stacks.append(stack)
        stack.setup()
        stack.start_web()
        if beat:
            stack.start_beat()
        if worker:
            stack.start_worker(concurrency=concurrency)
        return stack

    try:
        yield make
    finally:
        for stack in stacks:
            stack.stop()


@pytest.fixture
def server_stack(throwaway_postgres, throwaway_redis, make_stack):
    """The production shape: PostgreSQL + Redis (ingest queue, cache and Celery broker).

    The servers are requested first so that teardown, which runs in reverse, stops the
    app's processes before their servers."""
    env = {
        "DATABASE_URL": throwaway_postgres.url,
        "REDIS_URL": throwaway_redis.url,
        "CELERY_BROKER_URL": throwaway_redis.url,
    }

    def make(**kwargs) -> Stack:
        return make_stack(env, servers=(throwaway_postgres, throwaway_redis), **kwargs)

    return make
