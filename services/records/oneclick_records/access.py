"""Access rules as SQL: what an actor may see, and what it may change, in a collection.

Rules are conditions over the row alias ``t``; callers AND them into their own statements, so a filter
can never widen what a rule allows and another user's record is simply not found (404, not 403).
"""

from __future__ import annotations

from oneclick_core.contracts.auth import Actor
from oneclick_records.model import Collection


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
    return collection.view_rule.format(actor=params.add(actor.id))


def can_write(collection: Collection, actor: Actor, params: Params) -> str:
    if actor.is_superuser:
        return "TRUE"
    return collection.write_rule.format(actor=params.add(actor.id))
