"""``expand=project,blueprint.owner,users``: related records under ``expand``, each one checked against the
target collection's view rule, fetched with one query per relation and level (never one per record).

Relations the actor may not see, or that point nowhere, are left out silently, as PocketBase does. Users
come from the read-model and obey the users collection's rule like any other target: oneself only (superusers:
everyone), whoever the relation names, and never a deleted account (its ``exists_rule``). Expanded records are
shown as the actor may read them (the target's ``seen_by``): ``expand=blueprint`` lists no one else's
subscribers, ``expand=user`` no one else's hidden email.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import asyncpg

from oneclick_core.contracts.auth import Actor
from oneclick_core.contracts.records import JsonObject
from oneclick_records.access import Params, can_view
from oneclick_records.declaring import Collection, Kind
from oneclick_records.model import ALL_COLLECTIONS
from oneclick_records.serializing import to_record


async def expand(
    conn: asyncpg.Connection, collection: Collection, records: list[JsonObject], tree: Mapping[str, Any], actor: Actor
) -> None:
    """Attach ``expand`` to ``records`` in place, level by level (``tree`` from ``search.fields.parse_expand``)."""
    if not tree or not records:
        return
    for name, subtree in tree.items():
        relation = collection.field(name)
        if relation is None or relation.kind is not Kind.RELATION:
            continue  # PocketBase ignores what it cannot expand
        target = ALL_COLLECTIONS[relation.target]
        wanted = {i for r in records for i in _ids(r.get(name))}
        if not wanted:
            continue
        found = await _fetch(conn, target, wanted, actor)
        if subtree:
            await expand(conn, target, list(found.values()), subtree, actor)
        for record in records:
            ids = _ids(record.get(name))
            if relation.multiple:
                related: Any = [found[i] for i in ids if i in found]
                if not related:
                    continue
            elif ids and ids[0] in found:
                related = found[ids[0]]
            else:
                continue
            record.setdefault("expand", {})[name] = related


def _ids(value: object) -> list[str]:
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str) and v]
    return [value] if isinstance(value, str) and value else []


async def _fetch(conn: asyncpg.Connection, target: Collection, ids: set[str], actor: Actor) -> Mapping[str, JsonObject]:
    params = Params(sorted(ids))
    rule = can_view(target, actor, params)
    rows = await conn.fetch(
        f"SELECT t.* FROM {target.table} t WHERE {target.exists_sql()} AND t.id = ANY ($1) AND {rule}", *params.values
    )
    return {row["id"]: target.seen_by(to_record(target, row), actor) for row in rows}
