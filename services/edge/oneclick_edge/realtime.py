"""PocketBase's realtime protocol (``/api/realtime``) over NATS, for any number of edge replicas.

A browser holds an SSE connection to one replica and sets its subscriptions with ``POST /api/realtime``,
which a load balancer may send to another replica. Each client therefore listens on its own core NATS
subject (``oneclick.live.realtime.<clientId>``): the replica that takes the POST forwards it there, and
the replica holding the connection applies it (no replica has it → 404, as PocketBase answers).

Record changes come from the domain events every replica receives on core NATS (JetStream delivers
published events to plain subscribers too). For each client whose subscriptions match and whose
actor the event's audience admits, the record is read again through records with the client's own
actor and options (expand, fields, filter), so a client never receives what its view rule would deny,
and its manifests arrive complete rather than redacted. Deletions are sent from the event itself.
Each client is served in order by one task; its outgoing queue is bounded and a client that cannot keep
up is disconnected (the SDK reconnects and resubscribes), so it never slows anyone else.

A connection counts against its user's cap (:mod:`oneclick_edge.caps`) from the moment it is the user's: at
``GET`` when that carries the user's token, else when a subscription first comes with it (the SDK's way, as
an ``EventSource`` sends no headers); past the cap that request answers 429. A deletion is pushed from the
event itself, whose record keeps every subscriber of a blueprint, so it is cut down to what the recipient may
read first (``seen_by``), as records does for everything else.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import string
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import parse_qs

import nats.errors
import orjson
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription as NatsSubscription
from pydantic import BaseModel, Field, ValidationError

from oneclick_core.bus.rpc import RpcClient
from oneclick_core.contracts.auth import Actor
from oneclick_core.contracts.envelope import EVENT_SUBJECT_PREFIX, LIVE_SUBJECT_PREFIX, Envelope
from oneclick_core.contracts.records import (
    LIST,
    VIEW,
    ListRequest,
    RecordChange,
    ViewRequest,
    collection_name,
    seen_by,
)
from oneclick_core.errors import ApiError
from oneclick_core.observability.logs import get_logger
from oneclick_core.search.fields import parse_fields, pick_fields
from oneclick_edge.authenticator import Authenticator, Principal
from oneclick_edge.caps import ConnectionCap, Slot, too_many_connections

log = get_logger(__name__)

CLIENT_SUBJECT = f"{LIVE_SUBJECT_PREFIX}.realtime"
MAX_SUBSCRIPTIONS = 1000
MAX_TOPIC_LENGTH = 2500
_ID_ALPHABET = string.ascii_letters + string.digits


@dataclass(frozen=True)
class Topic:
    """A parsed subscription: ``projects/*``, ``projects/<id>`` or ``projects``, with its options."""

    raw: str
    collection: str | None  # canonical collection name, None when it is not a records collection
    record_id: str | None  # None: every record of the collection
    query: dict[str, str]

    @classmethod
    def parse(cls, raw: str) -> Topic:
        path, _, query_string = raw.partition("?")
        name, _, record = path.partition("/")
        query: dict[str, str] = {}
        options = parse_qs(query_string).get("options")
        if options:
            with contextlib.suppress(orjson.JSONDecodeError, AttributeError):
                decoded = orjson.loads(options[0])
                query = {str(k): str(v) for k, v in (decoded.get("query") or {}).items()}
        return cls(
            raw=raw, collection=collection_name(name), record_id=None if record in ("", "*") else record, query=query
        )

    def matches(self, change: RecordChange) -> bool:
        return self.collection == change.collection and self.record_id in (None, change.record.get("id"))


OAUTH2_TOPIC = "@oauth2"


class ClientCommand(BaseModel):
    """What a replica taking a request for a client sends to the replica holding that client's connection:
    new subscriptions (``POST /api/realtime``) or the result of an OAuth2 redirect (``@oauth2``)."""

    kind: Literal["subscribe", "oauth2"] = "subscribe"
    actor: Actor | None = None
    token: str | None = None
    subscriptions: list[str] = Field(default_factory=list)
    oauth2: dict[str, str] = Field(default_factory=dict)


@dataclass(eq=False)
class RealtimeClient:
    id: str
    outgoing: asyncio.Queue[bytes]
    principal: Principal | None = None
    topics: list[Topic] = field(default_factory=list)
    pending: asyncio.Queue[RecordChange] = field(default_factory=lambda: asyncio.Queue(maxsize=1000))
    closed: asyncio.Event = field(default_factory=asyncio.Event)
    listener: NatsSubscription | None = None
    worker: asyncio.Task[None] | None = None
    slot: Slot | None = None  # its place under its user's connection cap, while it is a user's


def sse(event: str, data: bytes, event_id: str) -> bytes:
    return b"id:" + event_id.encode() + b"\nevent:" + event.encode() + b"\ndata:" + data + b"\n\n"


class RealtimeBroker:
    """The realtime clients connected to this edge replica."""

    def __init__(
        self,
        nc: NATS,
        rpc: RpcClient,
        authenticator: Authenticator,
        *,
        queue_size: int = 1000,
        max_connections_per_user: int = 50,
    ) -> None:
        self._nc = nc
        self._rpc = rpc
        self._authenticator = authenticator
        self._queue_size = queue_size
        self.connections = ConnectionCap(max_connections_per_user)
        self._clients: dict[str, RealtimeClient] = {}
        self._events: NatsSubscription | None = None

    @property
    def client_count(self) -> int:
        return len(self._clients)

    async def start(self) -> None:
        self._events = await self._nc.subscribe(f"{EVENT_SUBJECT_PREFIX}.>", cb=self._on_event)

    async def stop(self) -> None:
        if self._events is not None:
            with contextlib.suppress(Exception):
                await self._events.unsubscribe()
        for client in list(self._clients.values()):
            await self.disconnect(client)

    # -- connections ------------------------------------------------------------------------------------
    async def connect(self, principal: Principal | None = None) -> RealtimeClient:
        """A new connection; a user's (``principal``) takes one of its slots or is refused with 429."""
        client = RealtimeClient(
            id="".join(secrets.choice(_ID_ALPHABET) for _ in range(40)),
            outgoing=asyncio.Queue(maxsize=self._queue_size),
            principal=principal,
        )
        if principal is not None:
            self._take_slot(client, principal.actor)

        async def on_command(msg: Msg) -> None:
            await self._on_command(client, msg)

        try:
            client.listener = await self._nc.subscribe(f"{CLIENT_SUBJECT}.{client.id}", cb=on_command)
        except BaseException:
            self._release_slot(client)
            raise
        client.worker = asyncio.create_task(self._serve(client), name=f"realtime-{client.id[:8]}")
        self._clients[client.id] = client
        client.outgoing.put_nowait(sse("PB_CONNECT", orjson.dumps({"clientId": client.id}), client.id))
        return client

    async def disconnect(self, client: RealtimeClient) -> None:
        client.closed.set()
        self._clients.pop(client.id, None)
        self._release_slot(client)
        if client.listener is not None:
            with contextlib.suppress(Exception):
                await client.listener.unsubscribe()
        if client.worker is not None:
            client.worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await client.worker

    async def stream(self, client: RealtimeClient, heartbeat: float = 25.0) -> AsyncIterator[bytes]:
        """The SSE body: messages as they come, a comment line now and then to keep proxies from timing out."""
        try:
            while not client.closed.is_set():
                try:
                    yield await asyncio.wait_for(client.outgoing.get(), timeout=heartbeat)
                except TimeoutError:
                    yield b": ping\n\n"
        finally:
            await self.disconnect(client)

    # -- subscriptions ------------------------------------------------------------------------------------
    async def set_subscriptions(self, client_id: str, principal: Principal | None, subscriptions: list[str]) -> None:
        if len(subscriptions) > MAX_SUBSCRIPTIONS or any(len(s) > MAX_TOPIC_LENGTH for s in subscriptions):
            raise ApiError.bad_request(
                data={
                    "subscriptions": {
                        "code": "validation_length_out_of_range",
                        "message": "Too many or too long subscriptions.",
                    }
                }
            )
        await self._command(
            client_id,
            ClientCommand(
                actor=principal.actor if principal else None,
                token=principal.token if principal else None,
                subscriptions=subscriptions,
            ),
        )

    async def oauth2_redirect(self, state: str, data: dict[str, str]) -> None:
        """Hand an OAuth2 provider's redirect (code or error) to the client that started the flow."""
        await self._command(state, ClientCommand(kind="oauth2", oauth2=data))

    async def _command(self, client_id: str, command: ClientCommand) -> None:
        local = self._clients.get(client_id)
        if local is not None:
            self._apply(local, command)
            return
        reply: Msg | None = None
        # A connection opened a moment ago on another replica may not be reachable yet (NATS has been seen to
        # report "no responders" briefly after a new subscription): ask again for a short while.
        for pause in (0.05, 0.1, 0.2, None):
            try:
                reply = await self._nc.request(
                    f"{CLIENT_SUBJECT}.{client_id}", command.model_dump_json().encode(), timeout=5
                )
                break
            except nats.errors.NoRespondersError:
                if pause is None:
                    break
                await asyncio.sleep(pause)
            except nats.errors.Error:
                break
        if reply is None:  # no replica holds that client
            raise ApiError.not_found("Missing or invalid client id.")
        error = orjson.loads(reply.data).get("error")
        if error:
            raise ApiError.from_dict(error)

    async def _on_command(self, client: RealtimeClient, msg: Msg) -> None:
        try:
            self._apply(client, ClientCommand.model_validate_json(msg.data))
            body = b'{"ok":true}'
        except ApiError as exc:
            body = orjson.dumps({"error": exc.to_dict()})
        except ValidationError:
            body = orjson.dumps({"error": ApiError.bad_request().to_dict()})
        with contextlib.suppress(Exception):
            await msg.respond(body)

    def _apply(self, client: RealtimeClient, command: ClientCommand) -> None:
        if command.kind == "oauth2":
            if not any(topic.raw == OAUTH2_TOPIC for topic in client.topics):
                raise ApiError.not_found("Missing or invalid client id.")
            client.topics = [topic for topic in client.topics if topic.raw != OAUTH2_TOPIC]
            with contextlib.suppress(asyncio.QueueFull):
                client.outgoing.put_nowait(sse(OAUTH2_TOPIC, orjson.dumps(command.oauth2), client.id))
            return
        # As PocketBase: a guest may become a user, but a client never changes from one user to another.
        if client.principal is not None and (command.actor is None or command.actor != client.principal.actor):
            raise ApiError.forbidden("The current and the previous request authorization don't match.")
        if command.actor is not None and command.token is not None:
            if client.slot is None:
                self._take_slot(client, command.actor)
            client.principal = Principal(id=command.actor.id, collection=command.actor.collection, token=command.token)
        client.topics = [Topic.parse(raw) for raw in command.subscriptions]

    def _take_slot(self, client: RealtimeClient, actor: Actor) -> None:
        slot = self.connections.take(actor)
        if slot is None:
            raise too_many_connections()
        client.slot = slot

    @staticmethod
    def _release_slot(client: RealtimeClient) -> None:
        if client.slot is not None:
            client.slot.release()
            client.slot = None

    # -- delivery -----------------------------------------------------------------------------------------
    async def _on_event(self, msg: Msg) -> None:
        if not self._clients:
            return
        try:
            envelope = Envelope.model_validate_json(msg.data)
            change = RecordChange.model_validate(envelope.data)
        except ValidationError:
            return  # not a record change (user events, executor events...)
        for client in list(self._clients.values()):
            if client.principal is None or not any(t.matches(change) for t in client.topics):
                continue
            if not change.audience.admits(client.principal.actor):
                continue
            try:
                client.pending.put_nowait(change)
            except asyncio.QueueFull:
                log.warning("realtime.client_too_slow", client=client.id[:8])
                client.closed.set()

    async def _serve(self, client: RealtimeClient) -> None:
        while True:
            change = await client.pending.get()
            principal = client.principal
            if principal is None:
                continue
            try:
                # Revoked or expired since subscribing: the client stays connected but hears nothing more.
                await self._authenticator.authenticate(principal.token)
            except ApiError:
                client.principal = None
                self._release_slot(client)  # no longer the user's connection
                continue
            for topic in client.topics:
                if not topic.matches(change):
                    continue
                record = await self._record_for(principal.actor, topic, change)
                if record is None:
                    continue
                data = orjson.dumps({"action": change.action, "record": record})
                try:
                    client.outgoing.put_nowait(sse(topic.raw, data, client.id))
                except asyncio.QueueFull:
                    log.warning("realtime.client_too_slow", client=client.id[:8])
                    client.closed.set()
                    return

    async def _record_for(self, actor: Actor, topic: Topic, change: RecordChange) -> dict[str, Any] | None:
        """The record as this client may see it now, shaped by its subscription options."""
        record_id = str(change.record.get("id"))
        if change.action == "delete":
            picked: dict[str, Any] = pick_fields(
                seen_by(change.collection, change.record, actor), parse_fields(topic.query.get("fields"))
            )
            return picked
        expand, fields, extra = topic.query.get("expand", ""), topic.query.get("fields", ""), topic.query.get("filter")
        try:
            if extra:
                page = await self._rpc.call(
                    LIST,
                    ListRequest(
                        collection=change.collection,
                        actor=actor,
                        params={
                            "filter": f"id = {orjson.dumps(record_id).decode()} && ({extra})",
                            "expand": expand,
                            "fields": fields,
                            "perPage": "1",
                            "skipTotal": "1",
                        },
                    ),
                )
                return page.items[0] if page.items else None
            result = await self._rpc.call(
                VIEW, ViewRequest(collection=change.collection, id=record_id, actor=actor, expand=expand, fields=fields)
            )
            return result.record
        except ApiError as exc:
            if exc.status not in (400, 403, 404):
                log.warning("realtime.fetch_failed", status=exc.status, collection=change.collection)
            return None
