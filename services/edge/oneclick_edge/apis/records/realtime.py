"""``GET /api/realtime`` (the SSE connection) and ``POST /api/realtime`` (set its subscriptions).

PocketBase's protocol: the stream opens with ``PB_CONNECT {"clientId"}``; the client then posts
``{clientId, subscriptions}`` with its token, and receives ``{action, record}`` messages named after each
matching subscription. See :mod:`oneclick_edge.realtime` for how this spans edge replicas, and for the per-user
connection cap (429 with ``Retry-After`` past it).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from oneclick_edge.authenticator import Principal
from oneclick_edge.context import EdgeContext
from oneclick_edge.dependencies import edge_context, optional_auth

router = APIRouter()


class SubscribeForm(BaseModel):
    clientId: str = Field(min_length=1, max_length=255)
    subscriptions: list[str] = Field(default_factory=list)


@router.get("/api/realtime")
async def connect(
    principal: Principal | None = Depends(optional_auth), context: EdgeContext = Depends(edge_context)
) -> StreamingResponse:
    broker = context.realtime_broker()
    client = await broker.connect(principal)
    return StreamingResponse(
        broker.stream(client),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


@router.post("/api/realtime", status_code=204)
async def subscribe(
    form: SubscribeForm,
    principal: Principal | None = Depends(optional_auth),
    context: EdgeContext = Depends(edge_context),
) -> Response:
    await context.realtime_broker().set_subscriptions(form.clientId, principal, form.subscriptions)
    return Response(status_code=204)
