"""``POST /api/collections/{collection}/records``: create a record (JSON or multipart with files)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import ORJSONResponse

from oneclick_core.contracts.records import CREATE, CreateRequest
from oneclick_edge.authenticator import Principal
from oneclick_edge.context import EdgeContext
from oneclick_edge.dependencies import edge_context, require_auth
from oneclick_edge.forms import record_submission

router = APIRouter()


@router.post("/api/collections/{collection}/records")
async def create_record(
    collection: str,
    request: Request,
    expand: str = "",
    fields: str = "",
    principal: Principal = Depends(require_auth),
    context: EdgeContext = Depends(edge_context),
) -> ORJSONResponse:
    data, files = await record_submission(request)
    result = await context.rpc.call(
        CREATE,
        CreateRequest(
            collection=collection, actor=principal.actor, data=data, files=files, expand=expand, fields=fields
        ),
    )
    return ORJSONResponse(result.record)
