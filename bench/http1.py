"""HTTP/1.1 responses as a WSGI server sends them, read off a byte buffer (the load
generator speaks HTTP itself, so that it stays cheap next to the server)."""

from __future__ import annotations


def parse_response(buf: bytes | bytearray) -> tuple[int, int, bytes, bool] | None:
    """(bytes consumed, status, body, server closes) of the first complete response in buf,
    else None. Handles Content-Length and chunked bodies, all a WSGI server sends back.
    """
    head_end = buf.find(b"\r\n\r\n")
    if head_end < 0:
        return None
    head = bytes(buf[:head_end]).decode("latin-1").split("\r\n")
    try:
        status = int(head[0].split(" ", 2)[1])
    except (IndexError, ValueError):
        raise ValueError(f"bad status line: {head[0]!r}") from None
    headers = {}
    for line in head[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    start = head_end + 4
    closes = headers.get("connection", "").lower() == "close"
    if "content-length" in headers:
        end = start + int(headers["content-length"])
        return (end, status, bytes(buf[start:end]), closes) if len(buf) >= end else None
    if "chunked" in headers.get("transfer-encoding", "").lower():
        parsed = _parse_chunked(buf, start, status)
        return None if parsed is None else (*parsed, closes)
    return start, status, b"", closes  # 204/304 or a server that closes: no body to wait for


def _parse_chunked(buf, pos: int, status: int) -> tuple[int, int, bytes] | None:
    body = bytearray()
    while True:
        line_end = buf.find(b"\r\n", pos)
        if line_end < 0:
            return None
        size = int(bytes(buf[pos:line_end]).split(b";")[0], 16)
        pos = line_end + 2
        if size == 0:
            trailer_end = buf.find(b"\r\n", pos)
            return None if trailer_end < 0 else (trailer_end + 2, status, bytes(body))
        if len(buf) < pos + size + 2:
            return None
        body += buf[pos : pos + size]
        pos += size + 2
