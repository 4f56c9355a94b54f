"""Reading records: list pages and single records, always inside the collection's view rule.

The client's filter and sort go through the search library (parameterized SQL from a parsed AST) and are
ANDed with the rule, so no filter can reach a record the rule hides.

Every record leaves as the actor may read it (its collection's ``seen_by``): a blueprint's subscribers are its
owner's to know. Filters and sorts read the same: a list reads an ``own_id_only`` field (a blueprint's
``users``) already cut down to what the actor may see of it, and a path through a relation to one
(``blueprint.users…``) reaches only records the actor owns (:class:`~oneclick_records.access.OwnIdOnly`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import asyncpg

from oneclick_core.contracts.auth import Actor, FileContent
from oneclick_core.contracts.records import JsonObject, collection_name
from oneclick_core.errors import ApiError
from oneclick_core.search.context import RequestContext
from oneclick_core.search.fields import parse_expand, parse_fields, pick_fields
from oneclick_core.search.listing import ListQuery, list_page
from oneclick_core.search.resolving import FieldResolver, SchemaResolver
from oneclick_core.search.schema import Schema
from oneclick_core.search.sorting import compile_sort
from oneclick_core.search.sql import compile_filter
from oneclick_records.access import OwnIdOnly, Params, can_view, can_write, readable_table, relation_guards
from oneclick_records.declaring import Collection
from oneclick_records.expanding import expand
from oneclick_records.model import ALL_COLLECTIONS, COLLECTIONS
from oneclick_records.serializing import to_record

ALIAS = "t"


def collection_named(name: str) -> Collection:
    """A collection by name or by PocketBase collection id, as SDK paths may use either."""
    found = collection_name(name)
    collection = COLLECTIONS.get(found) if found else None
    if collection is None:
        raise ApiError(404, "Missing collection context.")
    return collection


def request_context(actor: Actor) -> RequestContext:
    return RequestContext(auth={"id": actor.id, "collectionName": actor.collection}, method="GET")


async def list_records(
    conn: asyncpg.Connection, schema: Schema, collection: Collection, actor: Actor, raw: Mapping[str, str]
) -> dict[str, Any]:
    query = ListQuery.parse(raw)
    resolver: FieldResolver = SchemaResolver(
        schema, collection.name, allow_hidden=actor.is_superuser, guards=relation_guards(actor, ALL_COLLECTIONS)
    )
    if not actor.is_superuser:
        resolver = OwnIdOnly(resolver, ALL_COLLECTIONS.values(), actor.id)
    params = Params()
    source = readable_table(collection, actor, params)
    conditions = [can_view(collection, actor, params)]
    if query.filter is not None:
        compiled = compile_filter(
            query.filter, resolver, alias=ALIAS, context=request_context(actor), param_offset=len(params.values)
        )
        conditions.append(f"({compiled.sql})")
        params.values.extend(compiled.params)
    where = " AND ".join(conditions)
    order = compile_sort(query.sort, resolver, alias=ALIAS, param_offset=len(params.values))
    # Without a sort, creation order (PocketBase returns rows in insertion order).
    order_by = order.sql or f'"{ALIAS}".created ASC, "{ALIAS}".id ASC'
    filter_params = list(params.values)
    rows = await conn.fetch(
        f'SELECT "{ALIAS}".* FROM {source} "{ALIAS}" WHERE {where} ORDER BY {order_by} '
        f"LIMIT {query.per_page} OFFSET {query.offset}",
        *filter_params,
        *order.params,
    )
    total = None
    if not query.skip_total:
        total = await conn.fetchval(f'SELECT count(*) FROM {source} "{ALIAS}" WHERE {where}', *filter_params)
    records = [to_record(collection, row) for row in rows]  # as the actor may read them: see readable_table
    await expand(conn, collection, records, query.expand, actor)
    page = list_page(records, query, total=total)
    page["items"] = pick_fields(page["items"], query.fields)
    return page


async def view_record(
    conn: asyncpg.Connection,
    collection: Collection,
    record_id: str,
    actor: Actor,
    expand_text: str = "",
    fields_text: str = "",
) -> JsonObject:
    record = await visible_record(conn, collection, record_id, actor)
    return await present(conn, collection, record, actor, expand_text, fields_text)


async def visible_record(conn: asyncpg.Connection, collection: Collection, record_id: str, actor: Actor) -> JsonObject:
    return await _one(conn, collection, record_id, actor, can_view)


async def present(
    conn: asyncpg.Connection,
    collection: Collection,
    record: JsonObject,
    actor: Actor,
    expand_text: str,
    fields_text: str,
) -> JsonObject:
    """A record as the response carries it: as the actor may read it, expanded and projected as it asked."""
    record = collection.seen_by(record, actor)
    await expand(conn, collection, [record], parse_expand(expand_text), actor)
    picked: JsonObject = pick_fields(record, parse_fields(fields_text))
    return picked


async def writable_record(conn: asyncpg.Connection, collection: Collection, record_id: str, actor: Actor) -> JsonObject:
    """The record the actor may change, locked until the transaction ends; 404 for any other."""
    return await _one(conn, collection, record_id, actor, can_write, lock=" FOR UPDATE")


async def _one(
    conn: asyncpg.Connection,
    collection: Collection,
    record_id: str,
    actor: Actor,
    rule_of: Callable[[Collection, Actor, Params], str],
    lock: str = "",
) -> JsonObject:
    """The record ``record_id`` if the actor's rule admits it; 404 otherwise."""
    params = Params(record_id)
    rule = rule_of(collection, actor, params)
    row = await conn.fetchrow(
        f'SELECT "{ALIAS}".* FROM {collection.table} "{ALIAS}" WHERE "{ALIAS}".id = $1 AND {rule}{lock}', *params.values
    )
    if row is None:
        raise ApiError.not_found()
    return to_record(collection, row)


async def file_of(
    conn: asyncpg.Connection, collection: Collection, record_id: str, filename: str, actor: Actor
) -> FileContent:
    record = await visible_record(conn, collection, record_id, actor)
    if filename not in {record.get(f.name) for f in collection.file_fields}:
        raise ApiError.not_found()
    row = await conn.fetchrow(
        "SELECT content_type, data FROM files WHERE collection = $1 AND record_id = $2 AND name = $3",
        collection.name,
        record_id,
        filename,
    )
    if row is None:
        raise ApiError.not_found()
    return FileContent(contentType=row["content_type"], data=row["data"])
