"""``DELETE /pb/{projectId}/job/{jobId}``: delete a job of one of the project's cron jobs, with its pods.

The project must be the caller's (records, 404 otherwise); the executor looks for the job in that project's
namespace only and refuses any job not labelled with the project.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import ORJSONResponse
from pydantic import ValidationError

from oneclick_core.contracts.executor import DELETE_JOB, JobRef
from oneclick_core.contracts.records import PROJECT_ACCESS, ProjectAccessRequest
from oneclick_core.errors import ApiError
from oneclick_edge.auth import Principal, require_auth
from oneclick_edge.context import EdgeContext, edge_context

router = APIRouter()


@router.delete("/pb/{project_id}/job/{job_name}")
async def delete_job(project_id: str, job_name: str, principal: Principal = Depends(require_auth),
                     context: EdgeContext = Depends(edge_context)) -> ORJSONResponse:
    await context.rpc.call(PROJECT_ACCESS, ProjectAccessRequest(actor=principal.actor, project=project_id))
    try:
        ref = JobRef(project=project_id, job=job_name)
    except ValidationError:
        # A name Kubernetes would never give a job ("..", "a/b") names no job of the project.
        raise ApiError.not_found() from None
    done = await context.rpc.call(DELETE_JOB, ref)
    # One-Click answered with a bare JSON string.
    return ORJSONResponse(done.message)
