"""RPC over core NATS request/reply, with typed models and PocketBase-shaped errors.

Servers subscribe to ``oneclick.rpc.<service>.>`` in queue group ``<service>``, so replicas share the load
and each request is answered once. A reply is ``{"result": ...}`` or ``{"error": {status, message, data}}``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import asyncpg
import nats.errors
import orjson
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from pydantic import BaseModel, ValidationError

from oneclick_core.contracts.envelope import RPC_SUBJECT_PREFIX
from oneclick_core.contracts.rpc import RpcMethod
from oneclick_core.errors import ApiError
from oneclick_core.observability.logs import bound_context, get_logger
from oneclick_core.observability.metrics import BusMetrics
from oneclick_core.observability.tracing import child_traceparent, current_traceparent, parse_trace_id
from oneclick_core.runtime.database import DATABASE_UNAVAILABLE
from oneclick_core.storable import invalid_characters

log = get_logger(__name__)

Request = TypeVar("Request", bound=BaseModel)
Response = TypeVar("Response", bound=BaseModel)
RpcHandler = Callable[[Any], Awaitable[BaseModel]]

TRACEPARENT_HEADER = "traceparent"
REQUEST_ID_HEADER = "Oneclick-Request-Id"
CALLER_HEADER = "Oneclick-Caller"
NO_RESPONDER_RETRIES = (0.025, 0.05, 0.1, 0.25)
# PostgreSQL refusing text it cannot store: a NUL in text (22021) or jsonb's \u0000 (22P05). The edge refuses
# such characters before any RPC, naming the field; this is the net under it for input that arrives another
# way (a caller on the bus, a handler passing on text from outside). The input is at fault, not the service:
# a 400, though no longer naming the field. Caught here rather than by scanning every request for NULs: only
# what PostgreSQL actually refuses is refused (services that store nothing keep deciding for themselves), and
# requests pay nothing for it.
UNSTORABLE_TEXT: tuple[type[Exception], ...] = (
    asyncpg.CharacterNotInRepertoireError,
    asyncpg.UntranslatableCharacterError,
)


@dataclass(frozen=True)
class _Route:
    method: RpcMethod[Any, Any]
    handler: RpcHandler


def error_reply(error: ApiError) -> bytes:
    return orjson.dumps({"error": error.to_dict()})


class RpcServer:
    """Answers the RPC methods of one service; one instance per process."""

    def __init__(self, nc: NATS, service: str, *, concurrency: int = 256, metrics: BusMetrics | None = None) -> None:
        self._nc = nc
        self._service = service
        self._routes: dict[str, _Route] = {}
        self._subscription: Subscription | None = None
        # Bounded so a flood of requests queues in NATS instead of exhausting this process.
        self._slots = asyncio.Semaphore(concurrency)
        self._in_flight: set[asyncio.Task[None]] = set()
        self._metrics = metrics

    @property
    def prefix(self) -> str:
        return f"{RPC_SUBJECT_PREFIX}.{self._service}."

    def register(self, method: RpcMethod[Request, Response], handler: Callable[[Request], Awaitable[Response]]) -> None:
        if method.service != self._service:
            raise ValueError(f"{method.subject} belongs to {method.service}, not {self._service}")
        if method.method in self._routes:
            raise ValueError(f"{method.subject} is registered twice")
        self._routes[method.method] = _Route(method, handler)

    async def start(self) -> None:
        self._subscription = await self._nc.subscribe(f"{self.prefix}>", queue=self._service, cb=self._on_message)
        # A round trip to the server: once started, the queue group includes this replica (a request sent from
        # another connection right after could otherwise reach only the replicas subscribed before).
        await self._nc.flush()

    async def stop(self, grace: float = 10.0) -> None:
        """Stop taking requests, then let the ones in progress finish (up to ``grace`` seconds)."""
        if self._subscription is not None:
            try:
                await self._subscription.unsubscribe()
            except nats.errors.Error:
                pass
            self._subscription = None
        if self._in_flight:
            _, pending = await asyncio.wait(set(self._in_flight), timeout=grace)
            for task in pending:
                task.cancel()

    async def _on_message(self, msg: Msg) -> None:
        # nats-py runs a subscription's callbacks one at a time; answer each request in its own task.
        await self._slots.acquire()
        task = asyncio.create_task(self._answer(msg))
        self._in_flight.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._in_flight.discard(task)
        self._slots.release()

    async def _answer(self, msg: Msg) -> None:
        name = msg.subject.removeprefix(self.prefix)
        headers = msg.headers or {}
        traceparent = headers.get(TRACEPARENT_HEADER)
        token = current_traceparent.set(traceparent)
        started = time.perf_counter()
        outcome = "ok"
        try:
            with bound_context(
                rpc=name, request_id=headers.get(REQUEST_ID_HEADER), trace_id=parse_trace_id(traceparent)
            ):
                try:
                    body = await self._dispatch(name, msg.data)
                except ApiError as exc:
                    outcome = str(exc.status)
                    body = error_reply(exc)
                except UNSTORABLE_TEXT as exc:
                    outcome = "400"
                    log.warning("rpc.unstorable_text", error=str(exc), error_type=type(exc).__name__)
                    body = error_reply(invalid_characters([]))
                except DATABASE_UNAVAILABLE as exc:
                    # Mostly PostgreSQL, but OSError also covers a handler's other connections (the Kubernetes
                    # API, a registry): say what failed in the log, not a guess to the client.
                    outcome = "503"
                    log.warning(
                        "rpc.dependency_unavailable",
                        error=str(exc) or type(exc).__name__,
                        error_type=type(exc).__name__,
                    )
                    body = error_reply(
                        ApiError.unavailable("A service this request needs is unavailable, try again shortly.")
                    )
                except Exception:
                    outcome = "500"
                    log.exception("rpc.handler_crashed")
                    body = error_reply(ApiError(500))
                if msg.reply:
                    try:
                        await msg.respond(body)
                    except nats.errors.Error as exc:
                        log.warning("rpc.reply_failed", error=str(exc))
        finally:
            current_traceparent.reset(token)
            if self._metrics is not None:
                self._metrics.rpc_handled.labels(name, outcome).inc()
                self._metrics.rpc_duration.labels(name).observe(time.perf_counter() - started)

    async def _dispatch(self, name: str, data: bytes) -> bytes:
        route = self._routes.get(name)
        if route is None:
            raise ApiError(404, f"Unknown RPC method {self._service}.{name}.")
        try:
            request = route.method.request.model_validate_json(data or b"{}")
        except ValidationError as exc:
            raise ApiError.from_validation(exc) from None
        response = await route.handler(request)
        return b'{"result":' + response.model_dump_json().encode() + b"}"


class RpcClient:
    """Calls RPC methods of other services; maps transport failures to 503 ``ApiError``."""

    def __init__(self, nc: NATS, caller: str, *, timeout: float = 5.0, metrics: BusMetrics | None = None) -> None:
        self._nc = nc
        self._caller = caller
        self._timeout = timeout
        self._metrics = metrics

    async def call(
        self,
        method: RpcMethod[Request, Response],
        request: Request,
        *,
        timeout: float | None = None,
        request_id: str | None = None,
    ) -> Response:
        headers = {TRACEPARENT_HEADER: child_traceparent(), CALLER_HEADER: self._caller}
        if request_id:
            headers[REQUEST_ID_HEADER] = request_id
        outcome = "ok"
        try:
            try:
                reply = await self._request(
                    method.subject, request.model_dump_json().encode(), timeout or self._timeout, headers
                )
            except nats.errors.NoRespondersError:
                outcome = "unavailable"
                raise ApiError.unavailable(
                    f"The {method.service} service is unavailable.",
                    {method.service: {"code": "service_unavailable", "message": "No replica is running."}},
                ) from None
            except (nats.errors.TimeoutError, TimeoutError):
                outcome = "timeout"
                raise ApiError.unavailable(
                    f"The {method.service} service did not answer in time.",
                    {
                        method.service: {
                            "code": "service_timeout",
                            "message": f"No reply within {timeout or self._timeout:g}s.",
                        }
                    },
                ) from None
            except (
                nats.errors.ConnectionClosedError,
                nats.errors.ConnectionReconnectingError,
                nats.errors.ConnectionDrainingError,
                nats.errors.OutboundBufferLimitError,
            ):
                outcome = "disconnected"
                raise ApiError.unavailable("The message bus is unavailable.") from None
            return parse_reply(method, reply.data)
        except ApiError as exc:
            if outcome == "ok":
                outcome = str(exc.status)
            raise
        finally:
            if self._metrics is not None:
                self._metrics.rpc_calls.labels(method.service, method.method, outcome).inc()

    async def _request(self, subject: str, payload: bytes, timeout: float, headers: dict[str, str]) -> Msg:
        """One request, asked again a few times over ~0.4 s while NATS reports no responders.

        A replica that is (re)starting leaves a short gap, and the server has been seen to report "no
        responders" for a moment even after a subscription was confirmed. Both heal within milliseconds;
        a service that is really down still gets its 503 well before any caller's patience runs out.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        for pause in (*NO_RESPONDER_RETRIES, None):
            try:
                reply: Msg = await self._nc.request(
                    subject, payload, timeout=max(deadline - loop.time(), 0.001), headers=headers
                )
                return reply
            except nats.errors.NoRespondersError:
                if pause is None or loop.time() + pause >= deadline:
                    raise
                await asyncio.sleep(pause)
        raise AssertionError("unreachable")


def parse_reply(method: RpcMethod[Any, Response], data: bytes) -> Response:
    try:
        payload = orjson.loads(data)
    except orjson.JSONDecodeError:
        raise ApiError(502, f"The {method.service} service sent an unreadable reply.") from None
    if isinstance(payload, dict) and isinstance(payload.get("error"), dict):
        raise ApiError.from_dict(payload["error"])
    if not isinstance(payload, dict) or "result" not in payload:
        raise ApiError(502, f"The {method.service} service sent an unexpected reply.")
    try:
        result: Response = method.response.model_validate(payload["result"])
    except ValidationError:
        raise ApiError(502, f"The {method.service} service sent a reply that does not match its contract.") from None
    return result
