"""``/ws/k8s/rollouts`` (alias ``/ws/k8s/deployments``): the live resource map of a deployment or project.

First message ``{"projectId", "deploymentId"?}``; then the objects that exist as ``ADDED`` and every change as
``{kind, labels, name, namespace, object, status}``, for objects labelled with the deployment (or, without
one, the project), as the original sent them. Secrets come as metadata only.
"""

from __future__ import annotations

from fastapi import APIRouter, WebSocket

from oneclick_core.contracts.streaming import EVENT_KIND
from oneclick_edge.live.changes import Change
from oneclick_edge.live.queues import ChangeQueue
from oneclick_edge.live.requests import ResourcesRequest
from oneclick_edge.live.sockets import live_hub, open_socket, serve
from oneclick_manifest.naming import DEPLOYMENT_ID_LABEL, PROJECT_ID_LABEL

router = APIRouter()


@router.websocket("/ws/k8s/rollouts")
@router.websocket("/ws/k8s/deployments")
async def ws_k8s_rollouts(websocket: WebSocket) -> None:
    context = websocket.app.state.edge
    opened = await open_socket(websocket, context, ResourcesRequest)
    if opened is None:
        return
    request, principal = opened
    hub = live_hub(context)
    label, value = (
        (DEPLOYMENT_ID_LABEL, request.deploymentId) if request.deploymentId else (PROJECT_ID_LABEL, request.projectId)
    )
    queue = ChangeQueue("map", hub.settings.queue_frames)

    def view(change: Change) -> None:
        if change.kind == EVENT_KIND.name:
            return
        shown = change.labels.get(label) == value
        was_shown = (change.previous_labels or {}).get(label) == value
        # Like a watch with a label selector: an object whose labels change enters or leaves the view.
        if shown and change.status == "MODIFIED" and not was_shown:
            queue.push(change, "ADDED")
        elif not shown and was_shown and change.previous is not None:
            queue.push(Change(change.kind, "DELETED", change.previous))
        elif shown:
            queue.push(change)

    async with hub.namespace(request.projectId) as feed:
        feed.join(view)
        try:
            await serve(websocket, context, principal, queue)
        finally:
            feed.leave(view)
