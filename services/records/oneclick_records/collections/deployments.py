"""``deployments``: an application in a project, made of its rollouts; deleting one deletes its rollouts and
autoUpdates (each with its event, so the executor removes what ran). The custom endpoints (status, logs, …)
name one by its project and its id or one of its rollouts' (:func:`deployment_access`)."""

from __future__ import annotations

import asyncpg

from oneclick_core.contracts.auth import Actor
from oneclick_core.contracts.records import COLLECTION_IDS
from oneclick_core.errors import ApiError
from oneclick_records import rules
from oneclick_records.access import Params, can_view
from oneclick_records.collections.autoupdates import AUTO_UPDATES
from oneclick_records.collections.rollouts import ROLLOUTS, release_project_hosts
from oneclick_records.declaring import OWNED, Cascade, Collection, Field, Hooks, Kind

DEPLOYMENTS = Collection(
    name="deployments",
    id=COLLECTION_IDS["deployments"],
    table="deployments",
    fields=(
        Field("name", Kind.TEXT, max_length=200),
        Field("avatar", Kind.FILE),
        Field("project", Kind.RELATION, target="projects", required=True, immutable=True),
        Field("blueprint", Kind.RELATION, target="blueprints"),
        Field("user", Kind.RELATION, target="users", owner=True),
    ),
    view_rule=OWNED,
    write_rule=OWNED,
    owner_field="user",
    deployment_field="id",
    hooks=Hooks(
        validate=(rules.owner, rules.owner_exists, rules.relations),
        cascade=(Cascade(ROLLOUTS, "deployment"), Cascade(AUTO_UPDATES, "deployment")),
        # Its rollouts went without their own hooks: the hosts they served go here.
        after_delete=release_project_hosts,
    ),
)


async def deployment_access(conn: asyncpg.Connection, actor: Actor, project_id: str, ref_id: str) -> tuple[str, str]:
    """(project, deployment) for a custom endpoint's path; 404 unless both are the actor's and belong together."""
    params = Params(project_id, ref_id)
    rule = can_view(DEPLOYMENTS, actor, params)
    row = await conn.fetchrow(
        f"""SELECT t.project, t.id FROM deployments t
            WHERE t.project = $1 AND {rule}
              AND (t.id = $2 OR t.id = (SELECT r.deployment FROM rollouts r WHERE r.id = $2))""",
        *params.values,
    )
    if row is None:
        raise ApiError.not_found()
    return row["project"], row["id"]
