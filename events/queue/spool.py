"""A local spool for accepted payloads while the ingest queue is unreachable.

One file per payload, written to a temporary name and renamed into place, so a reader
never sees half a record and no locking is needed. Replaying pushes each file to the
queue and deletes it; a file replayed twice (two replayers, a crash in between) is
harmless because storage is exactly once by event id. Files survive a process crash;
they are not fsynced, so a power loss can lose the last second of them.
"""

import itertools
import logging
import os
import time
from pathlib import Path

from . import QueuedPayload

log = logging.getLogger(__name__)
_HEADER = 4  # big-endian length of the metadata that precedes the body
_counter = itertools.count()


class Spool:
    def __init__(self, directory: Path):
        self.directory = Path(directory)
        self.tmp = self.directory / "tmp"

    def append(self, payload: QueuedPayload) -> None:
        self.tmp.mkdir(parents=True, exist_ok=True)
        name = f"{time.time_ns():020d}-{os.getpid()}-{next(_counter)}.payload"
        meta = payload.encode_meta()
        tmp_path = self.tmp / name
        with open(tmp_path, "wb") as f:
            f.write(len(meta).to_bytes(_HEADER, "big"))
            f.write(meta)
            f.write(payload.body)
        os.replace(tmp_path, self.directory / name)

    def files(self) -> list[Path]:
        if not self.directory.is_dir():
            return []
        return sorted(self.directory.glob("*.payload"))

    def __len__(self) -> int:
        return len(self.files())

    def replay(self, push, limit: int | None = None) -> int:
        """Push spooled payloads (oldest first) until done, `limit` or a push fails."""
        done = 0
        for path in self.files()[:limit]:
            try:
                data = path.read_bytes()
            except FileNotFoundError:  # another replayer took it
                continue
            size = int.from_bytes(data[:_HEADER], "big")
            try:
                payload = QueuedPayload.decode(
                    data[_HEADER : _HEADER + size], data[_HEADER + size :]
                )
            except (ValueError, TypeError):
                log.error("unreadable spool file %s left in place", path)
                path.rename(path.with_suffix(".bad"))
                continue
            push(payload)  # raises while the queue is still away: stop, keep the rest
            path.unlink(missing_ok=True)
            done += 1
        return done
