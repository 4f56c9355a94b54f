"""PostgreSQL access for services that own a schema: a pool pinned to that schema, JSON codecs."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import orjson

from oneclick_core.observability.logs import get_logger

log = get_logger(__name__)

# What a query raises when PostgreSQL is down, restarting or cut the connection: the request may be tried
# again later (503), it is not a bug (500). OSError covers refused connections and timeouts; asyncpg's
# InternalClientError is what a connection that broke mid-operation reports when it is reset.
DATABASE_UNAVAILABLE: tuple[type[Exception], ...] = (
    OSError,
    asyncpg.InterfaceError,
    asyncpg.exceptions.InternalClientError,
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
)


def _quote_ident(name: str) -> str:
    if not name.replace("_", "").isalnum():
        raise ValueError(f"invalid schema name {name!r}")
    return f'"{name}"'


async def _init_connection(conn: asyncpg.Connection) -> None:
    for type_name in ("json", "jsonb"):
        await conn.set_type_codec(
            type_name,
            schema="pg_catalog",
            encoder=lambda v: orjson.dumps(v).decode(),
            decoder=orjson.loads,
            format="text",
        )


def schema_server_settings(schema: str | None) -> dict[str, str]:
    """Connection start-up parameters pinning unqualified names to the service's own schema.

    A start-up parameter rather than ``SET``: the pool runs ``RESET ALL`` whenever a connection is
    released, which would silently drop a ``SET search_path`` made after connecting.
    """
    if schema is None:
        return {}
    return {"search_path": f"{_quote_ident(schema)}, pg_catalog"}


async def wait_for_database(dsn: str, *, attempts: int | None = None, timeout: float = 3.0) -> None:
    """Block until PostgreSQL accepts a connection, with capped backoff (services may start first)."""
    delay = 0.2
    attempt = 0
    while True:
        attempt += 1
        try:
            conn = await asyncpg.connect(dsn, timeout=timeout)
            await conn.close()
            return
        except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
            if attempts is not None and attempt >= attempts:
                raise
            log.warning("database.connect_retry", error=str(exc) or type(exc).__name__, retry_in=round(delay, 2))
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)


async def create_pool(dsn: str, schema: str | None, *, max_size: int = 10, **kwargs: Any) -> asyncpg.Pool:
    pool: asyncpg.Pool = await asyncpg.create_pool(
        dsn,
        min_size=1,
        max_size=max_size,
        init=_init_connection,
        command_timeout=30,
        server_settings=schema_server_settings(schema),
        **kwargs,
    )
    return pool


async def ping(pool: asyncpg.Pool, timeout: float = 2.0) -> None:
    async with asyncio.timeout(timeout), pool.acquire() as conn:
        await conn.fetchval("SELECT 1")
