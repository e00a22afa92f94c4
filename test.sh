#!/usr/bin/env bash
# Run the whole test suite. With no DATABASE_URL/REDIS_URL set it uses the embedded default
# (SQLite, file broker); set them to run against PostgreSQL and Redis. Extra args go to pytest.
set -euo pipefail
cd "$(dirname "$0")"
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
if [ ! -f .venv/.installed-dev ] || [ pyproject.toml -nt .venv/.installed-dev ]; then
    .venv/bin/pip install --quiet --upgrade pip
    .venv/bin/pip install --quiet -e '.[dev]'
    touch .venv/.installed-dev
fi
# The packages some tests drive (pip and npm), into .venv/extra once; offline this only warns.
.venv/bin/python tests/support/extra_packages.py || echo "WARNING: preparing .venv/extra failed" >&2
# The embedded default spreads the tests over pytest-xdist processes (TEST_PROCESSES, 2), each
# with a DATA_DIR of its own; against PostgreSQL + Redis they would share the Redis database,
# so one. `-n N` or `-p no:xdist` on the command line decides instead.
xdist=(-n "${TEST_PROCESSES:-2}")
if [ -n "${DATABASE_URL:-}${REDIS_URL:-}" ]; then xdist=(); fi
for arg in "$@"; do
    case "$arg" in -n | -n[0-9]* | --numprocesses | --numprocesses=* | no:xdist) xdist=() ;; esac
done
exec .venv/bin/python -m pytest "${xdist[@]}" "$@"
