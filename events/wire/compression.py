"""Undoing Content-Encoding with a cap on the output: a compression bomb stops at the limit.

Each decoder produces output in fixed steps and gives up as soon as the total passes the
limit, so memory stays near the limit whatever the input claims to expand to.
"""

import zlib

import brotli
import zstandard

from .refusal import Refusal, too_large

# Far below zstd's 128 MiB default so a hostile frame header cannot make us allocate a huge window.
_ZSTD_MAX_WINDOW = 1 << 24
_CHUNK = 256 * 1024  # decompression output step: bombs stop at limit + one chunk


def _corrupt(encoding: str, reason: object) -> Refusal:
    return Refusal("bad_encoding", f"request body could not be decompressed ({encoding}): {reason}")


def _inflate(data: bytes, wbits: int, limit: int, encoding: str) -> bytes:
    # Input is fed in slices too: unconsumed_tail is a copy, so a big body would be
    # copied once per output chunk otherwise.
    chunks, total = [], 0
    view, pos, pending = memoryview(data), 0, b""
    decoder = zlib.decompressobj(wbits)
    try:
        while True:
            if not pending:
                pending = view[pos : pos + _CHUNK]
                pos += len(pending)
            want = min(_CHUNK, limit + 1 - total)
            chunk = decoder.decompress(pending, want)
            total += len(chunk)
            if total > limit:
                raise too_large("request body", limit)
            chunks.append(chunk)
            pending = decoder.unconsumed_tail
            if decoder.eof:
                rest = decoder.unused_data + view[pos:]
                if not rest.strip(b" \t\r\n\0"):
                    return b"".join(chunks)
                # Concatenated gzip members are legal; anything else fails as corrupt.
                view, pos, pending = memoryview(rest), 0, b""
                decoder = zlib.decompressobj(wbits)
            elif not pending and pos >= len(view) and len(chunk) < want:
                raise _corrupt(encoding, "truncated data")
    except zlib.error as exc:
        raise _corrupt(encoding, exc) from None


def inflate_any(data: bytes, limit: int, encoding: str = "deflate") -> bytes:
    """zlib or gzip stream (auto-detected), falling back to raw deflate."""
    try:
        return _inflate(data, 47, limit, encoding)
    except Refusal as exc:
        if exc.reason != "bad_encoding":
            raise
        first = exc
    try:
        return _inflate(data, -15, limit, encoding)
    except Refusal as exc:
        if exc.reason != "bad_encoding":
            raise
        raise first from None


def _unbrotli(data: bytes, limit: int) -> bytes:
    decoder = brotli.Decompressor()
    chunks, total = [], 0
    try:
        chunk = decoder.process(data, output_buffer_limit=min(_CHUNK, limit + 1))
        while True:
            total += len(chunk)
            if total > limit:
                raise too_large("request body", limit)
            chunks.append(chunk)
            if decoder.is_finished():
                return b"".join(chunks)
            if not chunk:  # no progress and not finished: input ended early
                raise _corrupt("br", "truncated data")
            chunk = decoder.process(b"", output_buffer_limit=min(_CHUNK, limit + 1 - total))
    except brotli.error as exc:
        raise _corrupt("br", exc) from None


def _unzstd(data: bytes, limit: int) -> bytes:
    # zstandard's decompressobj has no output cap, so feed small input slices: one input byte
    # yields at most ~32 KiB (a 4-byte RLE block expands to 128 KiB).
    dctx = zstandard.ZstdDecompressor(max_window_size=_ZSTD_MAX_WINDOW)
    chunks, total = [], 0
    try:
        while data:
            decoder, view, pos = dctx.decompressobj(), memoryview(data), 0
            while not decoder.eof:
                if pos >= len(view):
                    raise _corrupt("zstd", "truncated data")
                step = max(64, (limit - total) >> 15)
                chunk = decoder.decompress(view[pos : pos + step])
                pos += step
                total += len(chunk)
                if total > limit:
                    raise too_large("request body", limit)
                chunks.append(chunk)
            data = decoder.unused_data + view[pos:]
    except zstandard.ZstdError as exc:
        raise _corrupt("zstd", exc) from None
    return b"".join(chunks)


_DECODERS = {
    "gzip": inflate_any,
    "x-gzip": inflate_any,
    "deflate": inflate_any,
    "br": _unbrotli,
    "zstd": _unzstd,
}


def decompress(body: bytes, content_encoding: str | None, limit: int) -> bytes:
    """Undo Content-Encoding (streaming, capped at `limit` output bytes per step)."""
    if content_encoding and body:
        for encoding in reversed(content_encoding.split(",")):
            decoder = _DECODERS.get(encoding.strip().lower())
            if decoder is not None:  # "", identity, "UTF-8" and unknown values mean identity
                body = decoder(body, limit)
    if len(body) > limit:
        raise too_large("request body", limit)
    return body
