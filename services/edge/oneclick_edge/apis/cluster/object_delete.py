"""Deleting a pod or a job of one of the caller's projects:

- ``DELETE /rollouts/{projectId}/{podName}`` (and the frontend's ``/pb/{projectId}/pod/{podName}``): a pod of one
  of the project's deployments, so its Deployment starts a fresh one;
- ``DELETE /pb/{projectId}/job/{jobId}``: a job of one of the project's cron jobs, with its pods.

The project must be the caller's (records, 404 otherwise); the executor looks for the object in that project's
namespace only and refuses any not labelled with the project. The two routes differ only in what they name (the
path parameter, as the URLs have always had it) and the executor method they call.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from fastapi import APIRouter, Depends
from fastapi.responses import ORJSONResponse
from pydantic import BaseModel, ValidationError

from oneclick_core.contracts.executor import DELETE_JOB, DELETE_POD, ActionDone, JobRef, PodRef
from oneclick_core.contracts.records import PROJECT_ACCESS, ProjectAccessRequest
from oneclick_core.contracts.rpc import RpcMethod
from oneclick_core.errors import ApiError
from oneclick_edge.authenticator import Principal
from oneclick_edge.context import EdgeContext
from oneclick_edge.dependencies import edge_context, require_auth

router = APIRouter()
Ref = TypeVar("Ref", bound=BaseModel)


@dataclass(frozen=True)
class Deletable(Generic[Ref]):
    """A kind of object the edge deletes: how to name one in a project, and the executor method deleting it."""

    ref: Callable[[str, str], Ref]
    method: RpcMethod[Ref, ActionDone]


POD = Deletable(lambda project, name: PodRef(project=project, pod=name), DELETE_POD)
JOB = Deletable(lambda project, name: JobRef(project=project, job=name), DELETE_JOB)


async def delete_object(
    kind: Deletable[Ref], project_id: str, name: str, principal: Principal, context: EdgeContext
) -> ORJSONResponse:
    await context.rpc.call(PROJECT_ACCESS, ProjectAccessRequest(actor=principal.actor, project=project_id))
    try:
        ref = kind.ref(project_id, name)
    except ValidationError:
        # A name Kubernetes would never give a pod or job ("..", "a/b") names nothing of the project.
        raise ApiError.not_found() from None
    done = await context.rpc.call(kind.method, ref)
    # One-Click answered with a bare JSON string.
    return ORJSONResponse(done.message)


@router.delete("/rollouts/{project_id}/{pod_name}")
@router.delete("/pb/{project_id}/pod/{pod_name}", include_in_schema=False)
async def delete_pod(
    project_id: str,
    pod_name: str,
    principal: Principal = Depends(require_auth),
    context: EdgeContext = Depends(edge_context),
) -> ORJSONResponse:
    return await delete_object(POD, project_id, pod_name, principal, context)


@router.delete("/pb/{project_id}/job/{job_name}")
async def delete_job(
    project_id: str,
    job_name: str,
    principal: Principal = Depends(require_auth),
    context: EdgeContext = Depends(edge_context),
) -> ORJSONResponse:
    return await delete_object(JOB, project_id, job_name, principal, context)
