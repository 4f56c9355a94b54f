"""What the status, metrics and events routes share: records authorizes the deployment (its id, or one of its
rollouts', in the project the path names: 404 unless it is the caller's) and names it; the route then asks the
executor for its view of it, in the project's namespace only."""

from __future__ import annotations

from oneclick_core.contracts.executor import DeploymentTarget
from oneclick_core.contracts.records import DEPLOYMENT_ACCESS, DeploymentRef
from oneclick_edge.authenticator import Principal
from oneclick_edge.context import EdgeContext


async def authorized_deployment(
    context: EdgeContext, principal: Principal, project_id: str, ref_id: str
) -> DeploymentTarget:
    access = await context.rpc.call(
        DEPLOYMENT_ACCESS, DeploymentRef(actor=principal.actor, project=project_id, id=ref_id)
    )
    return DeploymentTarget(project=access.project, deployment=access.deployment)
