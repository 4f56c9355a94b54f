"""``GET /rollouts/{projectId}/{id}/metrics`` (and the frontend's ``/pb/{projectId}/{deploymentId}/metrics``):
CPU and memory of the deployment's pods.

Authorized and read as every deployment view is (:mod:`.deployment_view`).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import ORJSONResponse

from oneclick_core.contracts.executor import METRICS
from oneclick_edge.apis.cluster.deployment_view import authorized_deployment
from oneclick_edge.authenticator import Principal
from oneclick_edge.context import EdgeContext
from oneclick_edge.dependencies import edge_context, require_auth

router = APIRouter()


@router.get("/rollouts/{project_id}/{ref_id}/metrics")
@router.get("/pb/{project_id}/{ref_id}/metrics", include_in_schema=False)
async def rollout_metrics(
    project_id: str,
    ref_id: str,
    principal: Principal = Depends(require_auth),
    context: EdgeContext = Depends(edge_context),
) -> ORJSONResponse:
    target = await authorized_deployment(context, principal, project_id, ref_id)
    view = await context.rpc.call(METRICS, target)
    return ORJSONResponse(view.body)
