"""Periodic resync: every ``ONECLICK_EXECUTOR_RESYNC_INTERVAL`` seconds the cluster is brought back to what
records holds, whatever events were lost (dead-lettered after a long Kubernetes outage) or whatever was changed
by hand in the cluster (drift) — Argo CD's periodic reconciliation, Flux's interval.

A resync is "reconcile every deployment" through the event path's own code (:meth:`Reconciler.reconcile`:
the project's lock, the state read under it, idempotent server-side apply, prune, removal when no rollout
runs), so it never applies a deployment concurrently with an event and never applies an older state. Then it
sweeps orphans: deployments with One-Click-labelled objects that records does not know are reconciled too
(records says "gone", so their objects go, claims included), and project namespaces One-Click made
(``one-click.dev/projectId`` = the namespace's name, ``app.kubernetes.io/managed-by=one-click``) whose project
records does not know are deleted like a deleted project's. Nothing without those labels is ever touched. The
namespaces of projects records knows get their tenancy guardrails (labels, quota, limit range, network policy)
back as their policy says: after an upgrade, namespaces made before the tenancy policy get them here.

Only the replica holding the ``k8s-executor-resync`` lease (:mod:`oneclick_core.bus.leases`) runs it.
"""

from __future__ import annotations

import asyncio
from collections import Counter as Tally
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass, field
from typing import Literal, TypeVar

from oneclick_core.bus.rpc import RpcClient
from oneclick_core.contracts.records import INDEX, IndexItem, IndexRequest
from oneclick_core.errors import ApiError
from oneclick_core.ids import is_record_id
from oneclick_core.kinds import NAMESPACE
from oneclick_core.observability.logs import get_logger
from oneclick_k8s_executor.applying import ApplyMode, Rejected
from oneclick_k8s_executor.locking import LockBusy, LockLost
from oneclick_k8s_executor.metrics import ExecutorMetrics
from oneclick_k8s_executor.reconciling import Reconciled, Reconciler
from oneclick_kube.client import Kube
from oneclick_kube.errors import KubeError
from oneclick_kube.paths import resource_path
from oneclick_manifest import naming

log = get_logger(__name__)

LEASE_NAME = "k8s-executor-resync"
PAGE_SIZE = 500
# The labels of a namespace One-Click made for a project (render_namespace); the original backend's and
# anybody else's namespaces lack the managed-by label and are never deleted by the sweep.
PROJECT_NAMESPACES = f"{naming.PROJECT_ID_LABEL},{naming.MANAGED_BY_LABEL}={naming.MANAGED_BY}"

T = TypeVar("T")
DeploymentOutcome = Literal["unchanged", "corrected", "failed", "busy"]


class ResyncAborted(Exception):
    """Records or the Kubernetes API is away: the rest of this run would fail too; the next run retries."""


def implausibly_empty(projects: set[str], namespaces: set[str]) -> bool:
    """Records knows no project at all while One-Click's namespaces exist: far likelier records is pointed at
    an empty or wrong database than that every project was deleted with none of its events applied. A sweep
    then would delete every namespace One-Click made, so the resync refuses (the event path is unaffected)."""
    return not projects and bool(namespaces)


@dataclass
class ResyncReport:
    deployments: Tally[str] = field(default_factory=Tally)
    corrected: dict[str, list[str]] = field(default_factory=dict)  # deployment → objects changed
    orphan_deployments: list[str] = field(default_factory=list)
    orphan_namespaces: list[str] = field(default_factory=list)
    guarded: dict[str, list[str]] = field(default_factory=dict)  # project → guardrail objects changed


class Resync:
    def __init__(
        self,
        kube: Kube,
        mode: ApplyMode,
        reconciler: Reconciler,
        records: RpcClient,
        metrics: ExecutorMetrics,
        *,
        interval: float,
        page_size: int = PAGE_SIZE,
    ) -> None:
        self._kube = kube
        self._mode = mode
        self._reconciler = reconciler
        self._records = records
        self._metrics = metrics
        self._interval = interval
        self._page_size = page_size

    async def lead(self) -> None:
        """Runs while this replica holds the lease (LeaderElector cancels it on loss): a resync at once, then
        one every interval, counted from the end of the previous one so runs never pile up."""
        log.info("resync.leading", interval=self._interval)
        self._metrics.resync_leader.set(1)
        try:
            while True:
                await self.run_once()
                await asyncio.sleep(self._interval)
        finally:
            self._metrics.resync_leader.set(0)

    async def run_once(self) -> ResyncReport | None:
        report = ResyncReport()
        try:
            await self._run(report)
        except ResyncAborted as exc:
            self._metrics.resync_runs.labels("failed").inc()
            log.warning("resync.aborted", reason=str(exc), deployments=dict(report.deployments))
            return None
        self._metrics.resync_runs.labels("completed").inc()
        log.info(
            "resync.completed",
            deployments=dict(report.deployments),
            corrected=len(report.corrected),
            guarded=len(report.guarded),
            orphan_deployments=len(report.orphan_deployments),
            orphan_namespaces=len(report.orphan_namespaces),
        )
        return report

    async def _run(self, report: ResyncReport) -> None:
        # The cluster first, records after: a namespace listed before the projects were read whose project
        # records then lacks was deleted (a namespace is only made for a project records already had, and ids
        # are never reused), never one created in between.
        namespaces = await self._cluster(self._project_namespaces())
        present = await self._cluster(self._mode.present())
        projects = {item.id async for item in self._index("projects")}
        if implausibly_empty(projects, namespaces):
            raise ResyncAborted(
                f"records knows no project but the cluster has {len(namespaces)} One-Click "
                "namespace(s); not sweeping (is records on the right database?)"
            )
        known: set[str] = set()
        async for item in self._index("deployments"):
            known.add(item.id)
            if item.project is not None:
                await self._reconcile(item.project, item.id, report)
        for project, deployment in sorted(present):
            if deployment in known:
                continue
            # Records will say "gone" (or, if it was created meanwhile, what to apply): the same code path.
            reconciled = await self._reconcile(project, deployment, report)
            if reconciled is not None and reconciled.gone and reconciled.changed:
                report.orphan_deployments.append(deployment)
                self._metrics.orphans_removed.labels("deployment").inc()
                log.info("resync.orphan_deployment_removed", project=project, deployment=deployment)
        for project in sorted(namespaces & projects):
            await self._guard(project, report)
        for namespace in sorted(namespaces - projects):
            try:
                await self._reconciler.delete_project(namespace)
            except (KubeError, LockBusy, LockLost) as exc:
                log.warning("resync.orphan_namespace_failed", project=namespace, error=str(exc))
                continue
            report.orphan_namespaces.append(namespace)
            self._metrics.orphans_removed.labels("namespace").inc()
            log.info("resync.orphan_namespace_deleted", project=namespace)

    async def _guard(self, project: str, report: ResyncReport) -> None:
        """The project namespace's labels and guardrails as its policy says (namespaces made before the tenancy
        policy get them here after an upgrade; a quota or label changed by hand is put back)."""
        try:
            changed = await self._reconciler.guard_project(project)
        except LockBusy:
            return  # the event path holds the project and applies its guardrails with any deployment
        except KubeError as exc:
            if exc.status == 0:
                raise ResyncAborted(f"Kubernetes API: {exc}") from None
            log.warning("resync.guardrails_failed", project=project, error=str(exc))
            return
        except ApiError as exc:
            raise ResyncAborted(f"records: {exc}") from None
        except (LockLost, Rejected) as exc:
            log.warning("resync.guardrails_failed", project=project, error=str(exc))
            return
        if changed:
            report.guarded[project] = changed
            for ref in changed:
                self._metrics.drift_corrected.labels(ref.split("/", 1)[0]).inc()
            log.info("resync.guardrails_corrected", project=project, objects=changed)

    async def _reconcile(self, project: str, deployment: str, report: ResyncReport) -> Reconciled | None:
        """One deployment through the event path; None if it could not be done now."""
        outcome: DeploymentOutcome
        result: Reconciled | None = None
        try:
            reconciled = await self._reconciler.reconcile(project, deployment, quiet=True)
        except LockBusy:
            # The event path is working on the project right now: it applies the newest state anyway.
            outcome = "busy"
        except KubeError as exc:
            if exc.status == 0:
                raise ResyncAborted(f"Kubernetes API: {exc}") from None
            outcome = "failed"
            log.warning("resync.deployment_failed", project=project, deployment=deployment, error=str(exc))
        except ApiError as exc:
            raise ResyncAborted(f"records: {exc}") from None
        except LockLost as exc:
            outcome = "failed"
            log.warning("resync.deployment_failed", project=project, deployment=deployment, error=repr(exc))
        else:
            result = reconciled
            changed = reconciled.changed
            outcome = "failed" if reconciled.outcome == "failed" else "corrected" if changed else "unchanged"
            if changed:
                report.corrected[deployment] = changed
                for ref in changed:
                    self._metrics.drift_corrected.labels(ref.split("/", 1)[0]).inc()
                log.info(
                    "resync.corrected",
                    project=project,
                    deployment=deployment,
                    objects=changed,
                    result=reconciled.outcome,
                )
        report.deployments[outcome] += 1
        self._metrics.resync_deployments.labels(outcome).inc()
        return result

    async def _project_namespaces(self) -> set[str]:
        found: set[str] = set()
        for item in await self._kube.list(resource_path(NAMESPACE), labels=PROJECT_NAMESPACES):
            metadata = item.get("metadata") or {}
            name = metadata.get("name")
            labelled = (metadata.get("labels") or {}).get(naming.PROJECT_ID_LABEL)
            if (
                isinstance(name, str)
                and name == labelled
                and is_record_id(name)
                and not metadata.get("deletionTimestamp")
            ):
                found.add(name)
        return found

    async def _cluster(self, read: Awaitable[T]) -> T:
        try:
            return await read
        except KubeError as exc:
            raise ResyncAborted(f"Kubernetes API: {exc}") from None

    async def _index(self, collection: Literal["projects", "deployments"]) -> AsyncIterator[IndexItem]:
        """Every id of the collection, a page per RPC (never the whole list in one message)."""
        after = ""
        while True:
            try:
                page = await self._records.call(
                    INDEX, IndexRequest(collection=collection, after=after, limit=self._page_size)
                )
            except ApiError as exc:
                raise ResyncAborted(f"records: {exc}") from None
            for item in page.items:
                yield item
            if page.next is None:
                return
            after = page.next
