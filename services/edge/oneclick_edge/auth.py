"""Request authentication at the edge: tokens are verified here, locally, with auth's public keys.

Handlers depend on :func:`optional_auth`, :func:`require_auth` or :func:`require_superuser` and get a
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
from urllib.parse import unquote

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from fastapi import Depends, Request
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
from oneclick_core.logs import get_logger
from oneclick_core.tokens import (
    SUPERUSERS_COLLECTION_ID,
    SUPERUSERS_COLLECTION_NAME,
    USERS_COLLECTION_ID,
    USERS_COLLECTION_NAME,
    AuthCollectionName,
    TokenError,
    UnknownKeyError,
    keys_from_jwks,
    verify_token,
)
from oneclick_edge.context import EdgeContext, edge_context

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

    def __init__(self, rpc: RpcClient, *, key_refresh_interval: float = 1.0, user_state_ttl: float = 600.0,
                 superuser_state_ttl: float = 5.0, max_entries: int = 100_000) -> None:
        self._rpc = rpc
        self._key_refresh_interval = key_refresh_interval
        # Users' versions are kept current by events; the TTL only bounds the damage of a missed one.
        # Superusers have no events, so what we learn about them is trusted for a few seconds only.
        self._ttl: dict[Collection, float] = {USERS_COLLECTION_NAME: user_state_ttl,
                                              SUPERUSERS_COLLECTION_NAME: superuser_state_ttl}
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
        states = await self._rpc.call(TOKEN_STATE, TokenStateRequest(subjects=[Subject(collection=collection,
                                                                                       id=subject)]))
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
        self._subscription = await js.subscribe(_USER_EVENT_SUBJECTS, cb=self._on_event, ordered_consumer=True,
                                                deliver_policy=DeliverPolicy.NEW)

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


def bearer_token(request: Request) -> str | None:
    """The token of the ``Authorization`` header; the PocketBase SDK sends it raw, others as ``Bearer``."""
    header = request.headers.get("authorization", "").strip()
    if header[:7].lower() == "bearer ":
        header = header[7:].strip()
    return header or None


def cookie_or_query_token(request: Request) -> str | None:
    """For requests a browser makes by itself (``<img src>``, WebSockets): ``?token=`` or the SDK's
    ``pb_auth`` cookie. Only for safe (read-only) methods, so a cross-site form cannot act as the user."""
    if request.method not in ("GET", "HEAD"):
        return None
    if token := request.query_params.get("token"):
        return token
    return pb_auth_cookie_token(request.cookies.get("pb_auth"))


def pb_auth_cookie_token(cookie: str | None) -> str | None:
    """The token in the cookie the PocketBase SDK's ``authStore.exportToCookie()`` writes."""
    if not cookie:
        return None
    try:
        value = orjson.loads(unquote(cookie))
    except orjson.JSONDecodeError:
        return None
    token = value.get("token") if isinstance(value, dict) else None
    return token if isinstance(token, str) and token else None


def authenticator_of(context: EdgeContext) -> Authenticator:
    if context.authenticator is None:
        raise ApiError.unavailable("Authentication is not configured.")
    return context.authenticator


async def optional_auth(request: Request, context: EdgeContext = Depends(edge_context)) -> Principal | None:
    """The caller, or None without a token. A token that is present but invalid is a 401, not a guest."""
    token = bearer_token(request)
    if token is None:
        return None
    return await authenticator_of(context).authenticate(token)


async def require_auth(principal: Principal | None = Depends(optional_auth)) -> Principal:
    if principal is None:
        raise ApiError.unauthorized(UNAUTHORIZED)
    return principal


async def require_superuser(principal: Principal = Depends(require_auth)) -> Principal:
    if not principal.is_superuser:
        raise ApiError.forbidden("Only superusers can perform this action.")
    return principal


async def browser_auth(request: Request, context: EdgeContext = Depends(edge_context)) -> Principal:
    """Like :func:`require_auth`, also accepting the cookie or query token a browser sends by itself."""
    token = bearer_token(request) or cookie_or_query_token(request)
    if token is None:
        raise ApiError.unauthorized(UNAUTHORIZED)
    return await authenticator_of(context).authenticate(token)


_AUTH_COLLECTIONS: dict[str, Collection] = {
    USERS_COLLECTION_NAME: USERS_COLLECTION_NAME, USERS_COLLECTION_ID: USERS_COLLECTION_NAME,
    SUPERUSERS_COLLECTION_NAME: SUPERUSERS_COLLECTION_NAME, SUPERUSERS_COLLECTION_ID: SUPERUSERS_COLLECTION_NAME,
}


def auth_collection(collection: str) -> Collection:
    """The auth collection named (or id'd) in the path; any other collection has no auth routes."""
    found = _AUTH_COLLECTIONS.get(collection)
    if found is None:
        raise ApiError.not_found("Missing or invalid auth collection context.")
    return found
