"""Access rules as SQL: what an actor may see, and what it may change, in a collection.

Rules are conditions over the row alias ``t`` (relation guards: over the joined row); callers AND them into
their own statements, so a filter can never widen what a rule allows and another user's record is simply not
found (404, not 403).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from functools import partial

from oneclick_core.contracts.auth import Actor
from oneclick_core.search.nodes import Identifier
from oneclick_core.search.resolving import AddParam, FieldResolver, ResolvedField, RowGuard
from oneclick_core.search.schema import quote_identifier, quote_table
from oneclick_records.declaring import SYSTEM_FIELDS, Collection


class Params:
    """Positional parameters of one statement (asyncpg's ``$n``), added in order."""

    def __init__(self, *initial: object) -> None:
        self.values: list[object] = list(initial)

    def add(self, value: object) -> str:
        self.values.append(value)
        return f"${len(self.values)}"


def can_view(collection: Collection, actor: Actor, params: Params) -> str:
    if actor.is_superuser:
        return "TRUE"
    return collection.view_sql(params.add(actor.id))


def can_write(collection: Collection, actor: Actor, params: Params) -> str:
    if actor.is_superuser:
        return "TRUE"
    return collection.write_sql(params.add(actor.id))


def readable_table(collection: Collection, actor: Actor, params: Params) -> str:
    """The table a list reads, as the actor may read it (see :attr:`Field.own_id_only`): for a blueprint it does
    not own, ``users`` holds at most the actor's own id, so ``users ?= '<someone>'`` or ``users:length`` tell
    nothing about the others."""
    private = {f.name for f in collection.fields if f.own_id_only}
    if not private or actor.is_superuser:
        return collection.table
    me = params.add(actor.id)
    owner = f"b.{quote_identifier(collection.by_name[collection.owner_field].sql_column)}"
    columns = [f"b.{quote_identifier(name)}" for name in SYSTEM_FIELDS]
    for spec in collection.fields:
        column = f"b.{quote_identifier(spec.sql_column)}"
        if spec.name not in private:
            columns.append(column)
            continue
        columns.append(
            f"CASE WHEN {owner} = {me} THEN {column} WHEN {me} = ANY ({column}) "
            f"THEN ARRAY[{me}]::text[] ELSE '{{}}'::text[] END AS {quote_identifier(spec.sql_column)}"
        )
    return f"(SELECT {', '.join(columns)} FROM {collection.table} b)"


def relation_guards(actor: Actor, collections: Mapping[str, Collection]) -> Mapping[str, RowGuard]:
    """Each collection's view rule as a row guard for filters and sorts through relations (PocketBase applies
    the related collection's rule to the joins): ``blueprint.name`` of a blueprint the actor may no longer
    see reads as ``null``. Superusers see every row."""
    if actor.is_superuser:
        return {}
    return {name: partial(_visible_row, collection, actor.id) for name, collection in collections.items()}


def _visible_row(collection: Collection, actor_id: str, row: str, param: AddParam) -> str:
    return collection.view_sql(param(actor_id, "text"), row=row)


class OwnIdOnly:
    """Resolves like ``inner``, except that a path reading an ``own_id_only`` field through a relation
    (``blueprint.users ?= '<id>'``, ``blueprint.users:length`` from a deployment) only reaches records the actor
    owns: for any other, as for one it may not see, the path reads as empty."""

    def __init__(self, inner: FieldResolver, collections: Iterable[Collection], actor_id: str) -> None:
        self._inner = inner
        self._actor_id = actor_id
        # quoted table → (quoted owner column, the own-id-only fields' names)
        self._private: dict[str, tuple[str, frozenset[str]]] = {}
        for collection in collections:
            names = frozenset(f.name for f in collection.fields if f.own_id_only)
            if names:
                owner = quote_identifier(collection.by_name[collection.owner_field].sql_column)
                self._private[quote_table(collection.table)] = (owner, names)

    def resolve(self, identifier: Identifier) -> ResolvedField:
        field = self._inner.resolve(identifier)
        hops = list(field.hops)
        for index, hop in enumerate(hops):
            private = self._private.get(hop.table)
            if private is None:
                continue
            owner, names = private
            read = hops[index + 1].name if index + 1 < len(hops) else field.name
            if read in names:
                hops[index] = replace(hop, guard=partial(self._owned, owner))
        return replace(field, hops=tuple(hops))

    def _owned(self, owner: str, row: str, param: AddParam) -> str:
        return f"{row}.{owner} = {param(self._actor_id, 'text')}"
