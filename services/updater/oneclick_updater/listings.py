"""One tag listing per repository per tick, shared by every check that needs it, on every replica.

A check asks for the tags "as fresh as" the moment it was dispatched. Under a PostgreSQL advisory lock
per repository (and credentials), the first check of a tick lists the registry and stores the result;
the others wait for the lock and find a listing fetched after their dispatch, which they reuse. A
failed listing is shared the same way, so a broken registry is asked once per tick, not once per check.

The key includes the credentials, so a listing made with one user's password is never served to a
check with other (or no) credentials.

A failure is stored and shared as the sentence the user may see; what actually went wrong is logged here, by
the replica that asked the registry, and nowhere else.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

import asyncpg
import orjson

from oneclick_core.observability.logs import get_logger
from oneclick_updater.metrics import UpdaterMetrics
from oneclick_updater.registry import REGISTRY_UNREACHABLE, Credentials, RegistryClient, RegistryError, Repository

log = get_logger(__name__)


@dataclass(frozen=True)
class SharedListing:
    key: str
    tags: list[str] | None
    error: str | None
    fetched: bool  # this call asked the registry (False: reused a listing of this tick)


def listing_key(repository: Repository, credentials: Credentials | None) -> str:
    parts = [repository.base_url, repository.name]
    if credentials is not None and credentials.usable:
        parts += [credentials.username, credentials.password]
    return hashlib.sha256(orjson.dumps(parts)).hexdigest()


def _lock_id(key: str) -> int:
    return int.from_bytes(bytes.fromhex(key)[:8], "big", signed=True)


class SharedListings:
    def __init__(self, pool: asyncpg.Pool, client: RegistryClient, metrics: UpdaterMetrics) -> None:
        self._pool = pool
        self._client = client
        self._metrics = metrics

    async def tags(
        self, repository: Repository, credentials: Credentials | None, fresh_after: datetime
    ) -> SharedListing:
        key = listing_key(repository, credentials)
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", _lock_id(key))
            row = await conn.fetchrow("SELECT fetched_at, tags, error FROM tag_listings WHERE key = $1", key)
            if row is not None and row["fetched_at"] >= fresh_after:
                self._metrics.listings.labels("shared").inc()
                return SharedListing(key, row["tags"], row["error"], fetched=False)
            started = await conn.fetchval("SELECT clock_timestamp()")
            tags: list[str] | None = None
            error: str | None = None
            requests = 0
            try:
                listing = await self._client.list_tags(repository, credentials)
                tags, requests = listing.tags, listing.requests
            except RegistryError as exc:
                error = exc.shown
                log.warning(
                    "registry.listing_failed",
                    registry=repository.registry,
                    repository=repository.name,
                    status=exc.status,
                    detail=str(exc),
                )
            except Exception:
                # Whatever else a hostile registry provokes must read like any other failure, not as a crash
                # (an error answer would tell this target apart from the others).
                error = REGISTRY_UNREACHABLE
                log.exception("registry.listing_crashed", registry=repository.registry, repository=repository.name)
            await conn.execute(
                """
                INSERT INTO tag_listings (key, registry, repository, fetched_at, tags, error, requests)
                VALUES ($1, $2, $3, $4, $5, $6, $7)
                ON CONFLICT (key) DO UPDATE SET fetched_at = $4, tags = $5, error = $6, requests = $7
                """,
                key,
                repository.registry,
                repository.name,
                started,
                tags,
                error,
                requests,
            )
            self._metrics.listings.labels("fetched" if error is None else "failed").inc()
            return SharedListing(key, tags, error, fetched=True)
