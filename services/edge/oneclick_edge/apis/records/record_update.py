"""``PATCH /api/collections/{collection}/records/{id}``: change the given fields (``users+``/``users-`` too)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import ORJSONResponse

from oneclick_core.contracts.records import UPDATE, UpdateRequest
from oneclick_edge.authenticator import Principal
from oneclick_edge.context import EdgeContext
from oneclick_edge.dependencies import edge_context, require_auth
from oneclick_edge.forms import record_submission

router = APIRouter()


@router.patch("/api/collections/{collection}/records/{record_id}")
async def update_record(
    collection: str,
    record_id: str,
    request: Request,
    expand: str = "",
    fields: str = "",
    principal: Principal = Depends(require_auth),
    context: EdgeContext = Depends(edge_context),
) -> ORJSONResponse:
    data, files = await record_submission(request)
    result = await context.rpc.call(
        UPDATE,
        UpdateRequest(
            collection=collection,
            id=record_id,
            actor=principal.actor,
            data=data,
            files=files,
            expand=expand,
            fields=fields,
        ),
    )
    return ORJSONResponse(result.record)
