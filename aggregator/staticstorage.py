"""whitenoise's compressed static files, without compressing again what has not changed.

`./run.sh` collects static files at every start, and whitenoise compresses every file each
time (brotli at its best quality: over a minute of CPU for Swagger UI and the admin on a
busy box). whitenoise stamps each `.br`/`.gz` with its source file's mtime, and collectstatic
copies only changed files, so a compressed file with its source's mtime is still good.
"""

import os

from whitenoise.compress import Compressor
from whitenoise.storage import CompressedStaticFilesStorage


class FreshCompressor(Compressor):
    def compress(self, path):
        done = self._up_to_date(path)
        return done if done is not None else super().compress(path)

    def _up_to_date(self, path) -> list[str] | None:
        """The existing compressed files when they were made from this very file."""
        first = path + (".br" if self.use_brotli else ".gz")
        try:
            mtime = os.stat(path).st_mtime
            if os.stat(first).st_mtime != mtime:
                return None
        except OSError:
            return None
        return [
            p
            for p in (path + ".br", path + ".gz")
            if os.path.exists(p) and (self.use_brotli or p == first)
        ]


class StaticFilesStorage(CompressedStaticFilesStorage):
    def create_compressor(self, **kwargs) -> Compressor:
        return FreshCompressor(**kwargs)
