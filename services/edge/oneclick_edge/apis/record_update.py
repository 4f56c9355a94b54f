"""``PATCH /api/collections/{collection}/records/{id}``: change the given fields (``users+``/``users-`` too)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import ORJSONResponse

from oneclick_core.contracts.records import UPDATE, UpdateRequest
from oneclick_edge.apis.record_form import record_submission
from oneclick_edge.auth import Principal, require_auth
from oneclick_edge.context import EdgeContext, edge_context

router = APIRouter()


@router.patch("/api/collections/{collection}/records/{record_id}")
async def update_record(collection: str, record_id: str, request: Request, expand: str = "", fields: str = "",
                        principal: Principal = Depends(require_auth),
                        context: EdgeContext = Depends(edge_context)) -> ORJSONResponse:
    data, files = await record_submission(request)
    result = await context.rpc.call(UPDATE, UpdateRequest(collection=collection, id=record_id, actor=principal.actor,
                                                          data=data, files=files, expand=expand, fields=fields))
    return ORJSONResponse(result.record)
