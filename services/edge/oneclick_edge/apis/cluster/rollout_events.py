"""``GET /rollouts/{projectId}/{id}/events`` (and the frontend's ``/pb/{projectId}/{deploymentId}/events``):
Kubernetes events of the deployment's objects.

Authorized and read as every deployment view is (:mod:`.deployment_view`).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import ORJSONResponse

from oneclick_core.contracts.executor import KUBE_EVENTS
from oneclick_edge.apis.cluster.deployment_view import authorized_deployment
from oneclick_edge.authenticator import Principal
from oneclick_edge.context import EdgeContext
from oneclick_edge.dependencies import edge_context, require_auth

router = APIRouter()


@router.get("/rollouts/{project_id}/{ref_id}/events")
@router.get("/pb/{project_id}/{ref_id}/events", include_in_schema=False)
async def rollout_events(
    project_id: str,
    ref_id: str,
    principal: Principal = Depends(require_auth),
    context: EdgeContext = Depends(edge_context),
) -> ORJSONResponse:
    target = await authorized_deployment(context, principal, project_id, ref_id)
    view = await context.rpc.call(KUBE_EVENTS, target)
    return ORJSONResponse(view.body)
