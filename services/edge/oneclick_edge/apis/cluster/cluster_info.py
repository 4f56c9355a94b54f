"""``GET /cluster-info`` (and the frontend's ``/pb/cluster-info``): the storage and ingress classes a manifest
may name. Any signed-in user (the original left it open; here it needs a token like everything else)."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import ORJSONResponse

from oneclick_core.contracts.executor import CLUSTER_INFO, ClusterInfoRequest
from oneclick_edge.authenticator import Principal
from oneclick_edge.context import EdgeContext
from oneclick_edge.dependencies import edge_context, require_auth

router = APIRouter()


@router.get("/cluster-info")
@router.get("/pb/cluster-info", include_in_schema=False)
async def cluster_info(
    _: Principal = Depends(require_auth), context: EdgeContext = Depends(edge_context)
) -> ORJSONResponse:
    info = await context.rpc.call(CLUSTER_INFO, ClusterInfoRequest())
    return ORJSONResponse(info.model_dump())
