#!/usr/bin/env bash
# Run the whole app with the embedded default (SQLite + a file-based broker under ./data):
# web server, Celery worker and beat under one supervisor. Ctrl-C stops all of it.
#
# The default layout is the lean one (README "Processes"): granian with the app loaded
# before it forks its 2 workers (aggregator/web.py), and one Celery worker (prefork, 2
# children) whose main process runs beat and the UDP listener as threads, ~240 MiB PSS in
# all. WORKER_BEAT=0 runs beat as a process of its own, WORKER_UDP_BIND= (empty) the UDP
# listener; WORKER_POOL/WORKER_CONCURRENCY set the worker's pool.
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
export WORKER_BEAT=${WORKER_BEAT:-1}
export WORKER_UDP_BIND=${WORKER_UDP_BIND-${UDP_BIND:-127.0.0.1:9001}}
# Drains wait while a burst arrives, so the edge gets the CPU (bench/README.md).
export INGEST_FIRST_ABOVE=${INGEST_FIRST_ABOVE:-2000}
python manage.py collectstatic --noinput --verbosity 0
# DATA_DIR, its secret key, migrations, admin user, demo project: before anything else runs.
# It prints where to log in and the DSN: the last lines before the processes' own output.
python manage.py bootstrap --verbosity 0
# The counters of the last run's processes (aggregator/metrics.py): a fresh start.
rm -f "${METRICS_DIR:-${DATA_DIR:-data}/metrics}"/*.db
processes="web worker"
case "$WORKER_BEAT" in
    1 | true | True | TRUE | yes | on) ;; # beat runs in the worker
    *) processes="$processes beat" ;;
esac
if [ -z "$WORKER_UDP_BIND" ]; then
    processes="$processes udp"
fi
exec honcho start -f Procfile $processes
