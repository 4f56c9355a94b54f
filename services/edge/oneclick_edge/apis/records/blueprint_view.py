"""``GET /pb/blueprints/{id}``: a blueprint the caller may see (One-Click's custom endpoint)."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import ORJSONResponse

from oneclick_core.contracts.records import GET_BLUEPRINT, BlueprintRequest
from oneclick_edge.authenticator import Principal
from oneclick_edge.context import EdgeContext
from oneclick_edge.dependencies import edge_context, require_auth

router = APIRouter()


@router.get("/pb/blueprints/{blueprint_id}")
@router.get("/blueprints/{blueprint_id}", include_in_schema=False)
async def view_blueprint(
    blueprint_id: str, principal: Principal = Depends(require_auth), context: EdgeContext = Depends(edge_context)
) -> ORJSONResponse:
    result = await context.rpc.call(GET_BLUEPRINT, BlueprintRequest(id=blueprint_id, actor=principal.actor))
    return ORJSONResponse(result.record)
