"""The users read-model, fed by auth's ``user.*`` events: who exists, for relation checks and expand.

Applying an event is idempotent and order-tolerant: a row only moves forward in ``updated`` time, and a
deleted user stays deleted, so redeliveries and reordering after a crash leave the same state.
"""

from __future__ import annotations

import asyncpg

from oneclick_core.bus.consuming import ConsumerOptions, Delivery
from oneclick_core.bus.rpc import RpcClient
from oneclick_core.contracts.auth import (
    TOKEN_STATE,
    USER_DELETED,
    USER_EVENTS,
    Subject,
    TokenStateRequest,
    UserEventData,
)
from oneclick_core.contracts.envelope import Envelope
from oneclick_core.timestamps import parse_pb

CONSUMER = ConsumerOptions(durable="records-users", subjects=tuple(spec.subject for spec in USER_EVENTS))


class UsersReadModel:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def handle(self, envelope: Envelope, delivery: Delivery) -> None:
        spec = next(s for s in USER_EVENTS if s.type == envelope.type)
        await self.apply(spec.parse(envelope), deleted=spec is USER_DELETED)

    async def apply(self, user: UserEventData, *, deleted: bool) -> None:
        await self._pool.execute(
            """
            INSERT INTO users (id, email, email_visibility, username, verified, name, avatar, created, updated,
                               deleted)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
            ON CONFLICT (id) DO UPDATE SET
                email = EXCLUDED.email, email_visibility = EXCLUDED.email_visibility,
                username = EXCLUDED.username, verified = EXCLUDED.verified, name = EXCLUDED.name,
                avatar = EXCLUDED.avatar, updated = EXCLUDED.updated,
                deleted = users.deleted OR EXCLUDED.deleted
            WHERE users.updated <= EXCLUDED.updated OR EXCLUDED.deleted
            """,
            user.id, user.email, user.emailVisibility, user.username, user.verified, user.name, user.avatar,
            parse_pb(user.created), parse_pb(user.updated), deleted)


class AuthUsers:
    """Asks auth which of some user ids exist (the read-model lags auth by an event)."""

    def __init__(self, rpc: RpcClient) -> None:
        self._rpc = rpc

    async def existing(self, ids: set[str]) -> set[str]:
        states = await self._rpc.call(TOKEN_STATE, TokenStateRequest(
            subjects=[Subject(collection="users", id=user_id) for user_id in sorted(ids)]))
        return {state.id for state in states.states if state.version is not None}
