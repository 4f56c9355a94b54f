"""Reading records: list pages and single records, always inside the collection's view rule.

The client's filter and sort go through the search library (parameterized SQL from a parsed AST) and are
ANDed with the rule, so no filter can reach a record the rule hides.

Every record leaves as the actor may read it (:func:`~oneclick_core.contracts.records.seen_by`): a blueprint's
subscribers are its owner's to know. Filters and sorts read the same: a list of blueprints reads a ``users``
column already cut down to what the actor may see of it, and a path through a relation to a blueprint
(``blueprint.users…``) reaches only the actor's own blueprints.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import asyncpg

from oneclick_core.contracts.auth import Actor, FileContent
from oneclick_core.contracts.records import JsonObject, collection_name, seen_by
from oneclick_core.errors import ApiError
from oneclick_core.search.context import RequestContext
from oneclick_core.search.fields import parse_expand, parse_fields, pick_fields
from oneclick_core.search.listing import ListQuery, list_page
from oneclick_core.search.nodes import Identifier
from oneclick_core.search.resolving import AddParam, FieldResolver, ResolvedField, SchemaResolver
from oneclick_core.search.schema import Schema, quote_identifier, quote_table
from oneclick_core.search.sorting import compile_sort
from oneclick_core.search.sql import compile_filter
from oneclick_records.access import Params, can_view, relation_guards
from oneclick_records.expanding import expand
from oneclick_records.model import BLUEPRINTS, COLLECTIONS, DEPLOYMENTS, SYSTEM_FIELDS, Collection
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


async def list_records(conn: asyncpg.Connection, schema: Schema, collection: Collection, actor: Actor,
                       raw: Mapping[str, str]) -> dict[str, Any]:
    query = ListQuery.parse(raw)
    resolver: FieldResolver = SchemaResolver(schema, collection.name, allow_hidden=actor.is_superuser,
                                             guards=relation_guards(actor))
    if not actor.is_superuser:
        resolver = _OwnSubscribersOnly(resolver, actor.id)
    params = Params()
    source = _readable(collection, actor, params)
    conditions = [can_view(collection, actor, params)]
    if query.filter is not None:
        compiled = compile_filter(query.filter, resolver, alias=ALIAS, context=request_context(actor),
                                  param_offset=len(params.values))
        conditions.append(f"({compiled.sql})")
        params.values.extend(compiled.params)
    where = " AND ".join(conditions)
    order = compile_sort(query.sort, resolver, alias=ALIAS, param_offset=len(params.values))
    # Without a sort, creation order (PocketBase returns rows in insertion order).
    order_by = order.sql or f'"{ALIAS}".created ASC, "{ALIAS}".id ASC'
    filter_params = list(params.values)
    rows = await conn.fetch(
        f'SELECT "{ALIAS}".* FROM {source} "{ALIAS}" WHERE {where} ORDER BY {order_by} '
        f"LIMIT {query.per_page} OFFSET {query.offset}", *filter_params, *order.params)
    total = None
    if not query.skip_total:
        total = await conn.fetchval(f'SELECT count(*) FROM {source} "{ALIAS}" WHERE {where}',
                                    *filter_params)
    records = [to_record(collection, row) for row in rows]  # as the actor may read them: see _readable
    await expand(conn, collection, records, query.expand, actor)
    page = list_page(records, query, total=total)
    page["items"] = pick_fields(page["items"], query.fields)
    return page


def _readable(collection: Collection, actor: Actor, params: Params) -> str:
    """The table a list reads, as the actor may read it (see :func:`seen_by`): for a blueprint it does not own,
    ``users`` holds at most the actor's own id, so ``users ?= '<someone>'`` or ``users:length`` tell nothing
    about the others."""
    if collection is not BLUEPRINTS or actor.is_superuser:
        return collection.table
    me = params.add(actor.id)
    others = ", ".join(f"b.{quote_identifier(name)}" for name in (
        *SYSTEM_FIELDS, *(f.sql_column for f in collection.fields if f.name != "users")))
    return (f"(SELECT {others}, CASE WHEN b.owner = {me} THEN b.users WHEN {me} = ANY (b.users) "
            f"THEN ARRAY[{me}]::text[] ELSE '{{}}'::text[] END AS users FROM {collection.table} b)")


class _OwnSubscribersOnly:
    """Resolves like ``inner``, except that a path reading a blueprint's ``users`` through a relation
    (``blueprint.users ?= '<id>'``, ``blueprint.users:length`` from a deployment) only reaches blueprints the
    actor owns: for any other, as for one it may not see, the path reads as empty."""

    _BLUEPRINTS = quote_table(BLUEPRINTS.table)

    def __init__(self, inner: FieldResolver, actor_id: str) -> None:
        self._inner = inner
        self._actor_id = actor_id

    def resolve(self, identifier: Identifier) -> ResolvedField:
        field = self._inner.resolve(identifier)
        hops = list(field.hops)
        for index, hop in enumerate(hops):
            if hop.table != self._BLUEPRINTS:
                continue
            read = hops[index + 1].name if index + 1 < len(hops) else field.name
            if read == "users":
                hops[index] = replace(hop, guard=self._owned)
        return replace(field, hops=tuple(hops))

    def _owned(self, row: str, param: AddParam) -> str:
        return f"{row}.owner = {param(self._actor_id, 'text')}"


async def view_record(conn: asyncpg.Connection, collection: Collection, record_id: str, actor: Actor,
                      expand_text: str = "", fields_text: str = "") -> JsonObject:
    record = await visible_record(conn, collection, record_id, actor)
    return await present(conn, collection, record, actor, expand_text, fields_text)


async def visible_record(conn: asyncpg.Connection, collection: Collection, record_id: str, actor: Actor
                         ) -> JsonObject:
    params = Params(record_id)
    rule = can_view(collection, actor, params)
    row = await conn.fetchrow(f'SELECT "{ALIAS}".* FROM {collection.table} "{ALIAS}" WHERE id = $1 AND {rule}',
                              *params.values)
    if row is None:
        raise ApiError.not_found()
    return to_record(collection, row)


async def present(conn: asyncpg.Connection, collection: Collection, record: JsonObject, actor: Actor,
                  expand_text: str, fields_text: str) -> JsonObject:
    """A record as the response carries it: as the actor may read it, expanded and projected as it asked."""
    record = seen_by(collection.name, record, actor)
    await expand(conn, collection, [record], parse_expand(expand_text), actor)
    picked: JsonObject = pick_fields(record, parse_fields(fields_text))
    return picked


async def file_of(conn: asyncpg.Connection, collection: Collection, record_id: str, filename: str, actor: Actor
                  ) -> FileContent:
    record = await visible_record(conn, collection, record_id, actor)
    if filename not in {record.get(f.name) for f in collection.file_fields}:
        raise ApiError.not_found()
    row = await conn.fetchrow("SELECT content_type, data FROM files WHERE collection = $1 AND record_id = $2 "
                              "AND name = $3", collection.name, record_id, filename)
    if row is None:
        raise ApiError.not_found()
    return FileContent(contentType=row["content_type"], data=row["data"])


async def deployment_access(conn: asyncpg.Connection, actor: Actor, project_id: str, ref_id: str) -> tuple[str, str]:
    """(project, deployment) for a custom endpoint's path; 404 unless both are the actor's and belong together."""
    params = Params(project_id, ref_id)
    rule = can_view(DEPLOYMENTS, actor, params)
    row = await conn.fetchrow(
        f"""SELECT t.project, t.id FROM deployments t
            WHERE t.project = $1 AND {rule}
              AND (t.id = $2 OR t.id = (SELECT r.deployment FROM rollouts r WHERE r.id = $2))""", *params.values)
    if row is None:
        raise ApiError.not_found()
    return row["project"], row["id"]
