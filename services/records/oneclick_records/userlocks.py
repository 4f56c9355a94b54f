"""Writes that name a user (as owner or in a blueprint's ``users``) against that user's deletion.

A write checks that the users it names are not deleted and commits a moment later; a deletion marks the
user deleted and then removes everything naming them. Without a lock, a write that checked just before
the mark and committed just after the sweep would leave a record of a deleted user behind. Writers hold
a shared advisory lock per named user until they commit; the deletion takes it exclusively while it marks
the user, so it waits for writes in flight, and every later write sees the mark.
"""

from __future__ import annotations

from collections.abc import Iterable

import asyncpg

_KEY = "SELECT pg_advisory_xact_lock{mode}(hashtextextended('oneclick.records.user:' || $1, 0))"


async def hold_users(conn: asyncpg.Connection, ids: Iterable[str]) -> set[str]:
    """Take the shared lock of each user (until commit); the ones already deleted."""
    wanted = sorted({i for i in ids if i})
    for user_id in wanted:  # sorted: two writers never wait on each other in opposite orders
        await conn.execute(_KEY.format(mode="_shared"), user_id)
    if not wanted:
        return set()
    rows = await conn.fetch("SELECT id FROM users WHERE id = ANY ($1) AND deleted", wanted)
    return {row["id"] for row in rows}


async def lock_for_deletion(conn: asyncpg.Connection, user_id: str) -> None:
    """The exclusive lock: waits until every write naming the user has committed or rolled back."""
    await conn.execute(_KEY.format(mode=""), user_id)
