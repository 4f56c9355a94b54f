"""Token verification at the edge: tokens are verified here, locally, with auth's public keys.

This module knows nothing of HTTP: handlers reach it through the FastAPI dependencies of
:mod:`oneclick_edge.dependencies` (``optional_auth``, ``require_auth``, ...), which find the token in the
request (:mod:`oneclick_edge.credentials`) and hand it to :meth:`Authenticator.authenticate` for a
:class:`Principal`. Verification needs no call to auth per request:

- signature: EdDSA only, with the public key named by the token's ``kid`` (keys come from auth's JWKS
  and are cached; an unknown ``kid`` refreshes them once, at most once per ``key_refresh_interval``);
- expiry and purpose (``type`` = ``auth``; one-time link tokens never authenticate);
- revocation: tokens carry their account's token version; a password change, logout-all or deletion
  raises it. The edge learns versions from ``user.*`` events and asks auth (``token_state``, cached)
  about accounts it has heard nothing of.

Every edge replica must see every user event, so events are not read through a durable consumer shared
by the replicas (those compete for messages) but through a per-replica ordered JetStream consumer that
delivers new events only. Ordered consumers recreate themselves from the last sequence they saw after
a disconnect, so a replica misses no revocation while NATS restarts, and nothing is left on the server
when the replica goes away.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections import OrderedDict
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import DeliverPolicy
from pydantic import ValidationError

from oneclick_core.bus.rpc import RpcClient
from oneclick_core.contracts.auth import (
    JWKS,
    TOKEN_STATE,
    USER_DELETED,
    USER_EVENTS,
    Actor,
    JwksRequest,
    Subject,
    TokenStateRequest,
    UserEventData,
)
from oneclick_core.contracts.envelope import EVENT_SUBJECT_PREFIX, Envelope
from oneclick_core.errors import ApiError
from oneclick_core.observability.logs import get_logger
from oneclick_core.tokens import (
    SUPERUSERS_COLLECTION_NAME,
    USERS_COLLECTION_NAME,
    AuthCollectionName,
    TokenError,
    UnknownKeyError,
    keys_from_jwks,
    verify_token,
)

log = get_logger(__name__)

Collection = AuthCollectionName
_GONE = math.inf  # the version of a deleted account: above every token's
_USER_EVENT_SUBJECTS = f"{EVENT_SUBJECT_PREFIX}.user.>"
UNAUTHORIZED = "The request requires valid record authorization token."


@dataclass(frozen=True)
class Principal:
    """The authenticated caller."""

    id: str
    collection: Collection
    token: str

    @property
    def is_superuser(self) -> bool:
        return self.collection == SUPERUSERS_COLLECTION_NAME

    @property
    def actor(self) -> Actor:
        return Actor(id=self.id, collection=self.collection)


class Authenticator:
    """Verifies tokens for one edge replica; holds its key and token-version caches."""

    def __init__(
        self,
        rpc: RpcClient,
        *,
        key_refresh_interval: float = 1.0,
        user_state_ttl: float = 600.0,
        superuser_state_ttl: float = 5.0,
        max_entries: int = 100_000,
    ) -> None:
        self._rpc = rpc
        self._key_refresh_interval = key_refresh_interval
        # Users' versions are kept current by events; the TTL only bounds the damage of a missed one.
        # Superusers have no events, so what we learn about them is trusted for a few seconds only.
        self._ttl: dict[Collection, float] = {
            USERS_COLLECTION_NAME: user_state_ttl,
            SUPERUSERS_COLLECTION_NAME: superuser_state_ttl,
        }
        self._max_entries = max_entries
        self._keys: dict[str, Ed25519PublicKey] = {}
        self._keys_fetched = -math.inf
        self._keys_lock = asyncio.Lock()
        self._versions: OrderedDict[tuple[Collection, str], tuple[float, float]] = OrderedDict()
        self._subscription: JetStreamContext.PushSubscription | None = None

    # -- verification ---------------------------------------------------------------------------------
    async def authenticate(self, token: str) -> Principal:
        """The principal of a valid, unrevoked auth token; 401 for anything else."""
        try:
            try:
                claims = verify_token(token, self._keys)
            except UnknownKeyError as unknown:
                if not await self._refresh_keys(unknown.kid):
                    raise
                claims = verify_token(token, self._keys)
        except TokenError as exc:
            log.info("auth.token_rejected", reason=exc.reason)
            raise ApiError.unauthorized(UNAUTHORIZED) from None
        collection = claims.collection_name
        if collection is None:
            raise ApiError.unauthorized(UNAUTHORIZED)
        version = await self._version(collection, claims.subject, at_least=claims.version)
        if version != claims.version:
            log.info("auth.token_rejected", reason="revoked", collection=collection)
            raise ApiError.unauthorized(UNAUTHORIZED)
        return Principal(id=claims.subject, collection=collection, token=token)

    async def _refresh_keys(self, kid: str) -> bool:
        """Make ``kid`` known by fetching the JWKS again, unless that was done very recently: tokens with
        made-up kids must not turn into a flood of requests to auth. True when ``kid`` is known now."""
        async with self._keys_lock:
            # Requests that waited for the lock find the keys another one has just fetched.
            if kid in self._keys:
                return True
            if time.monotonic() - self._keys_fetched < self._key_refresh_interval:
                return False
            self._keys_fetched = time.monotonic()
            jwks = await self._rpc.call(JWKS, JwksRequest())
            self._keys = keys_from_jwks(jwks.model_dump())
            return kid in self._keys

    async def _version(self, collection: Collection, subject: str, *, at_least: int) -> float:
        key = (collection, subject)
        cached = self._versions.get(key)
        fresh = cached is not None and time.monotonic() - cached[1] < self._ttl[collection]
        # A token newer than what we know means its account changed since: our entry is stale.
        if cached is not None and fresh and cached[0] >= at_least:
            return cached[0]
        states = await self._rpc.call(
            TOKEN_STATE, TokenStateRequest(subjects=[Subject(collection=collection, id=subject)])
        )
        version = states.states[0].version
        return self._learn(collection, subject, _GONE if version is None else version)

    def _learn(self, collection: Collection, subject: str, version: float) -> float:
        """Record a version. Versions only ever grow (deletion is infinite), so taking the maximum makes
        the order in which events and RPC answers arrive irrelevant: a late answer cannot undo a revocation."""
        key = (collection, subject)
        current = self._versions.get(key)
        if current is not None:
            version = max(version, current[0])
        self._versions[key] = (version, time.monotonic())
        self._versions.move_to_end(key)
        while len(self._versions) > self._max_entries:
            self._versions.popitem(last=False)
        return version

    def revoked(self, collection: Collection, subject: str, version: int | None) -> None:
        """Apply what this replica itself just changed (e.g. a password change it forwarded)."""
        self._learn(collection, subject, _GONE if version is None else version)

    # -- user events ----------------------------------------------------------------------------------
    async def follow_user_events(self, js: JetStreamContext) -> None:
        """Subscribe before the replica serves requests, so no revocation falls in between."""
        self._subscription = await js.subscribe(
            _USER_EVENT_SUBJECTS, cb=self._on_event, ordered_consumer=True, deliver_policy=DeliverPolicy.NEW
        )

    async def stop(self) -> None:
        if self._subscription is not None:
            with contextlib.suppress(Exception):
                await self._subscription.unsubscribe()

    async def _on_event(self, msg: Msg) -> None:
        try:
            envelope = Envelope.model_validate_json(msg.data)
            spec = next((s for s in USER_EVENTS if s.type == envelope.type), None)
            if spec is None:
                return
            data: UserEventData = spec.parse(envelope)
        except (ValidationError, ValueError) as exc:
            log.warning("auth.user_event_unreadable", error=str(exc))
            return
        version = _GONE if spec is USER_DELETED else data.tokenVersion
        self._learn(USERS_COLLECTION_NAME, data.id, version)
