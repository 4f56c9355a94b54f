"""SQL of the ``auth`` schema. Every function takes the caller's connection, so callers own transactions.

Anything that changes a user also writes its ``user.*`` event here, in the same transaction
(:func:`emit_user_event`), so a change and its event are committed together or not at all.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from oneclick_core.contracts.auth import SuperuserRecord, UserEventData, UserRecord
from oneclick_core.contracts.envelope import EventSpec
from oneclick_core.observability.tracing import current_traceparent
from oneclick_core.runtime.outbox import enqueue
from oneclick_core.timestamps import format_pb

SCHEMA = "auth"
SOURCE = "auth"


@dataclass(frozen=True)
class UserRow:
    id: str
    email: str
    email_visibility: bool
    username: str
    verified: bool
    name: str
    avatar: str
    password_hash: str
    token_version: int
    created: datetime
    updated: datetime

    @classmethod
    def from_record(cls, row: asyncpg.Record) -> UserRow:
        return cls(**{name: row[name] for name in cls.__dataclass_fields__})

    def record(self) -> UserRecord:
        return UserRecord(
            id=self.id,
            created=format_pb(self.created),
            updated=format_pb(self.updated),
            email=self.email,
            emailVisibility=self.email_visibility,
            username=self.username,
            verified=self.verified,
            name=self.name,
            avatar=self.avatar,
        )

    def event_data(self) -> UserEventData:
        return UserEventData(
            **self.record().model_dump(exclude={"collectionId", "collectionName"}), tokenVersion=self.token_version
        )


@dataclass(frozen=True)
class SuperuserRow:
    id: str
    email: str
    password_hash: str
    token_version: int
    created: datetime
    updated: datetime

    @classmethod
    def from_record(cls, row: asyncpg.Record) -> SuperuserRow:
        return cls(**{name: row[name] for name in cls.__dataclass_fields__})

    def record(self) -> SuperuserRecord:
        return SuperuserRecord(
            id=self.id, created=format_pb(self.created), updated=format_pb(self.updated), email=self.email
        )


_USER_COLUMNS = (
    "id, email, email_visibility, username, verified, name, avatar, password_hash, token_version, created, updated"
)


async def emit_user_event(conn: asyncpg.Connection, spec: EventSpec[UserEventData], user: UserRow) -> None:
    envelope = spec.envelope(
        source=SOURCE, data=user.event_data(), subject=user.id, traceparent=current_traceparent.get()
    )
    await enqueue(conn, spec.subject, envelope, schema=SCHEMA)


# -- users ---------------------------------------------------------------------------------------------


async def get_user(conn: asyncpg.Connection, user_id: str, *, for_update: bool = False) -> UserRow | None:
    lock = " FOR UPDATE" if for_update else ""
    row = await conn.fetchrow(f"SELECT {_USER_COLUMNS} FROM users WHERE id = $1{lock}", user_id)
    return UserRow.from_record(row) if row else None


async def find_user_by_identity(conn: asyncpg.Connection, identity: str) -> UserRow | None:
    """The user whose email or username is ``identity`` (case-insensitive)."""
    row = await conn.fetchrow(
        f"SELECT {_USER_COLUMNS} FROM users WHERE (email <> '' AND lower(email) = lower($1))"
        " OR lower(username) = lower($1) ORDER BY lower(email) = lower($1) DESC LIMIT 1",
        identity,
    )
    return UserRow.from_record(row) if row else None


async def find_user_by_email(conn: asyncpg.Connection, email: str) -> UserRow | None:
    if not email:
        return None
    row = await conn.fetchrow(
        f"SELECT {_USER_COLUMNS} FROM users WHERE email <> '' AND lower(email) = lower($1)", email
    )
    return UserRow.from_record(row) if row else None


async def email_taken(conn: asyncpg.Connection, email: str, except_id: str | None = None) -> bool:
    return bool(
        await conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM users WHERE email <> '' AND lower(email) = lower($1) "
            "AND id IS DISTINCT FROM $2)",
            email,
            except_id,
        )
    )


async def username_taken(conn: asyncpg.Connection, username: str, except_id: str | None = None) -> bool:
    return bool(
        await conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM users WHERE lower(username) = lower($1) AND id IS DISTINCT FROM $2)",
            username,
            except_id,
        )
    )


async def insert_user(
    conn: asyncpg.Connection,
    *,
    id: str,
    email: str,
    email_visibility: bool,
    username: str,
    verified: bool,
    name: str,
    avatar: str,
    password_hash: str,
) -> UserRow:
    row = await conn.fetchrow(
        "INSERT INTO users (id, email, email_visibility, username, verified, name, avatar, password_hash)"
        f" VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {_USER_COLUMNS}",
        id,
        email,
        email_visibility,
        username,
        verified,
        name,
        avatar,
        password_hash,
    )
    return UserRow.from_record(row)


_UPDATABLE = frozenset({"email", "email_visibility", "username", "verified", "name", "avatar", "password_hash"})


async def update_user(
    conn: asyncpg.Connection, user_id: str, changes: dict[str, Any], *, revoke_tokens: bool = False
) -> UserRow:
    """Apply column changes (and raise the token version when asked); ``updated`` is always bumped."""
    unknown = set(changes) - _UPDATABLE
    if unknown:
        raise ValueError(f"not updatable: {sorted(unknown)}")
    names = list(changes)
    assignments = [f"{name} = ${index}" for index, name in enumerate(names, start=2)]
    assignments.append("updated = now()")
    if revoke_tokens:
        assignments.append("token_version = token_version + 1")
    row = await conn.fetchrow(
        f"UPDATE users SET {', '.join(assignments)} WHERE id = $1 RETURNING {_USER_COLUMNS}",
        user_id,
        *(changes[name] for name in names),
    )
    if row is None:
        raise LookupError(user_id)
    return UserRow.from_record(row)


async def delete_user(conn: asyncpg.Connection, user_id: str) -> None:
    await conn.execute("DELETE FROM users WHERE id = $1", user_id)


async def token_versions(conn: asyncpg.Connection, table: str, ids: list[str]) -> dict[str, int]:
    if table not in ("users", "superusers"):
        raise ValueError(table)
    rows = await conn.fetch(f"SELECT id, token_version FROM {table} WHERE id = ANY($1::text[])", ids)
    return {row["id"]: row["token_version"] for row in rows}


# -- avatars -------------------------------------------------------------------------------------------


async def put_avatar(conn: asyncpg.Connection, user_id: str, filename: str, content_type: str, content: bytes) -> None:
    await conn.execute("DELETE FROM avatars WHERE user_id = $1", user_id)
    await conn.execute(
        "INSERT INTO avatars (user_id, filename, content_type, content) VALUES ($1, $2, $3, $4)",
        user_id,
        filename,
        content_type,
        content,
    )


async def remove_avatar(conn: asyncpg.Connection, user_id: str) -> None:
    await conn.execute("DELETE FROM avatars WHERE user_id = $1", user_id)


async def get_avatar(conn: asyncpg.Connection, user_id: str, filename: str) -> tuple[str, bytes] | None:
    row = await conn.fetchrow(
        "SELECT content_type, content FROM avatars WHERE user_id = $1 AND filename = $2", user_id, filename
    )
    return (row["content_type"], bytes(row["content"])) if row else None


# -- OAuth2 --------------------------------------------------------------------------------------------


async def find_identity(conn: asyncpg.Connection, provider: str, provider_id: str) -> str | None:
    user_id: str | None = await conn.fetchval(
        "SELECT user_id FROM oauth2_identities WHERE provider = $1 AND provider_id = $2", provider, provider_id
    )
    return user_id


async def link_identity(conn: asyncpg.Connection, provider: str, provider_id: str, user_id: str) -> None:
    await conn.execute(
        "INSERT INTO oauth2_identities (provider, provider_id, user_id) VALUES ($1, $2, $3)"
        " ON CONFLICT (provider, provider_id) DO NOTHING",
        provider,
        provider_id,
        user_id,
    )


async def remember_state(
    conn: asyncpg.Connection, verifier_hash: str, state: str, provider: str, lifetime: float
) -> None:
    await conn.execute("DELETE FROM oauth2_states WHERE expires_at < now()")
    await conn.execute(
        "INSERT INTO oauth2_states (verifier_hash, state, provider, expires_at)"
        " VALUES ($1, $2, $3, now() + make_interval(secs => $4))",
        verifier_hash,
        state,
        provider,
        lifetime,
    )


async def take_state(conn: asyncpg.Connection, verifier_hash: str) -> tuple[str, str] | None:
    """(state, provider) issued with this verifier, consumed so it works once; None if unknown or expired."""
    row = await conn.fetchrow(
        "DELETE FROM oauth2_states WHERE verifier_hash = $1 RETURNING state, provider, expires_at > now() AS live",
        verifier_hash,
    )
    if row is None or not row["live"]:
        return None
    return row["state"], row["provider"]


# -- superusers ----------------------------------------------------------------------------------------

_SUPERUSER_COLUMNS = "id, email, password_hash, token_version, created, updated"


async def find_superuser_by_email(conn: asyncpg.Connection, email: str) -> SuperuserRow | None:
    row = await conn.fetchrow(f"SELECT {_SUPERUSER_COLUMNS} FROM superusers WHERE lower(email) = lower($1)", email)
    return SuperuserRow.from_record(row) if row else None


async def get_superuser(conn: asyncpg.Connection, superuser_id: str) -> SuperuserRow | None:
    row = await conn.fetchrow(f"SELECT {_SUPERUSER_COLUMNS} FROM superusers WHERE id = $1", superuser_id)
    return SuperuserRow.from_record(row) if row else None


async def count_superusers(conn: asyncpg.Connection) -> int:
    count: int = await conn.fetchval("SELECT count(*) FROM superusers")
    return count


async def insert_superuser(conn: asyncpg.Connection, superuser_id: str, email: str, password_hash: str) -> SuperuserRow:
    row = await conn.fetchrow(
        f"INSERT INTO superusers (id, email, password_hash) VALUES ($1, $2, $3) RETURNING {_SUPERUSER_COLUMNS}",
        superuser_id,
        email,
        password_hash,
    )
    return SuperuserRow.from_record(row)


async def set_superuser_password(conn: asyncpg.Connection, superuser_id: str, password_hash: str) -> SuperuserRow:
    row = await conn.fetchrow(
        "UPDATE superusers SET password_hash = $2, token_version = token_version + 1, updated = now()"
        f" WHERE id = $1 RETURNING {_SUPERUSER_COLUMNS}",
        superuser_id,
        password_hash,
    )
    return SuperuserRow.from_record(row)


# -- signing keys --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyRow:
    kid: str
    private_key: bytes
    public_jwk: dict[str, str]
    created: datetime
    retired_at: datetime | None


async def live_keys(conn: asyncpg.Connection, token_lifetime: float) -> list[KeyRow]:
    """Keys that sign or still verify, newest first; keys whose every token has expired are deleted."""
    await conn.execute(
        "DELETE FROM signing_keys WHERE retired_at IS NOT NULL AND retired_at + make_interval(secs => $1) < now()",
        token_lifetime,
    )
    rows = await conn.fetch(
        "SELECT kid, private_key, public_jwk, created, retired_at FROM signing_keys ORDER BY created DESC, kid"
    )
    return [
        KeyRow(
            kid=r["kid"],
            private_key=bytes(r["private_key"]),
            public_jwk=r["public_jwk"],
            created=r["created"],
            retired_at=r["retired_at"],
        )
        for r in rows
    ]


async def add_key(conn: asyncpg.Connection, kid: str, private_pem: bytes, public_jwk: dict[str, str]) -> None:
    """Store a new key and retire the one that signed until now."""
    await conn.execute("UPDATE signing_keys SET retired_at = now() WHERE retired_at IS NULL")
    await conn.execute(
        "INSERT INTO signing_keys (kid, private_key, public_jwk) VALUES ($1, $2, $3)", kid, private_pem, public_jwk
    )


# -- rate limits ---------------------------------------------------------------------------------------


def limit_key(kind: str, value: str) -> str:
    # Hashed so identities (emails) are not kept in clear in the counters table.
    return f"{kind}:{hashlib.sha256(value.strip().lower().encode()).hexdigest()}"


async def hit(conn: asyncpg.Connection, key: str, window: float) -> int:
    """Count one attempt against ``key`` in its current fixed window; returns the attempts so far."""
    hits: int = await conn.fetchval(
        "INSERT INTO rate_limits AS r (key, window_start, hits) VALUES ($1, now(), 1)"
        " ON CONFLICT (key) DO UPDATE SET"
        "  hits = CASE WHEN r.window_start < now() - make_interval(secs => $2) THEN 1 ELSE r.hits + 1 END,"
        "  window_start = CASE WHEN r.window_start < now() - make_interval(secs => $2) THEN now()"
        "                 ELSE r.window_start END"
        " RETURNING hits",
        key,
        window,
    )
    return hits


async def forgive(conn: asyncpg.Connection, key: str) -> None:
    await conn.execute("UPDATE rate_limits SET hits = greatest(hits - 1, 0) WHERE key = $1", key)


async def forget_old_hits(conn: asyncpg.Connection, window: float) -> None:
    await conn.execute("DELETE FROM rate_limits WHERE window_start < now() - make_interval(secs => $1)", window)
