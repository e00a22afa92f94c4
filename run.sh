#!/usr/bin/env bash
# Run the whole app with the embedded default (SQLite + a file-based broker under ./data):
# web server, Celery worker and beat under one supervisor. Ctrl-C stops all of it.
set -euo pipefail
cd "$(dirname "$0")"
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
if [ ! -f .venv/.installed ] || [ pyproject.toml -nt .venv/.installed ]; then
    .venv/bin/pip install --quiet --upgrade pip
    .venv/bin/pip install --quiet -e .
    touch .venv/.installed
fi
export PATH="$PWD/.venv/bin:$PATH"
# DATA_DIR, its secret key, migrations, admin user, demo project: before anything else runs.
python manage.py bootstrap
python manage.py collectstatic --noinput --verbosity 0
case "${WORKER_BEAT:-}" in
    1 | true | True | TRUE | yes | on) exec honcho start -f Procfile web worker udp ;; # beat runs in the worker
    *) exec honcho start -f Procfile ;;
esac
