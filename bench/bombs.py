"""What a compression bomb costs the edge: time and peak memory to refuse one.

    python bench/bombs.py [--rounds 5]

Each bomb is 200 MiB of zeros compressed (gzip, deflate, br, zstd: under 2 MiB on the wire),
decompressed against the event cap (1 MiB) and the envelope cap (20 MiB). The decoder must
stop at the cap: the time should be milliseconds and the peak the cap plus one working
chunk (tests/events/wire/test_compression.py checks the memory; the time is measured here,
not asserted by a test, since it depends on the machine).
"""

from __future__ import annotations

import argparse
import functools
import statistics
import sys
import time
import tracemalloc
import zlib
from pathlib import Path

if not __package__:  # run as a script: the repository root makes `events` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import brotli  # noqa: E402
import zstandard  # noqa: E402

from events.wire.compression import decompress  # noqa: E402
from events.wire.envelope import MAX_ENVELOPE_BYTES  # noqa: E402
from events.wire.event_json import MAX_EVENT_BYTES  # noqa: E402
from events.wire.refusal import Refusal  # noqa: E402

BOMB_BYTES = 200 * 1024 * 1024
ENCODINGS = ("gzip", "deflate", "br", "zstd")


@functools.cache
def bomb(encoding: str) -> bytes:
    """BOMB_BYTES of zeros, compressed in a streaming fashion."""
    zeros = bytes(1024 * 1024)
    if encoding == "br":
        compressor = brotli.Compressor(quality=5)
        return b"".join(compressor.process(zeros) for _ in range(200)) + compressor.finish()
    if encoding == "zstd":
        compressor = zstandard.ZstdCompressor().compressobj()
        return b"".join(compressor.compress(zeros) for _ in range(200)) + compressor.flush()
    wbits = {"gzip": 31, "deflate": 15}[encoding]
    compressor = zlib.compressobj(1, zlib.DEFLATED, wbits)
    return b"".join(compressor.compress(zeros) for _ in range(200)) + compressor.flush()


def refuse(body: bytes, encoding: str, limit: int) -> tuple[float, int]:
    """(seconds, peak bytes) to refuse one bomb."""
    tracemalloc.start()
    started = time.perf_counter()
    try:
        decompress(body, encoding, limit)
    except Refusal as exc:
        assert exc.reason == "too_large", exc.detail
    else:
        raise AssertionError(f"{encoding} bomb accepted")
    finally:
        elapsed = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return elapsed, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print(f"{'encoding':<9}{'cap':>8}{'on the wire':>14}{'median ms':>11}{'peak MiB':>10}")
    for encoding in ENCODINGS:
        body = bomb(encoding)
        for limit in (MAX_EVENT_BYTES, MAX_ENVELOPE_BYTES):
            runs = [refuse(body, encoding, limit) for _ in range(args.rounds)]
            ms = statistics.median(r[0] for r in runs) * 1000
            peak = max(r[1] for r in runs) / 2**20
            print(f"{encoding:<9}{limit // 2**20:>6}Mi{len(body):>14,}{ms:>11.1f}{peak:>10.1f}")


if __name__ == "__main__":
    main()
