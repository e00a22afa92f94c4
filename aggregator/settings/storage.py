"""Static files and source maps: where files go."""

from pathlib import Path

from whitenoise.compress import Compressor

from .base import DATA_DIR, env

STATIC_URL = "static/"
# Made by collectstatic: ./run.sh's in DATA_DIR, the Docker image's at build time (STATIC_ROOT).
STATIC_ROOT = Path(env("STATIC_ROOT", default=str(DATA_DIR / "static")))
# Serve app static files even where collectstatic has not run (tests, a fresh checkout).
WHITENOISE_USE_FINDERS = True
# Source maps (7 of Swagger UI's and ReDoc's 11 MB) are read by browser dev tools only:
# compressing them took most of a first start's collectstatic.
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = [*Compressor.SKIP_COMPRESS_EXTENSIONS, "map"]

# --- Source maps (sourcemaps/): chunks, bundles and release files go through Django's storage
# API: a folder under DATA_DIR, or any django-storages backend (SOURCEMAP_STORAGE_BACKEND and
# its options as JSON, e.g. {"bucket_name": "maps"}). The limits are announced to sentry-cli
# by the chunk-upload options and enforced on arrival and when a bundle is assembled. Chunks
# expire on beat's schedule (worker.py).
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "aggregator.staticstorage.StaticFilesStorage"},
    "sourcemaps": {
        "BACKEND": env(
            "SOURCEMAP_STORAGE_BACKEND", default="django.core.files.storage.FileSystemStorage"
        ),
        "OPTIONS": env.json("SOURCEMAP_STORAGE_OPTIONS", default={})
        or {"location": str(DATA_DIR / "sourcemaps")},
    },
}
SOURCEMAP_CHUNK_SIZE = env.int("SOURCEMAP_CHUNK_SIZE", default=8 * 1024 * 1024)
SOURCEMAP_CHUNKS_PER_REQUEST = env.int("SOURCEMAP_CHUNKS_PER_REQUEST", default=16)
SOURCEMAP_MAX_REQUEST_SIZE = env.int("SOURCEMAP_MAX_REQUEST_SIZE", default=32 * 1024 * 1024)
SOURCEMAP_MAX_BUNDLE_SIZE = env.int("SOURCEMAP_MAX_BUNDLE_SIZE", default=256 * 1024 * 1024)
SOURCEMAP_MAX_UNCOMPRESSED = env.int("SOURCEMAP_MAX_UNCOMPRESSED", default=512 * 1024 * 1024)
SOURCEMAP_MAX_FILE_SIZE = env.int("SOURCEMAP_MAX_FILE_SIZE", default=40 * 1024 * 1024)
SOURCEMAP_MAX_ENTRIES = env.int("SOURCEMAP_MAX_ENTRIES", default=10000)
# What 2.x may use ("release_files", "artifact_bundles"): both, so it sends artifact bundles.
SOURCEMAP_ACCEPT = env.list("SOURCEMAP_ACCEPT", default=["release_files", "artifact_bundles"])
SOURCEMAP_CACHE_BYTES = env.int("SOURCEMAP_CACHE_BYTES", default=256 * 1024 * 1024)  # per worker
