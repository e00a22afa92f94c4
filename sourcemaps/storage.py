"""Where file bytes live: Django's storage "sourcemaps" (settings.STORAGES), content-addressed
by SHA-1 under the organization, so a file uploaded twice is stored once and a multi-machine
install shares them through any django-storages backend."""

from __future__ import annotations

import hashlib

from django.core.files.base import ContentFile
from django.core.files.storage import storages


def _storage():
    return storages["sourcemaps"]


def chunk_name(org_id: int, checksum: str) -> str:
    return f"chunks/{org_id}/{checksum[:2]}/{checksum}"


def file_name(org_id: int, sha1: str) -> str:
    return f"files/{org_id}/{sha1[:2]}/{sha1}"


def save(name: str, data: bytes) -> None:
    """Store `data` under `name` unless it is there already (same name, same bytes)."""
    storage = _storage()
    if not storage.exists(name):
        stored = storage.save(name, ContentFile(data))
        if stored != name:  # a concurrent save won the name: ours is a duplicate
            storage.delete(stored)


def save_file(org_id: int, data: bytes) -> str:
    """Store a file's bytes; its SHA-1."""
    sha1 = hashlib.sha1(data).hexdigest()
    save(file_name(org_id, sha1), data)
    return sha1


def read(name: str) -> bytes:
    with _storage().open(name, "rb") as handle:
        return handle.read()


def read_file(org_id: int, sha1: str) -> bytes:
    return read(file_name(org_id, sha1))


def exists(name: str) -> bool:
    return _storage().exists(name)


def delete(name: str) -> None:
    _storage().delete(name)
