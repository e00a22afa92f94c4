"""A JSON document stored as zstd-compressed bytes.

Event payloads are written once and read whole, never queried inside, so PostgreSQL has no
use for jsonb: parsing ~13 KB of JSON into jsonb and compressing it again for TOAST was
about half of PostgreSQL's CPU per stored event. The worker compresses (zstd level 1,
~20 µs for 13 KB, ~4x smaller) and the database stores opaque bytes. Rows written before
this field existed hold plain JSON text; reading accepts both.
"""

import threading

import orjson
import zstandard
from django.db import models

ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
_local = threading.local()


def _compressor() -> zstandard.ZstdCompressor:
    # One per thread: a ZstdCompressor must not be used by two threads at once.
    compressor = getattr(_local, "compressor", None)
    if compressor is None:
        compressor = _local.compressor = zstandard.ZstdCompressor(level=1)
    return compressor


def dumps(value) -> bytes:
    """orjson.dumps, and for the rare value with non-string keys, with them written as
    strings: that option makes every call ~50 % slower, so it is only the second try."""
    try:
        return orjson.dumps(value)
    except orjson.JSONEncodeError:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS)


def pack(value) -> bytes:
    # zstandard's compress() returns bytes that keep the buffer it allocated for the worst
    # case, the input's size: ~13 KB held for 3.5 KB. A copy of the exact size (~0.3 µs) is
    # what a batch of prepared events keeps in the worker (bench/README.md).
    return bytes(memoryview(_compressor().compress(dumps(value))))


def unpack(value):
    if isinstance(value, memoryview):
        value = value.tobytes()
    if isinstance(value, bytes) and value[:4] == ZSTD_MAGIC:
        value = zstandard.decompress(value)
    return orjson.loads(value)


class CompressedJSONField(models.BinaryField):
    description = "JSON, stored zstd-compressed"

    def from_db_value(self, value, expression, connection):
        return None if value is None else unpack(value)

    def to_python(self, value):
        if value is None or isinstance(value, dict | list):
            return value
        return unpack(value)

    def get_prep_value(self, value):
        return None if value is None else pack(value)

    def get_db_prep_value(self, value, connection, prepared=False):
        if not prepared:
            value = self.get_prep_value(value)
        return connection.Database.Binary(value) if value is not None else None

    def value_to_string(self, obj):
        return orjson.dumps(self.value_from_object(obj)).decode()
