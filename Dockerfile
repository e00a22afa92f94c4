# syntax=docker/dockerfile:1
# The image: dependencies and static files made in a build stage, copied into a slim final
# stage that runs as a non-root user with no compilers or build caches.
#   docker build --build-arg VERSION=$(git describe --always) --build-arg COMMIT=$(git rev-parse HEAD) -t aggregator .
ARG PYTHON_IMAGE=python:3.11-slim

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1
WORKDIR /app
# binutils for strip (this stage only): some wheels ship their libraries with debug info
# (symbolic's alone is 78 MB, 6.5 MB stripped).
RUN apt-get update && apt-get install -y --no-install-recommends binutils \
    && rm -rf /var/lib/apt/lists/*
RUN python -m venv /venv
# Dependencies first: a change to the code alone reuses this layer.
COPY pyproject.toml ./
RUN mkdir aggregator && touch aggregator/__init__.py \
    && /venv/bin/pip install . && /venv/bin/pip uninstall --yes aggregator \
    && find /venv -name '*.so*' -type f | while read -r lib; do \
         if readelf -S "$lib" 2>/dev/null | grep -q '[.]debug_info'; then strip --strip-debug "$lib"; fi; \
       done
COPY . .
# Editable: templates, migrations and static files stay in the app folders where Django finds
# them, at the same path (/app) in the final stage.
RUN /venv/bin/pip install --no-deps -e . \
    && SECRET_KEY=collectstatic-only DATA_DIR=/tmp/data STATIC_ROOT=/app/staticfiles \
       /venv/bin/python manage.py collectstatic --noinput --verbosity 0 \
    && /venv/bin/python -m compileall -q /app /venv/lib \
    && /venv/bin/pip uninstall --yes pip setuptools

FROM ${PYTHON_IMAGE}
ARG VERSION=unknown
ARG COMMIT=unknown
LABEL org.opencontainers.image.title="aggregator" \
      org.opencontainers.image.description="Self-hosted error event aggregator, wire-compatible with Sentry SDKs" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${COMMIT}"
ENV PATH=/venv/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 \
    DATA_DIR=/data STATIC_ROOT=/app/staticfiles AGGREGATOR_VERSION=${VERSION}
# The base's own pip (python:3.11-slim has one; a Debian python has none) goes too.
RUN (python -m pip uninstall --yes --quiet pip setuptools wheel 2>/dev/null || true) \
    && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin aggregator \
    && mkdir /data && chown aggregator /data
COPY --from=build /venv /venv
COPY --from=build /app /app
WORKDIR /app
USER aggregator
VOLUME /data
EXPOSE 8000 9001/udp
# Liveness only: readiness (/-/ready/) is for a load balancer and docker-compose.yml.
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/-/health/', timeout=4)"]
CMD ["granian", "--interface", "wsgi", "--host", "0.0.0.0", "--port", "8000", "--workers", "2", "--blocking-threads", "3", "--no-ws", "aggregator.wsgi:application"]
