"""What travels through the ingest queue: the edge's payload and a reader's message."""

import os
import socket
from dataclasses import dataclass

import orjson


@dataclass(frozen=True)
class QueuedPayload:
    """What the edge hands over: the body as received (still compressed) plus metadata."""

    project_id: int
    event_id: str
    received: float
    kind: str  # "envelope" or "store"
    content_encoding: str
    body: bytes
    client_ip: str | None = None

    def encode_meta(self) -> bytes:
        return orjson.dumps(
            [
                self.project_id,
                self.event_id,
                self.received,
                self.kind,
                self.content_encoding,
                self.client_ip,
            ]
        )

    @classmethod
    def decode(cls, meta: bytes, body: bytes) -> "QueuedPayload":
        project_id, event_id, received, kind, encoding, client_ip = orjson.loads(meta)
        return cls(project_id, event_id, received, kind, encoding, body, client_ip)


@dataclass(frozen=True)
class Message:
    id: str
    payload: QueuedPayload | None  # None when the stored bytes could not be decoded
    raw_meta: bytes = b""


def consumer_name() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


def decode_message(message_id, meta: bytes, body: bytes) -> Message:
    try:
        return Message(str(message_id), QueuedPayload.decode(meta, body), meta)
    except (ValueError, TypeError):
        return Message(str(message_id), None, meta)
