"""The generic write: a record's row, its files and its event (the outbox), for any collection.

Nothing here checks anything or knows a collection: :mod:`oneclick_records.changing` calls these once the
collection's hooks have passed the change, in the transaction of the request, so the row, its files and its
event commit together or not at all.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import asyncpg

from oneclick_core.contracts.records import JsonObject
from oneclick_core.ids import new_record_id
from oneclick_records import files
from oneclick_records.declaring import Collection
from oneclick_records.publishing import publish_change
from oneclick_records.serializing import to_record
from oneclick_records.validating import NamedUpload


def _columns(collection: Collection, values: Mapping[str, Any]) -> tuple[list[str], list[Any]]:
    names, args = [], []
    for name, value in values.items():
        spec = collection.field(name)
        if spec is None:
            continue
        names.append(f'"{spec.sql_column}"')
        args.append(value)
    return names, args


async def insert(
    conn: asyncpg.Connection,
    collection: Collection,
    values: Mapping[str, Any],
    uploads: Sequence[NamedUpload],
    now: datetime,
) -> JsonObject:
    record_id = new_record_id()
    names, args = _columns(collection, values)
    placeholders = ", ".join(f"${i}" for i in range(4, len(args) + 4))
    row = await conn.fetchrow(
        f"INSERT INTO {collection.table} (id, created, updated, {', '.join(names)}) "
        f"VALUES ($1, $2, $3, {placeholders}) RETURNING *",
        record_id,
        now,
        now,
        *args,
    )
    for upload in uploads:
        await files.store(conn, collection, record_id, upload.field, upload.name, upload.upload.file)
    record = to_record(collection, row)
    await publish_change(conn, collection, "create", record)
    return record


async def update(
    conn: asyncpg.Connection,
    collection: Collection,
    record_id: str,
    changes: Mapping[str, Any],
    now: datetime,
    removed_files: list[str],
    uploads: Sequence[NamedUpload],
) -> JsonObject:
    """Write ``changes`` (only the fields that change) and the new files; ``updated`` becomes ``now``."""
    names, args = _columns(collection, changes)
    assignments = ", ".join(f"{name} = ${i}" for i, name in enumerate(names, start=3))
    updated = await conn.fetchrow(
        f"UPDATE {collection.table} SET updated = $2{', ' if assignments else ''}{assignments} "
        f"WHERE id = $1 RETURNING *",
        record_id,
        now,
        *args,
    )
    await files.forget(conn, collection, record_id, removed_files)
    for upload in uploads:
        await files.store(conn, collection, record_id, upload.field, upload.name, upload.upload.file)
    record = to_record(collection, updated)
    await publish_change(conn, collection, "update", record, list(changes))
    return record


async def delete(conn: asyncpg.Connection, collection: Collection, record: JsonObject) -> None:
    await conn.execute(f"DELETE FROM {collection.table} WHERE id = $1", record["id"])
    await files.forget_records(conn, collection, [record["id"]])
    await publish_change(conn, collection, "delete", record)


async def delete_where(conn: asyncpg.Connection, collection: Collection, field: str, value: str) -> None:
    """Every record of ``collection`` whose ``field`` is ``value``, each with its own event (realtime lists,
    the executor): the database's own cascade would leave none."""
    spec = collection.field(field)
    assert spec is not None, f"{collection.name} has no field {field!r}"
    rows = await conn.fetch(f'DELETE FROM {collection.table} WHERE "{spec.sql_column}" = $1 RETURNING *', value)
    await files.forget_records(conn, collection, [row["id"] for row in rows])
    for row in rows:
        await publish_change(conn, collection, "delete", to_record(collection, row))
