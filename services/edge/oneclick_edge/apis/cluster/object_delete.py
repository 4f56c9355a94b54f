"""Deleting a pod or a job of one of the caller's projects:

- ``DELETE /rollouts/{projectId}/{podName}`` (and the frontend's ``/pb/{projectId}/pod/{podName}``): a pod of one
  of the project's deployments, so its Deployment starts a fresh one;
- ``DELETE /pb/{projectId}/job/{jobId}``: a job of one of the project's cron jobs, with its pods.

The project must be the caller's (records, 404 otherwise); the executor looks for the object in that project's
namespace only and refuses any not labelled with the project. The two routes differ only in what they name (the
path parameter, as the URLs have always had it) and the executor method they call; each names its method itself,
so that the calls a service makes can be read from its code (the NATS permissions are derived from them).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from fastapi import APIRouter, Depends
from fastapi.responses import ORJSONResponse
from pydantic import BaseModel, ValidationError

from oneclick_core.contracts.executor import DELETE_JOB, DELETE_POD, JobRef, PodRef
from oneclick_core.contracts.records import PROJECT_ACCESS, ProjectAccessRequest
from oneclick_core.errors import ApiError
from oneclick_edge.authenticator import Principal
from oneclick_edge.context import EdgeContext
from oneclick_edge.dependencies import edge_context, require_auth

router = APIRouter()
Ref = TypeVar("Ref", bound=BaseModel)


async def in_project(context: EdgeContext, principal: Principal, project_id: str, ref: Callable[[], Ref]) -> Ref:
    """The object's reference once records says the project is the caller's (404 otherwise)."""
    await context.rpc.call(PROJECT_ACCESS, ProjectAccessRequest(actor=principal.actor, project=project_id))
    try:
        return ref()
    except ValidationError:
        # A name Kubernetes would never give a pod or job ("..", "a/b") names nothing of the project.
        raise ApiError.not_found() from None


@router.delete("/rollouts/{project_id}/{pod_name}")
@router.delete("/pb/{project_id}/pod/{pod_name}", include_in_schema=False)
async def delete_pod(
    project_id: str,
    pod_name: str,
    principal: Principal = Depends(require_auth),
    context: EdgeContext = Depends(edge_context),
) -> ORJSONResponse:
    ref = await in_project(context, principal, project_id, lambda: PodRef(project=project_id, pod=pod_name))
    done = await context.rpc.call(DELETE_POD, ref)
    return ORJSONResponse(done.message)  # One-Click answered with a bare JSON string


@router.delete("/pb/{project_id}/job/{job_name}")
async def delete_job(
    project_id: str,
    job_name: str,
    principal: Principal = Depends(require_auth),
    context: EdgeContext = Depends(edge_context),
) -> ORJSONResponse:
    ref = await in_project(context, principal, project_id, lambda: JobRef(project=project_id, job=job_name))
    done = await context.rpc.call(DELETE_JOB, ref)
    return ORJSONResponse(done.message)
