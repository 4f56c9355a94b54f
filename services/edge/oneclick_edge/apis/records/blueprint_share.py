"""``POST /pb/blueprints/shared/{id}``: add oneself to a blueprint's users (the link is the invitation)."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import ORJSONResponse

from oneclick_core.contracts.records import SHARE_BLUEPRINT, BlueprintRequest
from oneclick_edge.authenticator import Principal
from oneclick_edge.context import EdgeContext
from oneclick_edge.dependencies import edge_context, require_auth

router = APIRouter()


@router.post("/pb/blueprints/shared/{blueprint_id}")
@router.post("/blueprints/shared/{blueprint_id}", include_in_schema=False)
async def share_blueprint(
    blueprint_id: str, principal: Principal = Depends(require_auth), context: EdgeContext = Depends(edge_context)
) -> ORJSONResponse:
    result = await context.rpc.call(SHARE_BLUEPRINT, BlueprintRequest(id=blueprint_id, actor=principal.actor))
    return ORJSONResponse(result.record)
