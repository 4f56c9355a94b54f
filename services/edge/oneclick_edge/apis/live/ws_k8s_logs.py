"""``/ws/k8s/logs``: a pod's log, live.

First message ``{"rolloutId": <projectId>, "podName", "container"?}``; then the last lines, then new lines, as
text frames of whole lines. The log is followed once per pod however many viewers it has; the socket stays
open across container restarts. For a pod that does not exist in the project the socket gets the original's
error text, then closes with 4404.
"""

from __future__ import annotations

from fastapi import APIRouter, WebSocket

from oneclick_edge.live.queues import LineQueue
from oneclick_edge.live.requests import LogsRequest
from oneclick_edge.live.sockets import live_hub, open_socket, serve

router = APIRouter()


@router.websocket("/ws/k8s/logs")
async def ws_k8s_logs(websocket: WebSocket) -> None:
    context = websocket.app.state.edge
    opened = await open_socket(websocket, context, LogsRequest)
    if opened is None:
        return
    request, principal = opened
    hub = live_hub(context)
    queue = LineQueue(hub.settings.queue_log_bytes)
    async with hub.logs(request.rolloutId, request.podName, request.container) as log:

        def view(lines: list[str], ended: bool) -> None:
            if lines:
                queue.push(["".join(f"{line}\n" for line in lines)])
            if log.error is not None:
                queue.push([f"Error getting logs: {log.error.message}"])
                queue.end(log.error.message)

        # Until the first tail arrives the view has nothing; then it passes the tail on like new lines.
        if log.ready.is_set():
            view([line.text for line in log.lines], log.ended)
        log.viewers.append(view)
        try:
            await serve(websocket, context, principal, queue)
        finally:
            log.viewers.remove(view)
