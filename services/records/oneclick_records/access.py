"""Access rules as SQL: what an actor may see, and what it may change, in a collection.

Rules are conditions over the row alias ``t`` (relation guards: over the joined row); callers AND them into
their own statements, so a filter can never widen what a rule allows and another user's record is simply not
found (404, not 403).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial

from oneclick_core.contracts.auth import Actor
from oneclick_core.search.resolving import AddParam, RowGuard
from oneclick_records.model import ALL_COLLECTIONS, Collection


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


def relation_guards(actor: Actor) -> Mapping[str, RowGuard]:
    """Each collection's view rule as a row guard for filters and sorts through relations (PocketBase applies
    the related collection's rule to the joins): ``blueprint.name`` of a blueprint the actor may no longer
    see reads as ``null``. Superusers see every row."""
    if actor.is_superuser:
        return {}
    return {name: partial(_visible_row, collection, actor.id) for name, collection in ALL_COLLECTIONS.items()}


def _visible_row(collection: Collection, actor_id: str, row: str, param: AddParam) -> str:
    return collection.view_sql(param(actor_id, "text"), row=row)
