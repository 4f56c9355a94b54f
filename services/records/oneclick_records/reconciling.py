"""What the executor asks records: the desired state of one deployment, secrets included, and (for its
periodic resync) the ids of every project and deployment, page by page.

``deployment_state`` is the only read that returns secret values; both are internal RPCs the edge never exposes.
"""

from __future__ import annotations

import asyncpg

from oneclick_core.contracts.records import (
    DeploymentState,
    IndexItem,
    IndexPage,
    IndexRequest,
    Owner,
    ProjectPolicy,
    RunningRollout,
)
from oneclick_records.serializing import pb_date
from oneclick_records.tenancy import Tenancy, project_limits


async def _owner(conn: asyncpg.Connection, user_id: str) -> Owner:
    user = await conn.fetchrow("SELECT id, username, name FROM users WHERE id = $1", user_id)
    return Owner(id=user["id"], username=user["username"], name=user["name"]) if user else Owner(id=user_id)


async def deployment_state(conn: asyncpg.Connection, tenancy: Tenancy, deployment_id: str) -> DeploymentState:
    deployment = await conn.fetchrow('SELECT id, project, "user" FROM deployments WHERE id = $1', deployment_id)
    if deployment is None:
        return DeploymentState(deployment=deployment_id, exists=False, projectExists=False)
    project = await conn.fetchrow("SELECT limits FROM projects WHERE id = $1", deployment["project"])
    running = await conn.fetchrow(
        "SELECT id, manifest, start_date FROM rollouts WHERE deployment = $1 AND end_date IS NULL", deployment_id
    )
    return DeploymentState(
        deployment=deployment_id,
        project=deployment["project"],
        exists=True,
        projectExists=project is not None,
        owner=await _owner(conn, deployment["user"]),
        running=RunningRollout(
            id=running["id"], manifest=running["manifest"] or {}, startDate=pb_date(running["start_date"])
        )
        if running
        else None,
        policy=tenancy.defaults.with_limits(project_limits(project["limits"])) if project is not None else None,
    )


async def project_policy(conn: asyncpg.Connection, tenancy: Tenancy, project_id: str) -> ProjectPolicy:
    project = await conn.fetchrow('SELECT "user", limits FROM projects WHERE id = $1', project_id)
    if project is None:
        return ProjectPolicy(project=project_id, exists=False)
    return ProjectPolicy(
        project=project_id,
        exists=True,
        owner=await _owner(conn, project["user"]),
        policy=tenancy.defaults.with_limits(project_limits(project["limits"])),
    )


async def index_page(conn: asyncpg.Connection, request: IndexRequest) -> IndexPage:
    """Keyset paging by primary key: each page is one index range scan, however many records there are."""
    if request.collection == "projects":
        rows = await conn.fetch(
            "SELECT id, NULL AS project FROM projects WHERE id > $1 ORDER BY id LIMIT $2", request.after, request.limit
        )
    elif request.project:
        rows = await conn.fetch(
            "SELECT id, project FROM deployments WHERE project = $3 AND id > $1 ORDER BY id LIMIT $2",
            request.after,
            request.limit,
            request.project,
        )
    else:
        rows = await conn.fetch(
            "SELECT id, project FROM deployments WHERE id > $1 ORDER BY id LIMIT $2", request.after, request.limit
        )
    items = [IndexItem(id=row["id"], project=row["project"]) for row in rows]
    return IndexPage(items=items, next=items[-1].id if len(items) == request.limit else None)
