"""A request's body with a cap on its size: what both HTTP edges read first."""

from django.http import HttpRequest

from events.wire.refusal import Refusal

READ_CHUNK = 64 * 1024


def read_body(request: HttpRequest, limit: int) -> bytes:
    """The request body, refusing more than `limit` bytes.

    Node SDKs send chunked bodies without Content-Length; under WSGI Django then sees an
    empty body, so those are read from the server's input stream directly.
    """
    length = request.META.get("CONTENT_LENGTH")
    if length:
        try:
            size = int(length)
        except ValueError:
            raise Refusal("bad_request", "invalid Content-Length") from None
        if size > limit:
            raise Refusal("too_large", "request body too large")
        return request.read(size)
    if request.META.get("HTTP_TRANSFER_ENCODING", "").lower() != "chunked":
        return b""
    stream = request.META.get("wsgi.input", request)
    parts, total = [], 0
    while chunk := stream.read(READ_CHUNK):
        total += len(chunk)
        if total > limit:
            raise Refusal("too_large", "request body too large")
        parts.append(chunk)
    return b"".join(parts)
