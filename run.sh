#!/usr/bin/env bash
# Run the whole app with the embedded default (SQLite + a file-based broker under ./data):
# web server, Celery worker and beat under one supervisor. Ctrl-C stops all of it.
set -euo pipefail
cd "$(dirname "$0")"
PYTHON=${PYTHON:-python3}
# A taken port stops the start here, with one line naming the variable that changes it:
# granian's SO_REUSEPORT would otherwise share the port with another instance.
"$PYTHON" aggregator/ports.py
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
installed() {  # a venv ./test.sh made (.installed-dev) has all that ./run.sh needs too
    local stamp
    for stamp in .venv/.installed .venv/.installed-dev; do
        if [ -f "$stamp" ] && [ ! pyproject.toml -nt "$stamp" ]; then return 0; fi
    done
    return 1
}
if ! installed; then
    echo "Installing into .venv (the first time takes a minute or two; log in .venv/install.log)"
    if ! { .venv/bin/pip install --upgrade pip && .venv/bin/pip install -e .; } >.venv/install.log 2>&1; then
        tail -n 30 .venv/install.log >&2
        echo "Installing failed: the whole log is in .venv/install.log" >&2
        exit 1
    fi
    touch .venv/.installed
fi
export PATH="$PWD/.venv/bin:$PATH"
python manage.py collectstatic --noinput --verbosity 0
# DATA_DIR, its secret key, migrations, admin user, demo project: before anything else runs.
# It prints where to log in and the DSN: the last lines before the processes' own output.
python manage.py bootstrap --verbosity 0
case "${WORKER_BEAT:-}" in
    1 | true | True | TRUE | yes | on) exec honcho start -f Procfile web worker udp ;; # beat runs in the worker
    *) exec honcho start -f Procfile ;;
esac
