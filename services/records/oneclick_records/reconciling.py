"""What the executor asks records: the desired state of one deployment, secrets included.

This is the only read that returns secret values; it is an internal RPC the edge never exposes.
"""

from __future__ import annotations

import asyncpg

from oneclick_core.contracts.records import DeploymentState, Owner, RunningRollout
from oneclick_records.serializing import pb_date


async def deployment_state(conn: asyncpg.Connection, deployment_id: str) -> DeploymentState:
    deployment = await conn.fetchrow("SELECT id, project, \"user\" FROM deployments WHERE id = $1", deployment_id)
    if deployment is None:
        return DeploymentState(deployment=deployment_id, exists=False, projectExists=False)
    project_exists = await conn.fetchval("SELECT EXISTS (SELECT 1 FROM projects WHERE id = $1)",
                                         deployment["project"])
    user = await conn.fetchrow("SELECT id, username, name FROM users WHERE id = $1", deployment["user"])
    running = await conn.fetchrow("SELECT id, manifest, start_date FROM rollouts WHERE deployment = $1 "
                                  "AND end_date IS NULL", deployment_id)
    return DeploymentState(
        deployment=deployment_id, project=deployment["project"], exists=True, projectExists=project_exists,
        owner=Owner(id=user["id"], username=user["username"], name=user["name"]) if user
        else Owner(id=deployment["user"]),
        running=RunningRollout(id=running["id"], manifest=running["manifest"] or {},
                               startDate=pb_date(running["start_date"])) if running else None)
