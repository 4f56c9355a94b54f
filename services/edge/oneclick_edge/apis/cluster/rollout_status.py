"""``GET /rollouts/{projectId}/{id}/status`` (and the frontend's ``/pb/{projectId}/{deploymentId}/status``):
the deployment's RolloutStatus (pods, services, ingresses, volumes).

Authorized and read as every deployment view is (:mod:`.deployment_view`).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import ORJSONResponse

from oneclick_core.contracts.executor import STATUS
from oneclick_edge.apis.cluster.deployment_view import authorized_deployment
from oneclick_edge.authenticator import Principal
from oneclick_edge.context import EdgeContext
from oneclick_edge.dependencies import edge_context, require_auth

router = APIRouter()


@router.get("/rollouts/{project_id}/{ref_id}/status")
@router.get("/pb/{project_id}/{ref_id}/status", include_in_schema=False)
async def rollout_status(
    project_id: str,
    ref_id: str,
    principal: Principal = Depends(require_auth),
    context: EdgeContext = Depends(edge_context),
) -> ORJSONResponse:
    target = await authorized_deployment(context, principal, project_id, ref_id)
    view = await context.rpc.call(STATUS, target)
    return ORJSONResponse(view.body)
