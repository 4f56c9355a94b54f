"""Creating, updating and deleting records: each change goes through its collection's hooks around the generic
write, as PocketBase runs a record's hooks around its save.

A create or update: the field types (:mod:`~oneclick_records.validating`), the collection's ``validate`` checks
in order, a 400 with every field error found, ``before_write``, the write with its event
(:mod:`~oneclick_records.writing`), ``after_write``. A delete: the declared cascades, the delete with its event,
``after_delete``. All of it runs in the caller's transaction, so a request changes everything it describes or
nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import asyncpg

from oneclick_core.contracts.auth import Actor
from oneclick_core.contracts.records import FileField, JsonObject
from oneclick_core.timestamps import utcnow
from oneclick_records import writing
from oneclick_records.declaring import Change, Collection, UserDirectory
from oneclick_records.model import ALL_COLLECTIONS
from oneclick_records.querying import writable_record
from oneclick_records.tenancy import Tenancy
from oneclick_records.validating import changed_fields, changed_record, new_record, raise_if_errors


async def _validate(change: Change) -> None:
    for check in change.collection.hooks.validate:
        await check(change)
    raise_if_errors(change.errors, change.failed)


async def create(
    conn: asyncpg.Connection,
    collection: Collection,
    actor: Actor,
    data: Mapping[str, Any],
    uploads: Sequence[FileField],
    users: UserDirectory | None = None,
    tenancy: Tenancy | None = None,
) -> JsonObject:
    draft = new_record(collection, data, uploads)
    change = Change(
        conn, collection, actor, draft.values, ALL_COLLECTIONS, errors=draft.errors, users=users, tenancy=tenancy
    )
    await _validate(change)
    hooks = collection.hooks
    now = utcnow()
    if hooks.before_write is not None:
        await hooks.before_write(change, now)
    record = await writing.insert(conn, collection, change.values, draft.uploads, now)
    if hooks.after_write is not None:
        await hooks.after_write(change, record)
    return record


async def update(
    conn: asyncpg.Connection,
    collection: Collection,
    record_id: str,
    actor: Actor,
    data: Mapping[str, Any],
    uploads: Sequence[FileField],
    users: UserDirectory | None = None,
    tenancy: Tenancy | None = None,
) -> JsonObject:
    current = await writable_record(conn, collection, record_id, actor)
    draft = changed_record(collection, current, data, uploads)
    change = Change(
        conn,
        collection,
        actor,
        draft.values,
        ALL_COLLECTIONS,
        current=current,
        errors=draft.errors,
        users=users,
        tenancy=tenancy,
    )
    await _validate(change)
    change.changed = changed_fields(collection, change.values, current)
    if not change.changed and not draft.uploads:
        return current
    hooks = collection.hooks
    now = utcnow()
    if hooks.before_write is not None:
        await hooks.before_write(change, now)
        change.changed = changed_fields(collection, change.values, current)  # it may set system fields
    record = await writing.update(
        conn,
        collection,
        record_id,
        {name: change.values[name] for name in change.changed},
        now,
        draft.removed_files,
        draft.uploads,
    )
    if hooks.after_write is not None:
        await hooks.after_write(change, record)
    return record


async def delete(conn: asyncpg.Connection, collection: Collection, record_id: str, actor: Actor) -> None:
    current = await writable_record(conn, collection, record_id, actor)
    hooks = collection.hooks
    for cascade in hooks.cascade:
        await writing.delete_where(conn, cascade.collection, cascade.field, record_id)
    await writing.delete(conn, collection, current)
    if hooks.after_delete is not None:
        await hooks.after_delete(Change(conn, collection, actor, {}, ALL_COLLECTIONS, current=current), current)
