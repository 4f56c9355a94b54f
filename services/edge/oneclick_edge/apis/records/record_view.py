"""``GET /api/collections/{collection}/records/{id}``: one record the caller may see (otherwise 404)."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import ORJSONResponse

from oneclick_core.contracts.records import VIEW, ViewRequest
from oneclick_edge.authenticator import Principal
from oneclick_edge.context import EdgeContext
from oneclick_edge.dependencies import edge_context, require_auth

router = APIRouter()


@router.get("/api/collections/{collection}/records/{record_id}")
async def view_record(
    collection: str,
    record_id: str,
    expand: str = "",
    fields: str = "",
    principal: Principal = Depends(require_auth),
    context: EdgeContext = Depends(edge_context),
) -> ORJSONResponse:
    result = await context.rpc.call(
        VIEW, ViewRequest(collection=collection, id=record_id, actor=principal.actor, expand=expand, fields=fields)
    )
    return ORJSONResponse(result.record)
