"""The users read-model, fed by auth's ``user.*`` events, and what a deleted account leaves behind.

Applying ``user.created``/``user.updated`` is idempotent and order-tolerant: a row only moves forward in
``updated`` time, and a deleted user stays deleted, so redeliveries and reordering after a crash leave the
same state.

``user.deleted`` does what PocketBase's cascadeDelete relations do, in steps that each commit on their own
and are each harmless to repeat, so a crash anywhere resumes on the redelivery:

1. the row becomes a tombstone: marked deleted, personal fields cleared (the row itself stays, so a
   late ``user.updated`` cannot bring the account back, and every later write naming it is refused);
2. every record the user owns is deleted through :func:`changing.delete` with the user as the actor, one
   transaction per record with its cascades — projects first, so the project's deployments, rollouts
   and autoUpdates go with it and ``project.deleted`` makes the executor delete the namespace, exactly
   as when the user deletes a project; then whatever the user owns elsewhere, and their blueprints;
3. the user's id leaves every other blueprint's ``users`` (``blueprint.updated`` each);
4. the event is claimed in the inbox: a redelivery after that does nothing at all.
"""

from __future__ import annotations

import asyncpg

from oneclick_core.bus.consuming import ConsumerOptions, Delivery
from oneclick_core.bus.rpc import RpcClient
from oneclick_core.contracts.auth import (
    TOKEN_STATE,
    USER_DELETED,
    USER_EVENTS,
    Actor,
    Subject,
    TokenStateRequest,
    UserEventData,
)
from oneclick_core.contracts.envelope import Envelope
from oneclick_core.errors import ApiError
from oneclick_core.observability.logs import get_logger
from oneclick_core.runtime.inbox import claim, claimed
from oneclick_core.timestamps import parse_pb
from oneclick_records import changing
from oneclick_records.collections.autoupdates import AUTO_UPDATES
from oneclick_records.collections.blueprints import BLUEPRINTS, unshare_blueprint
from oneclick_records.collections.deployments import DEPLOYMENTS
from oneclick_records.collections.projects import PROJECTS
from oneclick_records.collections.rollouts import ROLLOUTS
from oneclick_records.declaring import Collection
from oneclick_records.userlocks import lock_for_deletion

log = get_logger(__name__)

CONSUMER = ConsumerOptions(durable="records-users", subjects=tuple(spec.subject for spec in USER_EVENTS))

# Projects first: their cascades take the deployments, rollouts and autoUpdates in them. The rest only
# finds records of the user in other users' projects (a superuser can create those) and the blueprints.
OWNED_IN_ORDER: tuple[Collection, ...] = (PROJECTS, DEPLOYMENTS, ROLLOUTS, AUTO_UPDATES, BLUEPRINTS)
# Ids read per query; each record is still deleted in a transaction of its own.
BATCH = 100


class UsersReadModel:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def handle(self, envelope: Envelope, delivery: Delivery) -> None:
        spec = next(s for s in USER_EVENTS if s.type == envelope.type)
        user = spec.parse(envelope)
        if spec is USER_DELETED:
            await self.delete_account(envelope.id, user)
        else:
            await self.apply(user)

    async def apply(self, user: UserEventData) -> None:
        """A created or updated user; never revives a deleted one nor goes back in time."""
        await self._pool.execute(
            """
            INSERT INTO users (id, email, email_visibility, username, verified, name, avatar, created, updated)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
            ON CONFLICT (id) DO UPDATE SET
                email = EXCLUDED.email, email_visibility = EXCLUDED.email_visibility,
                username = EXCLUDED.username, verified = EXCLUDED.verified, name = EXCLUDED.name,
                avatar = EXCLUDED.avatar, updated = EXCLUDED.updated
            WHERE NOT users.deleted AND users.updated <= EXCLUDED.updated
            """,
            user.id,
            user.email,
            user.emailVisibility,
            user.username,
            user.verified,
            user.name,
            user.avatar,
            parse_pb(user.created),
            parse_pb(user.updated),
        )

    async def delete_account(self, event_id: str, user: UserEventData) -> None:
        """Everything of a deleted account goes (see the module docstring); resumable and repeatable."""
        async with self._pool.acquire() as conn:
            if await claimed(conn, CONSUMER.durable, event_id):
                return  # a redelivery of a deletion that completed
        await self._tombstone(user)
        owner = Actor(id=user.id, collection="users")
        deleted = {c.name: await self._delete_owned(c, owner) for c in OWNED_IN_ORDER}
        unshared = await self._unshare(user.id)
        async with self._pool.acquire() as conn, conn.transaction():
            await claim(conn, CONSUMER.durable, event_id)
        log.info("user.records_deleted", user=user.id, unshared_blueprints=unshared, **deleted)

    async def _tombstone(self, user: UserEventData) -> None:
        async with self._pool.acquire() as conn, conn.transaction():
            # Waits for writes naming the user that are in flight; later ones see the mark.
            await lock_for_deletion(conn, user.id)
            await conn.execute(
                """
                INSERT INTO users (id, created, updated, deleted) VALUES ($1, $2, $3, true)
                ON CONFLICT (id) DO UPDATE SET
                    email = '', email_visibility = false, username = '', verified = false, name = '',
                    avatar = '', updated = greatest(users.updated, EXCLUDED.updated), deleted = true
                """,
                user.id,
                parse_pb(user.created),
                parse_pb(user.updated),
            )

    async def _delete_owned(self, collection: Collection, owner: Actor) -> int:
        """Delete the owner's records of ``collection`` one by one through the ordinary delete."""
        column = collection.field(collection.owner_field)
        assert column is not None
        tried: set[str] = set()
        deleted = 0
        while True:
            async with self._pool.acquire() as conn:
                ids = [
                    row["id"]
                    for row in await conn.fetch(
                        f'SELECT id FROM {collection.table} WHERE "{column.sql_column}" = $1 ORDER BY created, id '
                        "LIMIT $2",
                        owner.id,
                        BATCH,
                    )
                ]
            if not ids:
                return deleted
            if tried.issuperset(ids):
                # Only ids the delete said were gone: a rule refusing the owner, not a race. Retrying
                # cannot help; the error makes the event retry and, in the end, dead-letter loudly.
                raise RuntimeError(f"{collection.name} {sorted(ids)} of {owner.id} cannot be deleted")
            for record_id in ids:
                tried.add(record_id)
                try:
                    async with self._pool.acquire() as conn, conn.transaction():
                        await changing.delete(conn, collection, record_id, owner)
                    deleted += 1
                except ApiError as exc:
                    if exc.status != 404:
                        raise
                    # Gone already: a cascade of an earlier delete, or a concurrent redelivery.

    async def _unshare(self, user_id: str) -> int:
        unshared = 0
        while True:
            async with self._pool.acquire() as conn:
                ids = [
                    row["id"]
                    for row in await conn.fetch(
                        "SELECT id FROM blueprints WHERE $1 = ANY (users) ORDER BY id LIMIT $2", user_id, BATCH
                    )
                ]
            if not ids:
                return unshared
            for blueprint_id in ids:
                async with self._pool.acquire() as conn, conn.transaction():
                    if await unshare_blueprint(conn, blueprint_id, user_id) is not None:
                        unshared += 1


class AuthUsers:
    """Asks auth which of some user ids exist (the read-model lags auth by an event)."""

    def __init__(self, rpc: RpcClient) -> None:
        self._rpc = rpc

    async def existing(self, ids: set[str]) -> set[str]:
        states = await self._rpc.call(
            TOKEN_STATE,
            TokenStateRequest(subjects=[Subject(collection="users", id=user_id) for user_id in sorted(ids)]),
        )
        return {state.id for state in states.states if state.version is not None}
