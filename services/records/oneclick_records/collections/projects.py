"""``projects``: a tenant — one Kubernetes namespace, its deployments, and the tenancy ``limits`` only superusers
set. Deleting one deletes everything in it (each record with its event; the executor deletes the namespace on
``project.deleted``), its ingress host claims with it (a foreign key)."""

from __future__ import annotations

from oneclick_core.contracts.records import COLLECTION_IDS
from oneclick_records import rules
from oneclick_records.collections.autoupdates import AUTO_UPDATES
from oneclick_records.collections.deployments import DEPLOYMENTS
from oneclick_records.collections.rollouts import ROLLOUTS
from oneclick_records.declaring import OWNED, Cascade, Change, Collection, Field, Hooks, Kind
from oneclick_records.tenancy import check_limits


async def _limits(change: Change) -> None:
    current = change.current.get("limits") if change.current is not None else None
    check_limits(change.actor, change.values, change.errors, current=current)


PROJECTS = Collection(
    name="projects",
    id=COLLECTION_IDS["projects"],
    table="projects",
    fields=(
        Field("name", Kind.TEXT, required=True, max_length=200),
        Field("description", Kind.TEXT, max_length=5000),
        Field("tags", Kind.TEXT, max_length=2000),
        Field("avatar", Kind.FILE),
        Field("user", Kind.RELATION, target="users", owner=True),
        # The project's tenancy limits, set by superusers only (oneclick_records.tenancy.check_limits).
        Field("limits", Kind.JSON),
    ),
    view_rule=OWNED,
    write_rule=OWNED,
    owner_field="user",
    project_field="id",
    deployment_field="",
    hooks=Hooks(
        validate=(rules.owner, _limits, rules.owner_exists, rules.relations),
        # Rollouts and autoUpdates before their deployments: the database's own cascade would take them
        # without their events.
        cascade=(Cascade(ROLLOUTS, "project"), Cascade(AUTO_UPDATES, "project"), Cascade(DEPLOYMENTS, "project")),
    ),
)
