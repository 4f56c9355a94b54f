"""What every live WebSocket does: read the One-Click request, authenticate, authorize, then pump frames.

The request is the first text message, as the original One-Click frontend sends it. The token comes from a
``token`` query parameter, a ``token`` field of that message, or the PocketBase SDK's ``pb_auth`` cookie
(``exportToCookie``). Browsers send cookies with WebSocket handshakes from any site, so the cookie only counts
when the handshake's Origin is this host (or absent). Refusals close the socket with a code and reason:
4400 bad request, 4401 no valid token, 4403 not the caller's project, 4404 no such pod, 4429 the caller already
holds as many live sockets on this replica as its cap allows (``ONECLICK_TENANCY_MAX_CONNECTIONS_PER_USER``,
see :mod:`oneclick_edge.caps`); 1013 means "try again later" (a service is unavailable, or the client reads
too slowly to keep up).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Protocol, TypeVar
from urllib.parse import urlsplit

import orjson
from fastapi import WebSocket, WebSocketDisconnect
from pydantic import ValidationError

from oneclick_core.contracts.records import DEPLOYMENT_ACCESS, PROJECT_ACCESS, DeploymentRef, ProjectAccessRequest
from oneclick_core.errors import ApiError
from oneclick_core.observability.logs import get_logger
from oneclick_edge.authenticator import Principal
from oneclick_edge.caps import TOO_MANY_CONNECTIONS
from oneclick_edge.characters import message_refusal
from oneclick_edge.context import EdgeContext
from oneclick_edge.credentials import pb_auth_cookie_token
from oneclick_edge.dependencies import authenticator_of
from oneclick_edge.live.hub import LiveHub
from oneclick_edge.live.queues import LogUnavailable, SlowClient
from oneclick_edge.live.requests import LiveRequest

log = get_logger(__name__)

Request = TypeVar("Request", bound=LiveRequest)

CLOSE_BAD_REQUEST = 4400
CLOSE_UNAUTHORIZED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404
CLOSE_TOO_MANY = 4429
CLOSE_TRY_AGAIN = 1013
_REASON_BYTES = 123  # the most a close frame carries
_CLOSE_PATIENCE = 30.0  # seconds a stalled client gets to read up to its close frame


class Refused(Exception):
    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


def live_hub(context: EdgeContext) -> LiveHub:
    if context.live is None:
        raise ApiError.unavailable("Live views are not available.")
    return context.live


def _refusal(error: ApiError, *, not_found: int = CLOSE_FORBIDDEN) -> Refused:
    if error.status == 401:
        return Refused(CLOSE_UNAUTHORIZED, "The request requires valid record authorization token.")
    if error.status in (403, 404):
        return Refused(not_found, error.message)
    if error.status == 400:
        return Refused(CLOSE_BAD_REQUEST, error.message)
    return Refused(CLOSE_TRY_AGAIN, error.message)


def cookie_token(websocket: WebSocket) -> str | None:
    """The token of the ``pb_auth`` cookie, if the handshake comes from a page of this host."""
    origin = websocket.headers.get("origin")
    if origin and urlsplit(origin).hostname != urlsplit(f"//{websocket.headers.get('host', '')}").hostname:
        return None
    return pb_auth_cookie_token(websocket.cookies.get("pb_auth"))


def _validation_reason(error: ValidationError) -> str:
    first = error.errors(include_url=False)[0]
    field = ".".join(str(part) for part in first["loc"]) or "request"
    return f"Invalid {field}: {first['msg']}"


async def accept_request(websocket: WebSocket, context: EdgeContext, model: type[Request]) -> tuple[Request, Principal]:
    """Accept the socket, read its request and authenticate it; :class:`Refused` says how to close."""
    await websocket.accept()
    settings = live_hub(context).settings
    try:
        text = await asyncio.wait_for(websocket.receive_text(), timeout=settings.first_message_timeout)
    except TimeoutError:
        raise Refused(CLOSE_BAD_REQUEST, "No request received.") from None
    except KeyError:  # a binary frame
        raise Refused(CLOSE_BAD_REQUEST, "Invalid request format") from None
    try:
        body = orjson.loads(text)
    except orjson.JSONDecodeError:
        body = None
    if not isinstance(body, dict):
        raise Refused(CLOSE_BAD_REQUEST, "Invalid request format")
    if (unstorable := message_refusal(body)) is not None:
        raise Refused(CLOSE_BAD_REQUEST, unstorable)
    message_token = body.get("token") if isinstance(body.get("token"), str) else None
    token = websocket.query_params.get("token") or message_token or cookie_token(websocket)
    if not token:
        raise Refused(CLOSE_UNAUTHORIZED, "The request requires valid record authorization token.")
    try:
        principal = await authenticator_of(context).authenticate(token)
    except ApiError as exc:
        raise _refusal(exc) from None
    try:
        request = model.model_validate(body)
    except ValidationError as exc:
        raise Refused(CLOSE_BAD_REQUEST, _validation_reason(exc)) from None
    return request, principal


async def _authorize(context: EdgeContext, principal: Principal, request: LiveRequest) -> None:
    try:
        await context.rpc.call(PROJECT_ACCESS, ProjectAccessRequest(actor=principal.actor, project=request.project))
        if request.deployment is not None:
            await context.rpc.call(
                DEPLOYMENT_ACCESS, DeploymentRef(actor=principal.actor, project=request.project, id=request.deployment)
            )
    except ApiError as exc:
        raise _refusal(exc) from None


async def open_socket(
    websocket: WebSocket, context: EdgeContext, model: type[Request]
) -> tuple[Request, Principal] | None:
    """The socket's request and caller once it is accepted, authenticated and authorized for what the request
    shows; None when it was refused (and closed with the reason) or the client left meanwhile."""
    try:
        request, principal = await accept_request(websocket, context, model)
        await _authorize(context, principal, request)
        _hold_slot(context, principal)
    except Refused as refused:
        await refuse(websocket, refused)
        return None
    except WebSocketDisconnect:
        return None
    return request, principal


def _hold_slot(context: EdgeContext, principal: Principal) -> None:
    """Count the socket against its user's cap until its handler ends, however it ends (closed by either side,
    a client gone without a word and caught by the heartbeat, a failure): the handler runs in the connection's
    own task, so the slot goes with that task rather than relying on each handler to give it back."""
    slot = live_hub(context).connections.take(principal.actor)
    if slot is None:
        raise Refused(CLOSE_TOO_MANY, TOO_MANY_CONNECTIONS)
    task = asyncio.current_task()
    if task is None:  # not in a task: nothing would ever free the slot, so do not keep it
        slot.release()
        return
    task.add_done_callback(lambda _: slot.release())


async def refuse(websocket: WebSocket, refused: Refused) -> None:
    reason = refused.reason.encode()[:_REASON_BYTES].decode(errors="ignore")
    with contextlib.suppress(RuntimeError, WebSocketDisconnect, OSError):
        await websocket.close(refused.code, reason)


class FrameQueue(Protocol):
    @property
    def stalled(self) -> asyncio.Event | None:
        """Set when the queue gives up on its client; None for a queue that never does."""

    async def next(self) -> list[str] | None: ...


async def serve(websocket: WebSocket, context: EdgeContext, principal: Principal, queue: FrameQueue) -> None:
    """Send the queue's frames as they come until the client leaves; a client too slow to keep up is closed
    with 1013 (its queue says so through ``stalled``: its sender may be stuck writing to it), and one whose
    token expires or is revoked meanwhile with 4401.

    ``next`` returning None means nothing more will come; the socket then stays open until the client closes
    it, as the original's did. A log that cannot be read closes it with 4404.
    """
    pump = asyncio.create_task(_pump(websocket, queue))
    drain = asyncio.create_task(_drain(websocket))
    expired = asyncio.create_task(_until_invalid(context, principal))
    stalled = asyncio.create_task(queue.stalled.wait()) if queue.stalled is not None else None
    tasks = (pump, drain, expired) if stalled is None else (pump, drain, expired, stalled)
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        failure = pump.exception() if pump in done else None
        if expired in done:
            pump.cancel()
            await refuse(websocket, Refused(CLOSE_UNAUTHORIZED, "The authorization token expired or was revoked."))
        elif stalled in done or isinstance(failure, SlowClient):
            pump.cancel()
            log.info("live.slow_client_closed", path=websocket.url.path)
            # The close frame queues behind what the client has not read; do not wait for it forever.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    refuse(websocket, Refused(CLOSE_TRY_AGAIN, "The client reads too slowly to keep up.")),
                    timeout=_CLOSE_PATIENCE,
                )
        elif pump in done and failure is None:
            await drain
        elif isinstance(failure, LogUnavailable):
            await refuse(websocket, Refused(CLOSE_NOT_FOUND, str(failure)))
        elif failure is not None:
            log.error("live.socket_failed", path=websocket.url.path, error=repr(failure))
            await refuse(websocket, Refused(1011, "Internal error."))
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def _until_invalid(context: EdgeContext, principal: Principal) -> None:
    """Returns once the socket's token no longer authenticates (checked locally, with the edge's caches)."""
    while True:
        await asyncio.sleep(live_hub(context).settings.reauthenticate)
        try:
            await authenticator_of(context).authenticate(principal.token)
        except ApiError as exc:
            if exc.status == 401:
                return


async def _pump(websocket: WebSocket, queue: FrameQueue) -> None:
    while (frames := await queue.next()) is not None:
        for frame in frames:
            try:
                await websocket.send_text(frame)
            except (WebSocketDisconnect, RuntimeError, OSError):
                return  # gone: the drain side notices it and ends the socket


async def _drain(websocket: WebSocket) -> None:
    # Reading is how a closed connection is noticed; what a client sends after its request is ignored.
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
