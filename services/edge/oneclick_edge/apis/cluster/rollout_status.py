"""``GET /rollouts/{projectId}/{id}/status`` (and the frontend's ``/pb/{projectId}/{deploymentId}/status``):
the deployment's RolloutStatus (pods, services, ingresses, volumes).

``id`` is the deployment's id or one of its rollouts'; records authorizes it (404 unless the caller's and
in that project), then the executor reads the project's namespace only.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import ORJSONResponse

from oneclick_core.contracts.executor import STATUS, DeploymentTarget
from oneclick_core.contracts.records import DEPLOYMENT_ACCESS, DeploymentRef
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
    access = await context.rpc.call(
        DEPLOYMENT_ACCESS, DeploymentRef(actor=principal.actor, project=project_id, id=ref_id)
    )
    view = await context.rpc.call(STATUS, DeploymentTarget(project=access.project, deployment=access.deployment))
    return ORJSONResponse(view.body)
