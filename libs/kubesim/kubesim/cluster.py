"""One emulated cluster: store, API semantics, controllers, logs, metrics, and its snapshot on disk.

A ``Cluster`` is what its controllers see of it through ``controllers.base.Context``; nothing it assembles
imports this module."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path
from typing import Any

from kubesim import bootstrap, clock, snapshot
from kubesim.apiserver import ApiServer, WriteOptions
from kubesim.controllers import (
    deployments,
    garbage,
    hpa,
    jobs,
    namespaces,
    quota,
    services,
    statefulsets,
    volumes,
)
from kubesim.controllers.base import Controller, ControllerManager
from kubesim.controllers.crds import CRD_KEY, CrdController, on_crd_change, sync_registry
from kubesim.controllers.events import EventReaper, EventRecorder
from kubesim.controllers.kubelet.kubelet import Kubelet
from kubesim.logs import Logs
from kubesim.metrics import Metrics
from kubesim.names import NameSource
from kubesim.resources import Registry, builtin_types
from kubesim.stats import Stats
from kubesim.status import ApiError
from kubesim.store import Store
from kubesim.timings import Timings

JSON = dict[str, Any]
log = logging.getLogger("kubesim")


class Cluster:
    def __init__(
        self, timings: Timings, *, history_size: int = 1000, seed: int | None = None, state_file: Path | None = None
    ) -> None:
        self.timings = timings
        self.names = NameSource(seed)
        self.registry = Registry(builtin_types())
        self.store = Store(history_size=history_size)
        self.api = ApiServer(self.store, self.registry, self.names)
        self.events = EventRecorder(self.api)
        self.stats = Stats()
        self.metrics = Metrics(self.store)
        self.api.virtual["metrics.k8s.io/pods"] = self.metrics.pods
        self.api.virtual["metrics.k8s.io/nodes"] = self.metrics.nodes
        self.state_file = state_file
        self.store.add_listener(lambda change: on_crd_change(self.registry, change))
        # Set when shutting down: long-running responses (log follows) end instead of holding the server up.
        self.stopping = asyncio.Event()
        self.kubelet = Kubelet(self)
        self.logs = Logs(self.api, timings.log_interval, self.stopping, self.kubelet.instance_times)
        self.controllers = ControllerManager(self._controllers())
        self.store.add_listener(self.controllers.on_change)
        self._snapshot_task: asyncio.Task[None] | None = None
        self._saved_rv = -1

    def _controllers(self) -> list[Controller]:
        return [
            CrdController(self),
            EventReaper(self),
            namespaces.NamespaceController(self),
            namespaces.ServiceAccountController(self),
            garbage.GarbageCollector(self),
            self.kubelet,
            deployments.DeploymentController(self),
            deployments.ReplicaSetController(self),
            statefulsets.StatefulSetController(self),
            statefulsets.DaemonSetController(self),
            jobs.JobController(self),
            jobs.CronJobController(self),
            services.EndpointsController(self),
            services.LoadBalancerController(self),
            services.IngressController(self),
            volumes.VolumeController(self),
            volumes.PvcProtection(self),
            hpa.HorizontalPodAutoscalerController(self),
            quota.ResourceQuotaController(self),
        ]

    # --- contents -------------------------------------------------------------------------------------------

    def bootstrap(self) -> None:
        """Create the objects every cluster has (those missing after a restore are re-created)."""
        now = clock.now()

        def ensure(group: str, plural: str, obj: JSON) -> None:
            rt = self.api.rt(group, plural)
            meta = obj["metadata"]
            if self.store.get(rt.key, meta.get("namespace", ""), meta["name"]) is None:
                try:
                    self.api.create(rt, meta.get("namespace", ""), obj, WriteOptions(field_manager="kube-apiserver"))
                except ApiError as exc:
                    log.warning("bootstrap: creating %s %s failed: %s", plural, meta["name"], exc)

        for name in bootstrap.SYSTEM_NAMESPACES:
            ensure("", "namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
        ensure("", "nodes", bootstrap.node(now))
        for sc in bootstrap.storage_classes():
            ensure("storage.k8s.io", "storageclasses", sc)
        for ic in bootstrap.ingress_classes():
            ensure("networking.k8s.io", "ingressclasses", ic)
        ensure("", "services", bootstrap.kubernetes_service())
        ensure(
            "",
            "endpoints",
            {
                "apiVersion": "v1",
                "kind": "Endpoints",
                "metadata": {
                    "name": "kubernetes",
                    "namespace": "default",
                    "labels": {"endpointslice.kubernetes.io/skip-mirror": "true"},
                },
                "subsets": [
                    {
                        "addresses": [{"ip": bootstrap.NODE_IP}],
                        "ports": [{"name": "https", "port": 6443, "protocol": "TCP"}],
                    }
                ],
            },
        )
        ensure("apiextensions.k8s.io", "customresourcedefinitions", bootstrap.one_click_crd())

    def restore(self) -> bool:
        if self.state_file is None or not self.state_file.exists():
            return False
        data = snapshot.read(self.state_file)
        if data is None:
            return False
        self.store.load(data)
        for crd in self.store.list(CRD_KEY):
            sync_registry(self.registry, crd, None)
        self.api.rebuild_allocations()
        self.api.admission.rebuild()
        self._saved_rv = self.store.resource_version
        log.info(
            "restored %s objects at resourceVersion %s from %s",
            sum(self.store.count(r) for r in self.store.resources()),
            self.store.resource_version,
            self.state_file,
        )
        return True

    def save(self) -> None:
        if self.state_file is None:
            return
        if self._saved_rv == self.store.resource_version:
            return
        snapshot.write(self.state_file, self.store.dump())
        self._saved_rv = self.store.resource_version

    # --- lifecycle ------------------------------------------------------------------------------------------

    async def start(self) -> None:
        self.restore()
        self.bootstrap()
        self.controllers.start()
        if self.state_file is not None:
            self._snapshot_task = asyncio.create_task(self._save_periodically(), name="kubesim-snapshot")

    async def _save_periodically(self) -> None:
        while True:
            await asyncio.sleep(self.timings.snapshot_interval)
            try:
                self.save()
            except OSError:
                log.exception("writing the snapshot failed")

    def begin_shutdown(self) -> None:
        self.stopping.set()
        self.store.close_all_watchers()

    async def stop(self) -> None:
        self.begin_shutdown()
        if self._snapshot_task is not None:
            self._snapshot_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._snapshot_task
            self._snapshot_task = None
        await self.controllers.stop()
        self.save()
