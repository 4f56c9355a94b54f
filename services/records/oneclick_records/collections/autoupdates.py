"""``autoUpdates``: a deployment's registry watch (interval, tag pattern, policy), run by the updater; a found
tag comes back as ``autoupdate.tag_found`` (:mod:`oneclick_records.autoupdating`)."""

from __future__ import annotations

from oneclick_core.autoupdates import auto_update_errors
from oneclick_core.contracts.records import COLLECTION_IDS
from oneclick_records import rules
from oneclick_records.declaring import OWNED, Change, Collection, Field, Hooks, Kind


async def _schedule(change: Change) -> None:
    """The interval, pattern and policy sent are ones the updater can run (the same rules it runs them by)."""
    values = change.values
    for name, problem in auto_update_errors(
        values.get("interval"), values.get("pattern"), values.get("policy")
    ).items():
        change.errors.setdefault(name, problem)


AUTO_UPDATES = Collection(
    name="autoUpdates",
    id=COLLECTION_IDS["autoUpdates"],
    table="auto_updates",
    fields=(
        Field("interval", Kind.TEXT, required=True, max_length=20),
        Field("pattern", Kind.TEXT, max_length=500),
        Field("policy", Kind.TEXT, max_length=100),
        Field("project", Kind.RELATION, target="projects", required=True, immutable=True),
        Field("deployment", Kind.RELATION, target="deployments", required=True, immutable=True),
        Field("user", Kind.RELATION, target="users", owner=True),
    ),
    view_rule=OWNED,
    write_rule=OWNED,
    owner_field="user",
    hooks=Hooks(validate=(rules.owner, _schedule, rules.owner_exists, rules.relations, rules.same_project)),
)
