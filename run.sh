#!/usr/bin/env bash
# Run the whole app with the embedded default (SQLite + a file-based broker under ./data):
# web server, Celery worker and beat under one supervisor. Ctrl-C stops all of it.
#
# The default layout is the lean one (README "Processes"): granian, and one Celery worker
# (solo pool) that runs beat and the UDP listener as threads of its own, ~300 MiB PSS in
# all. WORKER_BEAT=0 runs beat as a process of its own, WORKER_UDP_BIND= (empty) the UDP
# listener; WORKER_POOL/WORKER_CONCURRENCY give the worker more processes.
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
export WORKER_BEAT=${WORKER_BEAT:-1}
export WORKER_UDP_BIND=${WORKER_UDP_BIND-${UDP_BIND:-127.0.0.1:9001}}
# One worker: drains wait while a burst arrives, so the edge gets the CPU (bench/README.md).
export INGEST_FIRST_ABOVE=${INGEST_FIRST_ABOVE:-2500}
# DATA_DIR, its secret key, migrations, admin user, demo project: before anything else runs.
python manage.py bootstrap
python manage.py collectstatic --noinput --verbosity 0
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
