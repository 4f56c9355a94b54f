"""``GET /rollouts/{projectId}/{podName}/logs`` (and ``/pb/...``): a pod's log as chunked text, followed.

As the original: each line followed by a blank line, flushed as it comes. The last lines come first; the
response ends when the pod is gone. Authenticated like other browser-initiated reads (header, ``pb_auth``
cookie or ``?token=``) and authorized per project.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from fastapi import APIRouter, Depends
from fastapi.responses import StreamingResponse
from pydantic import TypeAdapter, ValidationError
from starlette.background import BackgroundTask

from oneclick_core.contracts.records import PROJECT_ACCESS, ProjectAccessRequest
from oneclick_core.contracts.streaming import PodName
from oneclick_core.errors import ApiError, field_error
from oneclick_edge.authenticator import Principal
from oneclick_edge.context import EdgeContext
from oneclick_edge.dependencies import browser_auth, edge_context
from oneclick_edge.live.queues import LineQueue, LogUnavailable
from oneclick_edge.live.sockets import live_hub

router = APIRouter()
_POD_NAME: TypeAdapter[str] = TypeAdapter(PodName)


@router.get("/rollouts/{project_id}/{pod_name}/logs")
@router.get("/pb/{project_id}/{pod_name}/logs")
async def rollout_logs(
    project_id: str,
    pod_name: str,
    principal: Principal = Depends(browser_auth),
    context: EdgeContext = Depends(edge_context),
) -> StreamingResponse:
    try:
        _POD_NAME.validate_python(pod_name)
    except ValidationError:
        raise ApiError.bad_request(
            data={"podName": field_error("validation_invalid_pod_name", "Must be a valid pod name.")}
        ) from None
    project = await context.rpc.call(PROJECT_ACCESS, ProjectAccessRequest(actor=principal.actor, project=project_id))
    hub = live_hub(context)
    viewing = contextlib.AsyncExitStack()
    log = await viewing.enter_async_context(hub.logs(str(project.record["id"]), pod_name, ""))
    try:
        await asyncio.wait_for(log.ready.wait(), timeout=context.settings.rpc_timeout)
    except TimeoutError:
        await viewing.aclose()
        raise ApiError.unavailable("The logs are not available right now.") from None
    if log.error is not None:
        await viewing.aclose()
        raise log.error
    queue = LineQueue(hub.settings.queue_log_bytes)

    def view(lines: list[str], ended: bool) -> None:
        queue.push(lines)
        if ended:
            queue.end()

    view([line.text for line in log.lines], log.ended)
    log.viewers.append(view)

    async def release() -> None:
        # Runs from the body's end and again as the response's background task (a body a client left before
        # it began never runs its finally); the second time there is nothing left to do.
        if view in log.viewers:
            log.viewers.remove(view)
        await viewing.aclose()

    async def body() -> AsyncIterator[str]:
        try:
            while (lines := await queue.next()) is not None:
                yield "".join(f"{line}\n\n" for line in lines)
        except LogUnavailable:
            return
        finally:
            await release()

    return StreamingResponse(body(), media_type="text/plain; charset=utf-8", background=BackgroundTask(release))
