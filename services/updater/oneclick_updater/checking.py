"""One check of one autoUpdate: the running rollout's image, its registry's tags, the policy's choice.

When the chosen tag differs from the running one, ``autoupdate.tag_found`` goes to the outbox in the
transaction that records the check (and, for a scheduled check, claims its work message), so a check
takes effect exactly once however often its message is delivered. Records replaces the running
rollout only if it is still the one this check looked at.

The running manifest comes from records with the registry password in it: it is used for the registry
request and nothing else — never logged, stored or published.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import asyncpg
from pydantic import ValidationError

from oneclick_core.bus.rpc import RpcClient
from oneclick_core.contracts.records import DEPLOYMENT_STATE, DeploymentStateRequest, RunningRollout
from oneclick_core.contracts.updater import TAG_FOUND, CheckResult, Outcome, TagFound, Trigger
from oneclick_core.observability.logs import get_logger
from oneclick_core.observability.tracing import current_traceparent
from oneclick_core.runtime.inbox import claim
from oneclick_core.runtime.outbox import enqueue
from oneclick_core.timestamps import format_pb, utcnow
from oneclick_manifest.model import ImageSpec
from oneclick_updater import store
from oneclick_updater.listings import SharedListings
from oneclick_updater.metrics import UpdaterMetrics
from oneclick_updater.registry import REGISTRY_UNREACHABLE, Credentials, Repository
from oneclick_updater.selecting import select_tag
from oneclick_updater.work import SCHEMA, SOURCE

log = get_logger(__name__)

CHECKS_CONSUMER = "updater-checks"


@dataclass(frozen=True)
class Finding:
    """What a check found before it is recorded."""

    outcome: Outcome
    current_tag: str = ""
    chosen_tag: str = ""
    message: str = ""
    listing: str | None = None
    fetched: bool = False
    image: ImageSpec | None = None
    rollout: str | None = None


def _image_of(running: RunningRollout) -> ImageSpec:
    spec: Any = running.manifest.get("spec")
    image = spec.get("image") if isinstance(spec, dict) else None
    return ImageSpec.model_validate(image)


class Checker:
    def __init__(
        self,
        pool: asyncpg.Pool,
        rpc: RpcClient,
        listings: SharedListings,
        metrics: UpdaterMetrics,
        insecure_registries: frozenset[str],
        replica: str,
    ) -> None:
        self._pool = pool
        self._replica = replica
        self._rpc = rpc
        self._listings = listings
        self._metrics = metrics
        self._insecure = insecure_registries

    async def run(
        self,
        auto_update: str,
        *,
        trigger: Trigger,
        due_at: datetime,
        fresh_after: datetime,
        event_id: str | None = None,
    ) -> CheckResult | None:
        """Check and record; None when there is nothing (left) to check or the work was done before."""
        started = utcnow()
        async with self._pool.acquire() as conn:
            if event_id is not None and await conn.fetchval(
                "SELECT EXISTS (SELECT 1 FROM event_inbox WHERE consumer = $1 AND event_id = $2)",
                CHECKS_CONSUMER,
                event_id,
            ):
                return None  # a redelivery of a check that completed
            current = await store.find(conn, auto_update)
        if current is None or current.deleted:
            return None
        finding = await self._find(current, fresh_after)
        return await self._record(current.id, trigger, due_at, started, finding, event_id)

    async def _find(self, current: store.AutoUpdate, fresh_after: datetime) -> Finding:
        # An unreachable records service raises (ApiError 503): the work message is retried later.
        state = await self._rpc.call(DEPLOYMENT_STATE, DeploymentStateRequest(deployment=current.deployment))
        if state.running is None:
            return Finding("no_running_rollout", message="The deployment has no running rollout.")
        try:
            image = _image_of(state.running)
        except ValidationError:
            return Finding(
                "failed", message="The running rollout's manifest has no valid image.", rollout=state.running.id
            )
        repository = Repository.of(image.registry, image.repository, self._insecure)
        listing = await self._listings.tags(repository, Credentials(image.username, image.password), fresh_after)
        found = Finding(
            "failed",
            current_tag=image.tag,
            image=image,
            rollout=state.running.id,
            listing=listing.key,
            fetched=listing.fetched,
        )
        if listing.tags is None:
            return replace(found, message=listing.error or REGISTRY_UNREACHABLE)
        try:
            chosen = select_tag(listing.tags, current.pattern, current.policy)
        except ValueError as exc:
            return replace(found, message=f"Invalid pattern or policy: {exc}")
        if chosen is None:
            return replace(found, outcome="no_matching_tag", message=f"None of {len(listing.tags)} tags qualifies.")
        return replace(found, outcome="unchanged" if chosen == image.tag else "tag_found", chosen_tag=chosen)

    async def _record(
        self,
        auto_update: str,
        trigger: Trigger,
        due_at: datetime,
        started: datetime,
        finding: Finding,
        event_id: str | None,
    ) -> CheckResult | None:
        outcome = finding.outcome
        async with self._pool.acquire() as conn, conn.transaction():
            if event_id is not None and not await claim(conn, CHECKS_CONSUMER, event_id):
                return None  # another replica finished this very check first
            current = await store.lock(conn, auto_update)
            if current is None or current.deleted:
                return None
            requested: tuple[str, str] | None = None
            if outcome == "tag_found" and finding.rollout is not None and finding.image is not None:
                if (current.requested_rollout, current.requested_tag) == (finding.rollout, finding.chosen_tag):
                    outcome = "already_requested"  # records has not got to the earlier request yet
                else:
                    await self._publish(
                        conn, current, finding.rollout, finding.image, finding.chosen_tag, trigger, started
                    )
                    requested = (finding.rollout, finding.chosen_tag)
            await store.record_check(
                conn,
                store.CheckRecord(
                    auto_update=auto_update,
                    trigger=trigger,
                    replica=self._replica,
                    due_at=due_at,
                    started=started,
                    outcome=outcome,
                    current_tag=finding.current_tag,
                    chosen_tag=finding.chosen_tag,
                    listing=finding.listing,
                    fetched=finding.fetched,
                    error=finding.message if outcome == "failed" else None,
                ),
                requested=requested,
            )
        self._metrics.checks.labels(trigger, outcome).inc()
        if outcome == "failed":
            self._metrics.failures.labels("registry" if finding.listing else "manifest").inc()
        else:
            self._metrics.last_success.labels(auto_update).set(utcnow().timestamp())
        log.info(
            "check.done",
            auto_update=auto_update,
            trigger=trigger,
            outcome=outcome,
            current_tag=finding.current_tag,
            chosen_tag=finding.chosen_tag,
            shared=not finding.fetched,
        )
        return CheckResult(
            autoUpdate=auto_update,
            deployment=current.deployment,
            trigger=trigger,
            outcome=outcome,
            currentTag=finding.current_tag,
            tag=finding.chosen_tag,
            message=finding.message,
            checkedAt=format_pb(started),
        )

    async def _publish(
        self,
        conn: asyncpg.Connection,
        current: store.AutoUpdate,
        rollout: str,
        image: ImageSpec,
        tag: str,
        trigger: Trigger,
        checked: datetime,
    ) -> None:
        data = TagFound(
            autoUpdate=current.id,
            project=current.project,
            deployment=current.deployment,
            rollout=rollout,
            registry=image.registry,
            repository=image.repository,
            previousTag=image.tag,
            tag=tag,
            trigger=trigger,
            checkedAt=format_pb(checked),
        )
        envelope = TAG_FOUND.envelope(
            source=SOURCE, data=data, subject=current.id, traceparent=current_traceparent.get()
        )
        await enqueue(conn, TAG_FOUND.subject, envelope, schema=SCHEMA)
