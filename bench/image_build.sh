#!/bin/sh
# Build the Docker image where there is no Docker engine, with buildah (Debian: apt-get install
# buildah), and print its size and the base's. Run as root from the repository root.
#   bench/image_build.sh                       # FROM python:3.11-slim, pulled from a registry
#   DEBIAN_BASE=/tmp/rootfs bench/image_build.sh
# DEBIAN_BASE: no registry reachable: debootstrap a bookworm with Debian's python3.11 into that
# folder (once) and import it as localhost/python:3.11-slim. Its size is close to, not equal to,
# the official image's. CA_BUNDLE: a CA file mounted over the build's own during RUN steps
# (a TLS-inspecting proxy), not copied into the image.
# vfs storage and chroot isolation: no overlay mounts, no user namespaces or cgroups needed.
# STORAGE_DRIVER=overlay: the store podman runs the image from (bench/compose_run.sh).
set -eu
TAG=${TAG:-localhost/aggregator:dev}
SD=${STORAGE_DRIVER:-vfs}
B="buildah --storage-driver $SD"
base=${PYTHON_IMAGE:-python:3.11-slim}
if [ -n "${DEBIAN_BASE:-}" ]; then
    base=localhost/python:3.11-slim
    if ! $B inspect --type image "$base" >/dev/null 2>&1; then
        [ -x "$DEBIAN_BASE/usr/bin/python3.11" ] || debootstrap --variant=minbase \
            --include=python3.11,python3-venv,python-is-python3,ca-certificates,netbase,tzdata \
            bookworm "$DEBIAN_BASE" http://deb.debian.org/debian
        # What debian:bookworm-slim leaves out: apt lists, manuals, documentation, locales.
        chroot "$DEBIAN_BASE" apt-get clean
        rm -rf "$DEBIAN_BASE"/var/lib/apt/lists/* "$DEBIAN_BASE"/usr/share/man/* \
            "$DEBIAN_BASE"/usr/share/info/* "$DEBIAN_BASE"/usr/share/locale/* "$DEBIAN_BASE"/var/log/*.log
        find "$DEBIAN_BASE"/usr/share/doc -mindepth 1 -type f ! -name copyright -delete
        tar --numeric-owner --exclude='./dev/*' -C "$DEBIAN_BASE" -c . \
            | podman --storage-driver "$SD" import --change 'ENV LANG=C.UTF-8' --change 'CMD ["python3"]' - "$base"
    fi
fi
ca=""
[ -n "${CA_BUNDLE:-}" ] && ca="--volume $CA_BUNDLE:/etc/ssl/certs/ca-certificates.crt:ro"
# docker format: the OCI format has no HEALTHCHECK.
# shellcheck disable=SC2086
$B bud --format docker --isolation chroot --layers $ca \
    --build-arg PYTHON_IMAGE="$base" \
    --build-arg VERSION="$(git describe --always)" --build-arg COMMIT="$(git rev-parse HEAD)" \
    -t "$TAG" .
$B images --format '{{.Name}}:{{.Tag}} {{.Size}}' "$TAG"
$B images --format '{{.Name}}:{{.Tag}} {{.Size}}' "$base"
# Layer by layer: the base, then the virtualenv and the code.
podman --storage-driver "$SD" history --format '{{.Size}}	{{.CreatedBy}}' "$TAG" | grep -v '^0 B' | cut -c1-100
