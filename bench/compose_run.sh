#!/bin/bash
# Run docker-compose.yml under Podman where there is no Docker engine, no systemd and no
# registry (this kind of VM: a Firecracker kernel, cgroup v1 with hugetlb on the v2 mount, root
# without CAP_SYS_RESOURCE, a hard RLIMIT_NOFILE of 20000). Run as root from the repository:
#   bench/compose_run.sh             # build, up, check health, send an event, stop, down -v
#   KEEP=1 bench/compose_run.sh      # leave the stack up (stop it: the `down` line printed)
# Needs Debian's podman, runc, buildah, debootstrap, curl and jq. Everything else (config,
# images, the docker-compose venv, the podman socket) goes under ENGINE_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."
ENGINE=${ENGINE_DIR:-/tmp/compose-engine}
PROJECT=${PROJECT:-aggcompose}
TAG=localhost/aggregator:dev
mkdir -p "$ENGINE"

# Workarounds, as engine config of our own (no change to /etc/containers):
# - runc, not crun: crun 1.8 refuses this hybrid cgroup layout ("cgroups in hybrid mode not
#   supported, drop all controllers from cgroupv2").
# - ulimits at most the hard limits: Podman asks for nofile 1048576 by default and, without
#   CAP_SYS_RESOURCE, the runtime cannot raise them ("setrlimit RLIMIT_NOFILE: Operation not
#   permitted").
# - a store of our own, so nothing here meets other users of /var/lib/containers.
cat > "$ENGINE/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=$(ulimit -Hn):$(ulimit -Hn)", "nproc=32768:32768"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
EOF
cat > "$ENGINE/storage.conf" <<EOF
[storage]
driver = "overlay"
graphroot = "$ENGINE/storage"
runroot = "$ENGINE/run"
EOF
export CONTAINERS_CONF=$ENGINE/containers.conf CONTAINERS_STORAGE_CONF=$ENGINE/storage.conf
export DOCKER_HOST=unix://$ENGINE/podman.sock
t0=$(date +%s.%N)
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

# Images. No registry: the base is a debootstrapped bookworm (bench/image_build.sh), and
# postgres:15 / redis:7 are stand-ins from Debian's packages under the names compose asks for.
if [ "${BUILD:-1}" = 1 ]; then
    STORAGE_DRIVER=overlay DEBIAN_BASE=$ENGINE/rootfs CA_BUNDLE=${CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt} \
        bench/image_build.sh > "$ENGINE/build.log" 2>&1 || { tail -20 "$ENGINE/build.log"; exit 1; }
fi
for svc in postgres:15 redis:7; do
    podman image exists "docker.io/library/$svc" || buildah --storage-driver overlay bud \
        --isolation chroot --format docker -f "bench/compose/${svc%%:*}.Containerfile" \
        -t "docker.io/library/$svc" bench/compose > "$ENGINE/build-${svc%%:*}.log" 2>&1
done
echo "images ready: $(since "$t0") s"

# docker-compose 1.29 (Python; the Compose v2 plugin is not packaged here) against Podman's
# Docker API. podman-compose was the other choice, but with Podman < 4.6 it skips
# `condition: service_healthy`.
if [ ! -x "$ENGINE/compose-venv/bin/docker-compose" ]; then
    python3 -m venv "$ENGINE/compose-venv"
    echo 'cython<3' > "$ENGINE/constraints.txt"  # PyYAML 5.4's build needs it
    PIP_CONSTRAINT=$ENGINE/constraints.txt "$ENGINE/compose-venv/bin/pip" install --quiet --no-warn-script-location \
        docker-compose==1.29.2 'docker==6.1.3' 'requests<2.32' 2>&1 | grep -v 'is ignored' || true  # docker 7: no ssl_version
fi
cat > "$ENGINE/override.yml" <<EOF
# The image bench/image_build.sh made, instead of compose building \`build: .\` again.
services:
  bootstrap: {image: "$TAG"}
  web: {image: "$TAG"}
  worker: {image: "$TAG"}
  workers: {image: "$TAG"}
EOF
DC=("$ENGINE/compose-venv/bin/docker-compose" --compatibility -p "$PROJECT"
    -f docker-compose.yml -f "$ENGINE/override.yml")  # --compatibility: deploy.replicas

# The Docker API on a socket of our own, and the health checks: Podman 4.3 runs them from
# systemd timers, and with no systemd they never run (every container stays "starting").
podman system service --time=0 "$DOCKER_HOST" > "$ENGINE/service.log" 2>&1 &
service=$!
bench/compose/healthchecks.sh > "$ENGINE/healthchecks.log" 2>&1 &
checks=$!
trap 'kill $checks $service 2>/dev/null || true' EXIT
for _ in $(seq 50); do [ -S "$ENGINE/podman.sock" ] && break; sleep 0.2; done

if curl -s -o /dev/null -m 2 http://127.0.0.1:8000/; then
    echo "port 8000 is taken on this host: stop what listens there first" >&2
    exit 1
fi
t1=$(date +%s.%N)
ADMIN_PASSWORD=${ADMIN_PASSWORD:-compose-run-$RANDOM$RANDOM} "${DC[@]}" up -d
echo "up -d returned: $(since "$t1") s"
status() { podman inspect --format '{{.State.Health.Status}}' "${PROJECT}_$1_1" 2>/dev/null; }
for _ in $(seq 180); do
    [ "$(status web)" = healthy ] && [ "$(status worker)" = healthy ] && break
    sleep 1
done
echo "web $(status web), worker $(status worker): $(since "$t1") s after up"
for c in postgres redis bootstrap web worker; do
    podman inspect --format "{{.Name}} started {{.State.StartedAt}} finished {{.State.FinishedAt}} exit {{.State.ExitCode}} health {{.State.Health.Status}}" \
        "${PROJECT}_${c}_1" | sed 's/ +0000 UTC//g; s/finished 0001-01-01 00:00:00 //'
done
podman ps -a --filter "label=com.docker.compose.project=$PROJECT" --format '{{.Names}} {{.Status}}'

# An event to the store endpoint with the DSN bootstrap printed, then read back by the API.
dsn=$("${DC[@]}" logs --no-color bootstrap | sed -n 's/.*DSN: *//p' | tail -1 | tr -d '\r')
key=${dsn#http://}; key=${key%%@*}; project=${dsn##*/}
event_id=$(python3 -c 'import uuid; print(uuid.uuid4().hex)')
curl -fsS -m 10 "http://127.0.0.1:8000/api/$project/store/" -H 'Content-Type: application/json' \
    -H "X-Sentry-Auth: Sentry sentry_version=7, sentry_client=compose-run/1, sentry_key=$key" \
    -d "{\"event_id\":\"$event_id\",\"message\":\"compose_run.sh $event_id\",\"level\":\"error\",\"platform\":\"other\"}"
echo
token=$(podman exec "${PROJECT}_web_1" python manage.py createtoken admin | tail -1)
api() { curl -fsS -m 10 -H "Authorization: Bearer $token" "http://127.0.0.1:8000/api/0/$1"; }
org=$(api organizations/ | jq -r '.[0].slug')
slugs=$(api "organizations/$org/projects/" | jq -r '.[0] | "\(.organization.slug)/\(.slug)"')
for _ in $(seq 30); do
    api "projects/$slugs/events/$event_id/" 2>/dev/null | jq -r '"stored: \(.eventID) \(.message // .title)"' && break
    sleep 1
done

if [ "${KEEP:-0}" = 1 ]; then
    trap - EXIT
    echo "left up; then: DOCKER_HOST=$DOCKER_HOST ${DC[*]} down -v; kill $checks $service"
    exit 0
fi
t2=$(date +%s.%N)
"${DC[@]}" stop
echo "stop: $(since "$t2") s"
podman ps -a --filter "label=com.docker.compose.project=$PROJECT" --format '{{.Names}} {{.Status}}'
for c in web worker redis postgres; do  # what did not stop by itself within the 10 s
    code=$(podman inspect --format '{{.State.ExitCode}}' "${PROJECT}_${c}_1")
    [ "$code" = 0 ] || { echo "$c exited $code; its last lines:"; podman logs --tail 15 "${PROJECT}_${c}_1"; }
done
podman logs "${PROJECT}_worker_1" 2>&1 | grep -E -m5 'Traceback|Error' || echo "worker log: no traceback"
"${DC[@]}" down -v
echo "total: $(since "$t0") s"
