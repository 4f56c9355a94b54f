"""``GET /api/tenancy``: the tenancy policy in force (set by ``ONECLICK_TENANCY_*``, read-only here) and the
projects a superuser gave limits of their own. Superusers only: it names every user's projects."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import ORJSONResponse

from oneclick_core.contracts.records import TENANCY, TenancyRequest
from oneclick_edge.authenticator import Principal
from oneclick_edge.context import EdgeContext
from oneclick_edge.dependencies import edge_context, require_superuser

router = APIRouter()


@router.get("/api/tenancy")
async def tenancy_view(
    principal: Principal = Depends(require_superuser), context: EdgeContext = Depends(edge_context)
) -> ORJSONResponse:
    view = await context.rpc.call(TENANCY, TenancyRequest(actor=principal.actor))
    return ORJSONResponse(view.model_dump(mode="json", by_alias=True))
