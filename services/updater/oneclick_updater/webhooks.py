"""Webhook secrets: generated per autoUpdate, stored as SHA-256 digests, shown once, rotatable.

The plain secret is kept only until the owner has seen it once (``unrevealed``); after that only its
digest exists, and a lost secret can only be replaced (rotated), never shown again.

The anonymous webhook must not tell which autoUpdate ids exist: :func:`matches` does the same work for an
unknown (or deleted) id as for a wrong secret, and the caller answers both the same way.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from oneclick_core.contracts.updater import WEBHOOK_SECRET_PREFIX, webhook_secret_digest


def new_secret() -> tuple[str, str]:
    """A fresh secret and its digest."""
    secret = WEBHOOK_SECRET_PREFIX + secrets.token_urlsafe(32)
    return secret, webhook_secret_digest(secret)


@dataclass(frozen=True)
class Shown:
    secret: str | None
    created: datetime


async def reveal(conn: asyncpg.Connection, auto_update: str) -> Shown | None:
    """The secret if it was never shown (and from now on never again), else only when it was made.

    Call inside a transaction: the row stays locked until the plain secret is gone.
    """
    row = await conn.fetchrow(
        "SELECT unrevealed, created FROM webhook_secrets WHERE auto_update = $1 FOR UPDATE", auto_update
    )
    if row is None:
        return None
    if row["unrevealed"] is not None:
        await conn.execute("UPDATE webhook_secrets SET unrevealed = NULL WHERE auto_update = $1", auto_update)
    return Shown(row["unrevealed"], row["created"])


async def rotate(conn: asyncpg.Connection, auto_update: str) -> Shown:
    """Replace the secret: the new one is shown now and never again; the old one stops working at once."""
    secret, digest = new_secret()
    created = await conn.fetchval(
        "INSERT INTO webhook_secrets (auto_update, digest, unrevealed, created) VALUES ($1, $2, NULL, now()) "
        "ON CONFLICT (auto_update) DO UPDATE SET digest = $2, unrevealed = NULL, created = now() RETURNING created",
        auto_update,
        digest,
    )
    return Shown(secret, created)


# What an id without a secret is compared against: a digest no secret has (not hex), as long as a real one.
_NO_SECRET = "-" * 64


async def matches(conn: asyncpg.Connection, auto_update: str, digest: str) -> bool:
    """Whether ``digest`` is the secret's of a live autoUpdate (deleted ones have no secret row)."""
    stored: str | None = await conn.fetchval("SELECT digest FROM webhook_secrets WHERE auto_update = $1", auto_update)
    # Constant time, so response timing tells nothing about how much of a guess was right; and one comparison
    # for an unknown id too, so timing does not tell whether the id exists.
    same = hmac.compare_digest((stored or _NO_SECRET).encode(), digest.encode())
    return same and stored is not None
