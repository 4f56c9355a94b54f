"""``/ws/k8s/events``: the Kubernetes events of one object, live.

First message ``{"rolloutId": <projectId>, "kind", "name"}`` (``kind`` as Kubernetes names it, ``Pod``, or
One-Click's ``pod``); then ``{message, reason, typus}`` frames, the events recorded so far oldest first, then
each new or repeated one. Events come from the namespace's shared event watch.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, WebSocket

from oneclick_core.contracts.streaming import EVENT_KIND, KINDS_BY_NAME
from oneclick_edge.live.changes import Change
from oneclick_edge.live.queues import ChangeQueue
from oneclick_edge.live.requests import EventsRequest
from oneclick_edge.live.sockets import live_hub, open_socket, serve

router = APIRouter()


def _when(event: dict[str, Any]) -> str:
    return str(
        event.get("lastTimestamp")
        or event.get("eventTime")
        or (event.get("metadata") or {}).get("creationTimestamp")
        or ""
    )


@router.websocket("/ws/k8s/events")
async def ws_k8s_events(websocket: WebSocket) -> None:
    context = websocket.app.state.edge
    opened = await open_socket(websocket, context, EventsRequest)
    if opened is None:
        return
    request, principal = opened
    hub = live_hub(context)
    known = KINDS_BY_NAME.get(request.kind)
    kind = known.kind if known is not None else request.kind
    queue = ChangeQueue("event", hub.settings.queue_frames)

    def about(event: dict[str, Any]) -> bool:
        involved = event.get("involvedObject") or {}
        return bool(involved.get("kind") == kind and involved.get("name") == request.name)

    def view(change: Change) -> None:
        if change.kind == EVENT_KIND.name and change.status != "DELETED" and about(change.object):
            queue.push(change)

    async with hub.namespace(request.rolloutId) as feed:
        for event in sorted(filter(about, feed.current(EVENT_KIND.name)), key=_when):
            queue.push(Change(EVENT_KIND.name, "ADDED", event))
        feed.join(view, replay=False)
        try:
            await serve(websocket, context, principal, queue)
        finally:
            feed.leave(view)
