"""What the status, metrics and events routes share: records authorizes the deployment (its id, or one of its
rollouts', in the project the path names: 404 unless it is the caller's), then the executor reads that view of it
in the project's namespace only."""

from __future__ import annotations

from fastapi.responses import ORJSONResponse

from oneclick_core.contracts.executor import ClusterView, DeploymentTarget
from oneclick_core.contracts.records import DEPLOYMENT_ACCESS, DeploymentRef
from oneclick_core.contracts.rpc import RpcMethod
from oneclick_edge.authenticator import Principal
from oneclick_edge.context import EdgeContext


async def deployment_view(
    context: EdgeContext,
    principal: Principal,
    project_id: str,
    ref_id: str,
    view: RpcMethod[DeploymentTarget, ClusterView],
) -> ORJSONResponse:
    access = await context.rpc.call(
        DEPLOYMENT_ACCESS, DeploymentRef(actor=principal.actor, project=project_id, id=ref_id)
    )
    answer = await context.rpc.call(view, DeploymentTarget(project=access.project, deployment=access.deployment))
    return ORJSONResponse(answer.body)
