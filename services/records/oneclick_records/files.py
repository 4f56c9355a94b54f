"""Files of records (avatars): named like PocketBase names them, kept in PostgreSQL beside their record."""

from __future__ import annotations

import re
import secrets
from pathlib import PurePosixPath

import asyncpg

from oneclick_core.contracts.auth import FileUpload
from oneclick_core.errors import field_error
from oneclick_records.declaring import Collection

MAX_FILE_BYTES = 5 * 1024 * 1024  # PocketBase's default maxSize of a file field
IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp", "image/svg+xml"})
_UNSAFE = re.compile(r"[^a-z0-9_]+")
_RANDOM = "abcdefghijklmnopqrstuvwxyz0123456789"


def stored_name(original: str) -> str:
    """``My Logo.PNG`` → ``my_logo_k3x9q1m0z7.png``: safe, unique, still recognisable."""
    path = PurePosixPath(original.replace("\\", "/")).name
    suffix = PurePosixPath(path).suffix.lower()
    stem = _UNSAFE.sub("_", PurePosixPath(path).stem.lower()).strip("_")[:100] or "file"
    ext = suffix if re.fullmatch(r"\.[a-z0-9]{1,10}", suffix) else ""
    return f"{stem}_{''.join(secrets.choice(_RANDOM) for _ in range(10))}{ext}"


def upload_error(upload: FileUpload) -> dict[str, str] | None:
    if len(upload.data) > MAX_FILE_BYTES:
        return field_error(
            "validation_file_size_limit",
            f"Failed to upload {upload.filename!r} - the maximum allowed file size is {MAX_FILE_BYTES} bytes.",
        )
    if upload.contentType.split(";", 1)[0].strip().lower() not in IMAGE_TYPES:
        return field_error(
            "validation_invalid_mime_type",
            f"{upload.filename!r} mime type must be one of: {', '.join(sorted(IMAGE_TYPES))}.",
        )
    return None


async def store(
    conn: asyncpg.Connection, collection: Collection, record_id: str, field: str, name: str, upload: FileUpload
) -> None:
    await conn.execute(
        "INSERT INTO files (collection, record_id, field, name, content_type, data) VALUES ($1, $2, $3, $4, $5, $6)",
        collection.name,
        record_id,
        field,
        name,
        upload.contentType,
        upload.data,
    )


async def forget(conn: asyncpg.Connection, collection: Collection, record_id: str, names: list[str]) -> None:
    if names:
        await conn.execute(
            "DELETE FROM files WHERE collection = $1 AND record_id = $2 AND name = ANY ($3)",
            collection.name,
            record_id,
            names,
        )


async def forget_records(conn: asyncpg.Connection, collection: Collection, record_ids: list[str]) -> None:
    if record_ids:
        await conn.execute(
            "DELETE FROM files WHERE collection = $1 AND record_id = ANY ($2)", collection.name, record_ids
        )
