#!/bin/bash
# Podman 4.3 runs HEALTHCHECKs from systemd timers. With no systemd (this VM, most CI
# containers) they never run and every container stays "starting", so `depends_on:
# condition: service_healthy` waits forever. This loop runs each running container's check
# at its own interval (podman applies timeout, retries and start period) until killed.
set -u
declare -A due
list=$(mktemp)
trap 'rm -f "$list"' EXIT
trap exit TERM INT
while :; do
    now=$(date +%s)
    ids=$(podman ps -q --no-trunc)
    if [ -n "$ids" ]; then
        # shellcheck disable=SC2086
        podman inspect --format '{{.Id}} {{json .Config.Healthcheck}}' $ids 2>/dev/null |
            while read -r id hc; do
                case $hc in null | "{}" | *'"NONE"'*) continue ;; esac  # none, or disabled
                interval=$(sed -n 's/.*"Interval":\([0-9]*\).*/\1/p' <<<"$hc")
                echo "$id $(( ${interval:-30000000000} / 1000000000 ))"
            done > "$list"
        while read -r id every; do
            # Docker's first check comes one interval after the start, too.
            [ -z "${due[$id]:-}" ] && due[$id]=$((now + every))
            if [ "${due[$id]}" -le "$now" ]; then
                due[$id]=$((now + every))
                podman healthcheck run "$id" >/dev/null 2>&1 &
            fi
        done < "$list"
    fi
    sleep 1
done
