"""Applying the updater's ``autoupdate.tag_found``: the running rollout is replaced by one with the new tag.

The new rollout is created exactly as a user's would be (:func:`changing.create`, the deployment's owner
as the actor): the running rollout ends in the same transaction, the events go out through the outbox,
the executor applies it and the UI shows it. Only the image tag differs from the running manifest,
which is read here in full (secrets included) and never leaves the transaction.

The event is acted on only while it still describes the deployment: the autoUpdate exists, the running
rollout is the one the check looked at and still has the image the check saw. A repeated event, a late
one, or one overtaken by the user's own change therefore does nothing; the inbox makes redeliveries
no-ops as well.
"""

from __future__ import annotations

import copy
from typing import Any

import asyncpg

from oneclick_core.bus.consuming import ConsumerOptions, Delivery, PoisonMessage
from oneclick_core.contracts.auth import Actor
from oneclick_core.contracts.envelope import Envelope
from oneclick_core.contracts.updater import TAG_FOUND, TagFound
from oneclick_core.errors import ApiError
from oneclick_core.observability.logs import get_logger
from oneclick_core.runtime.inbox import claim
from oneclick_records import changing
from oneclick_records.collections.rollouts import ROLLOUTS

log = get_logger(__name__)

CONSUMER = ConsumerOptions(durable="records-autoupdates", subjects=(TAG_FOUND.subject,))


def _image(manifest: Any) -> dict[str, Any] | None:
    spec = manifest.get("spec") if isinstance(manifest, dict) else None
    image = spec.get("image") if isinstance(spec, dict) else None
    return image if isinstance(image, dict) else None


class AutoUpdating:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def handle(self, envelope: Envelope, delivery: Delivery) -> None:
        found = TAG_FOUND.parse(envelope)
        async with self._pool.acquire() as conn, conn.transaction():
            if not await claim(conn, CONSUMER.durable, envelope.id):
                return
            created = await self._replace_running(conn, found)
        if created is not None:
            log.info(
                "autoupdate.rollout_created",
                auto_update=found.autoUpdate,
                deployment=found.deployment,
                rollout=created,
                previous_tag=found.previousTag,
                tag=found.tag,
            )
        else:
            log.info(
                "autoupdate.tag_found_stale",
                auto_update=found.autoUpdate,
                deployment=found.deployment,
                rollout=found.rollout,
                tag=found.tag,
            )

    async def _replace_running(self, conn: asyncpg.Connection, found: TagFound) -> str | None:
        deployment = await conn.fetchrow(
            'SELECT id, project, "user" FROM deployments WHERE id = $1 FOR UPDATE', found.deployment
        )
        if deployment is None or not await conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM auto_updates WHERE id = $1 AND deployment = $2)",
            found.autoUpdate,
            found.deployment,
        ):
            return None
        running = await conn.fetchrow(
            "SELECT id, manifest FROM rollouts WHERE deployment = $1 AND end_date IS NULL", found.deployment
        )
        if running is None or running["id"] != found.rollout:
            return None
        image = _image(running["manifest"])
        if image is None or (image.get("registry"), image.get("repository"), image.get("tag")) != (
            found.registry,
            found.repository,
            found.previousTag,
        ):
            return None
        manifest = copy.deepcopy(running["manifest"])
        manifest["spec"]["image"]["tag"] = found.tag
        owner = Actor(id=deployment["user"], collection="users")
        try:
            record = await changing.create(
                conn,
                ROLLOUTS,
                owner,
                {"manifest": manifest, "project": deployment["project"], "deployment": found.deployment},
                [],
            )
        except ApiError as exc:
            if exc.status == 400:
                # The tag makes the manifest invalid (or the owner lost access): retrying cannot help.
                problem = f"{exc.message} {sorted(exc.data)}"
                raise PoisonMessage(f"rollout with tag {found.tag!r} refused: {problem}") from None
            raise
        return str(record["id"])
