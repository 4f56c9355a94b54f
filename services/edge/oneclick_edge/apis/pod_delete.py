"""``DELETE /rollouts/{projectId}/{podName}`` (and the frontend's ``/pb/{projectId}/pod/{podName}``): delete a
pod of one of the project's deployments, so its Deployment starts a fresh one.

The project must be the caller's (records, 404 otherwise); the executor looks for the pod in that project's
namespace only and refuses any pod not labelled as one of the project's deployments.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import ORJSONResponse
from pydantic import ValidationError

from oneclick_core.contracts.executor import DELETE_POD, PodRef
from oneclick_core.contracts.records import PROJECT_ACCESS, ProjectAccessRequest
from oneclick_core.errors import ApiError
from oneclick_edge.auth import Principal, require_auth
from oneclick_edge.context import EdgeContext, edge_context

router = APIRouter()


@router.delete("/rollouts/{project_id}/{pod_name}")
@router.delete("/pb/{project_id}/pod/{pod_name}", include_in_schema=False)
async def delete_pod(project_id: str, pod_name: str, principal: Principal = Depends(require_auth),
                     context: EdgeContext = Depends(edge_context)) -> ORJSONResponse:
    await context.rpc.call(PROJECT_ACCESS, ProjectAccessRequest(actor=principal.actor, project=project_id))
    try:
        ref = PodRef(project=project_id, pod=pod_name)
    except ValidationError:
        # A name Kubernetes would never give a pod ("..", "a/b") names no pod of the project.
        raise ApiError.not_found() from None
    done = await context.rpc.call(DELETE_POD, ref)
    # One-Click answered with a bare JSON string.
    return ORJSONResponse(done.message)
