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
exec .venv/bin/python -m pytest "$@"
