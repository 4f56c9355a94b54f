"""``DELETE /pb/blueprints/shared/{id}``: take oneself off a blueprint's users (the share link undone).

Idempotent; 404 for a blueprint the caller may not see. The answer is the blueprint as the caller now reads it.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import ORJSONResponse

from oneclick_core.contracts.records import LEAVE_BLUEPRINT, BlueprintRequest
from oneclick_edge.authenticator import Principal
from oneclick_edge.context import EdgeContext
from oneclick_edge.dependencies import edge_context, require_auth

router = APIRouter()


@router.delete("/pb/blueprints/shared/{blueprint_id}")
@router.delete("/blueprints/shared/{blueprint_id}", include_in_schema=False)
async def leave_blueprint(
    blueprint_id: str, principal: Principal = Depends(require_auth), context: EdgeContext = Depends(edge_context)
) -> ORJSONResponse:
    result = await context.rpc.call(LEAVE_BLUEPRINT, BlueprintRequest(id=blueprint_id, actor=principal.actor))
    return ORJSONResponse(result.record)
