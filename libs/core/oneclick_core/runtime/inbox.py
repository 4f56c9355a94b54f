"""Idempotent event handling: remember handled event ids in the same transaction as the handler's writes.

    async with pool.acquire() as conn, conn.transaction():
        if not await claim(conn, "records", envelope.id):
            return  # handled before (a redelivery)
        ... write the effects ...

If the process dies before commit, neither the claim nor the effects exist and the redelivery redoes
both; once committed, a redelivery finds the claim and does nothing.
"""

from __future__ import annotations

import asyncpg


async def claim(conn: asyncpg.Connection, consumer: str, event_id: str) -> bool:
    """True the first time ``event_id`` is claimed for ``consumer``; False for a repeat."""
    inserted = await conn.fetchval(
        "INSERT INTO event_inbox (consumer, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING 1",
        consumer,
        event_id,
    )
    return inserted is not None


async def claimed(conn: asyncpg.Connection, consumer: str, event_id: str) -> bool:
    """Whether ``event_id`` was claimed for ``consumer``: for handlers that commit their effects in several
    transactions and claim only at the end (a redelivery after the claim does nothing)."""
    return bool(
        await conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM event_inbox WHERE consumer = $1 AND event_id = $2)", consumer, event_id
        )
    )


async def forget_older_than(conn: asyncpg.Connection, days: float) -> int:
    """Drop claims older than the stream's retention: such events cannot be redelivered any more."""
    status: str = await conn.execute(
        "DELETE FROM event_inbox WHERE processed_at < now() - make_interval(secs => $1)", days * 86400
    )
    return int(status.rsplit(" ", 1)[-1])
