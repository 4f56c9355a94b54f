"""The updater's tables: its copy of the autoUpdates with their schedule, the check history, housekeeping."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from oneclick_core.autoupdates import parse_interval
from oneclick_core.contracts.records import JsonObject
from oneclick_core.runtime.inbox import forget_older_than
from oneclick_core.timestamps import parse_pb
from oneclick_updater.due_times import next_due
from oneclick_updater.webhooks import new_secret

_TINY = timedelta(microseconds=1)


@dataclass(frozen=True)
class AutoUpdate:
    id: str
    project: str
    deployment: str
    owner: str
    pattern: str
    policy: str
    record: JsonObject
    deleted: bool
    requested_rollout: str | None
    requested_tag: str | None

    @classmethod
    def of(cls, row: asyncpg.Record) -> AutoUpdate:
        return cls(
            id=row["id"],
            project=row["project"],
            deployment=row["deployment"],
            owner=row["owner"],
            pattern=row["pattern"],
            policy=row["policy"],
            record=row["record"],
            deleted=row["deleted"],
            requested_rollout=row["requested_rollout"],
            requested_tag=row["requested_tag"],
        )


@dataclass(frozen=True)
class Due:
    auto_update: str
    deployment: str
    due_at: datetime


def _fields(record: JsonObject) -> dict[str, Any]:
    return {
        "id": record["id"],
        "project": record.get("project") or "",
        "deployment": record.get("deployment") or "",
        "owner": record.get("user") or "",
        "interval": record.get("interval") or "",
        "pattern": record.get("pattern") or "",
        "policy": record.get("policy") or "",
        "created": parse_pb(record["created"]),
        "updated": parse_pb(record["updated"]),
    }


async def remember(conn: asyncpg.Connection, record: JsonObject) -> None:
    """Take in a created or updated autoUpdate (idempotent; older versions than the stored one are ignored).

    A new autoUpdate is due at once (One-Click checked at the first tick after creation too) and gets
    its webhook secret, kept readable until the owner has seen it once.
    """
    f = _fields(record)
    interval = parse_interval(f["interval"])
    inserted = await conn.fetchval(
        """
        INSERT INTO auto_updates (id, project, deployment, owner, interval, interval_seconds, pattern, policy,
                                  record, record_updated, anchor, next_run)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)
        ON CONFLICT (id) DO NOTHING RETURNING true
        """,
        f["id"],
        f["project"],
        f["deployment"],
        f["owner"],
        f["interval"],
        int(interval.total_seconds()),
        f["pattern"],
        f["policy"],
        record,
        f["updated"],
        f["created"],
    )
    if inserted:
        secret, digest = new_secret()
        await conn.execute(
            "INSERT INTO webhook_secrets (auto_update, digest, unrevealed) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            f["id"],
            digest,
            secret,
        )
        return
    row = await conn.fetchrow("SELECT * FROM auto_updates WHERE id = $1 FOR UPDATE", f["id"])
    if row is None or row["deleted"] or row["record_updated"] > f["updated"]:
        return
    next_run = row["next_run"]
    if row["interval_seconds"] != int(interval.total_seconds()):
        # Back onto the grid of the new interval, counted from the last due time that was handled.
        next_run = next_due(row["anchor"], interval, row["last_due"] or row["anchor"] - _TINY)
    await conn.execute(
        """
        UPDATE auto_updates SET project = $2, deployment = $3, owner = $4, interval = $5, interval_seconds = $6,
               pattern = $7, policy = $8, record = $9, record_updated = $10, next_run = $11
        WHERE id = $1
        """,
        f["id"],
        f["project"],
        f["deployment"],
        f["owner"],
        f["interval"],
        int(interval.total_seconds()),
        f["pattern"],
        f["policy"],
        record,
        f["updated"],
        next_run,
    )


async def forget(conn: asyncpg.Connection, record: JsonObject) -> None:
    """A deleted autoUpdate stays as a tombstone, so a late create or update cannot bring it back."""
    f = _fields(record)
    await conn.execute(
        """
        INSERT INTO auto_updates (id, project, deployment, owner, interval, interval_seconds, pattern, policy,
                                  record, record_updated, anchor, next_run, deleted)
        VALUES ($1, $2, $3, $4, $5, 1, $6, $7, $8, $9, $10, NULL, true)
        ON CONFLICT (id) DO UPDATE SET deleted = true, next_run = NULL
        """,
        f["id"],
        f["project"],
        f["deployment"],
        f["owner"],
        f["interval"],
        f["pattern"],
        f["policy"],
        record,
        f["updated"],
        f["created"],
    )
    await conn.execute("DELETE FROM webhook_secrets WHERE auto_update = $1", f["id"])


async def find(conn: asyncpg.Connection, auto_update: str) -> AutoUpdate | None:
    row = await conn.fetchrow("SELECT * FROM auto_updates WHERE id = $1", auto_update)
    return AutoUpdate.of(row) if row is not None else None


async def claim_due(conn: asyncpg.Connection, now: datetime, limit: int) -> list[Due]:
    """Take the autoUpdates due at ``now`` and move each to its next due time, in the caller's transaction.

    Rows another transaction is claiming are skipped, and a claimed row is no longer due once that
    transaction commits, so two schedulers that overlap for a moment never claim the same due time.
    """
    rows = await conn.fetch(
        "SELECT id, deployment, anchor, interval_seconds, next_run FROM auto_updates "
        "WHERE NOT deleted AND next_run <= $1 ORDER BY next_run LIMIT $2 FOR UPDATE SKIP LOCKED",
        now,
        limit,
    )
    if not rows:
        return []
    await conn.executemany(
        "UPDATE auto_updates SET last_due = next_run, next_run = $2 WHERE id = $1",
        [(row["id"], next_due(row["anchor"], timedelta(seconds=row["interval_seconds"]), now)) for row in rows],
    )
    return [Due(row["id"], row["deployment"], row["next_run"]) for row in rows]


@dataclass(frozen=True)
class CheckRecord:
    auto_update: str
    trigger: str
    replica: str
    due_at: datetime
    started: datetime
    outcome: str
    current_tag: str = ""
    chosen_tag: str = ""
    listing: str | None = None
    fetched: bool = False
    error: str | None = None

    @property
    def succeeded(self) -> bool:
        return self.outcome != "failed"


async def record_check(
    conn: asyncpg.Connection, check: CheckRecord, *, requested: tuple[str, str] | None = None
) -> None:
    """Store a finished check and what it means for the autoUpdate's status."""
    await conn.execute(
        "INSERT INTO checks (auto_update, trigger, replica, due_at, started, outcome, current_tag, chosen_tag, "
        "listing, fetched, error) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        check.auto_update,
        check.trigger,
        check.replica,
        check.due_at,
        check.started,
        check.outcome,
        check.current_tag,
        check.chosen_tag,
        check.listing,
        check.fetched,
        check.error,
    )
    await conn.execute(
        """
        UPDATE auto_updates SET last_checked = clock_timestamp(), last_outcome = $2, last_error = $3,
               current_tag = COALESCE(NULLIF($4, ''), current_tag),
               last_success = CASE WHEN $5 THEN clock_timestamp() ELSE last_success END,
               requested_rollout = COALESCE($6, requested_rollout), requested_tag = COALESCE($7, requested_tag)
        WHERE id = $1
        """,
        check.auto_update,
        check.outcome,
        check.error,
        check.current_tag,
        check.succeeded,
        requested[0] if requested else None,
        requested[1] if requested else None,
    )


async def lock(conn: asyncpg.Connection, auto_update: str) -> AutoUpdate | None:
    """The autoUpdate, locked for the rest of the transaction (checks of one autoUpdate finish one by one)."""
    row = await conn.fetchrow("SELECT * FROM auto_updates WHERE id = $1 FOR UPDATE", auto_update)
    return AutoUpdate.of(row) if row is not None else None


async def prune(conn: asyncpg.Connection, history: timedelta) -> None:
    """Forget checks, tombstones and listings older than the history, and handled-event ids as old."""
    await conn.execute("DELETE FROM checks WHERE finished < now() - $1::interval", history)
    await conn.execute("DELETE FROM auto_updates WHERE deleted AND record_updated < now() - $1::interval", history)
    await conn.execute("DELETE FROM tag_listings WHERE fetched_at < now() - $1::interval", history)
    await forget_older_than(conn, history / timedelta(days=1))
