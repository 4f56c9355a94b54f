"""Rollout apply latency: from the API's answer to a new rollout until every object it renders is in the cluster.

Auth, records, k8s-executor (1, then 2 replicas) and the edge run as processes against kubesim. A user creates
rollouts of the nginx blueprint with a Secret and an Ingress (Namespace, ServiceAccount, Secret, Deployment,
Service, Ingress) through ``POST /api/collections/rollouts/records``; the benchmark watches kubesim itself
(one cluster-wide watch per rendered kind) and takes, per rollout, the moment the last of its objects
(``oneclick_manifest.render``) appeared — labelled with that rollout's id where the renderer labels it.

Where the time goes, per rollout (medians): from the API's answer until records' ``rollout.created`` reaches
JetStream (the outbox relay), from there until the last object is in the cluster (an executor takes the event,
reads the state, applies), and until the executor's ``rollout.applied`` — read by the benchmark from the stream
as it arrives.

Two loads per replica count, each on fresh deployments spread over projects of 10, deleted (and their
namespaces gone from kubesim) before the next load, so every load starts on a cluster of the same size:
  one at a time  the next rollout is created when the last one is in the cluster: the pipeline's own latency;
  burst          200 rollouts created by 8 concurrent clients as fast as the API answers: latency under a
                 queue, and rollouts/s applied (where a second executor replica should help: per-project
                 locks let replicas apply different projects in parallel).
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import nats
import orjson
from nats.aio.msg import Msg
from nats.js.api import DeliverPolicy

from bench.processes import cpu_seconds
from bench.reporting import ms, quick, ratio, report, sized, spread, table
from bench.stack import Stack, stack
from kubesim.testing import KubesimProcess
from oneclick_core.bus.streams import EVENTS_STREAM
from oneclick_core.contracts.envelope import Envelope
from oneclick_core.contracts.executor import ROLLOUT_APPLIED
from oneclick_core.contracts.records import record_event
from oneclick_core.kinds import SERVICE_ACCOUNT
from oneclick_core.tenancy import TenancyPolicy
from oneclick_kube.paths import resource_path
from oneclick_manifest.model import validate_manifest
from oneclick_manifest.naming import ROLLOUT_ID_LABEL
from oneclick_manifest.rendering import owned_types, project_types, render
from oneclick_testing.platform import Platform, User
from oneclick_testing.waiting import eventually

NGINX_BLUEPRINT = "bpnginx00000000"
DEPLOYMENTS_PER_PROJECT = 10
Key = tuple[str, str, str, str]  # kind, namespace, name, rollout label ("" for any)


class ClusterWatch:
    """Cluster-wide watches of every kind a rollout renders; remembers when each object first appeared."""

    def __init__(self, kubesim: KubesimProcess) -> None:
        self.kubesim = kubesim
        self.seen: dict[Key, float] = {}
        self._changed = asyncio.Condition()  # notified whenever an object appeared or changed
        self._tasks: list[asyncio.Task[None]] = []
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None))
        for kind in (*project_types(), SERVICE_ACCOUNT, *owned_types()):
            self._tasks.append(asyncio.create_task(self._watch(kind.kind, f"{self.kubesim.url}{resource_path(kind)}")))

    async def _watch(self, kind: str, url: str) -> None:
        assert self._session is not None
        async with self._session.get(url, params={"watch": "true"}) as response:
            async for line in response.content:
                now = time.monotonic()
                event = orjson.loads(line)
                if event.get("type") not in ("ADDED", "MODIFIED"):
                    continue
                metadata = event["object"]["metadata"]
                namespace, name = metadata.get("namespace", ""), metadata["name"]
                label = (metadata.get("labels") or {}).get(ROLLOUT_ID_LABEL, "")
                self.seen.setdefault((kind, namespace, name, ""), now)
                if label:
                    self.seen.setdefault((kind, namespace, name, label), now)
                async with self._changed:
                    self._changed.notify_all()

    def applied_at(self, expected: list[Key]) -> float | None:
        """When the last of ``expected`` appeared; None while one is missing."""
        times = [self.seen.get(key) for key in expected]
        return None if any(t is None for t in times) else max(t for t in times if t is not None)

    async def wait_applied(self, expected: list[Key], timeout: float = 120) -> float:
        """When the last of ``expected`` appeared, once it has: woken by the watches, not polling (the moment is
        the watch's own timestamp either way)."""
        try:
            async with asyncio.timeout(timeout), self._changed:
                await self._changed.wait_for(lambda: self.applied_at(expected) is not None)
        except TimeoutError:
            raise TimeoutError(
                f"objects of a rollout never appeared: {[key for key in expected if key not in self.seen]}"
            ) from None
        at = self.applied_at(expected)
        assert at is not None
        return at

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._session is not None:
            await self._session.close()


class EventClock:
    """When each rollout's ``rollout.created`` (records, through the outbox) and ``rollout.applied`` (executor)
    reached the benchmark from JetStream."""

    def __init__(self) -> None:
        self.created: dict[str, float] = {}
        self.applied: dict[str, float] = {}

    async def start(self, nats_url: str) -> nats.NATS:
        nc = await nats.connect(nats_url, name="bench-rollouts")
        js = nc.jetstream()
        for spec, seen, key in (
            (record_event("rollouts", "create"), self.created, "subject"),
            (ROLLOUT_APPLIED, self.applied, "rollout"),
        ):

            async def note(msg: Msg, seen: dict[str, float] = seen, key: str = key) -> None:
                now = time.monotonic()
                envelope = Envelope.model_validate_json(msg.data)
                rollout = envelope.subject if key == "subject" else str(envelope.data.get(key, ""))
                seen.setdefault(rollout, now)

            await js.subscribe(
                spec.subject, stream=EVENTS_STREAM, ordered_consumer=True, deliver_policy=DeliverPolicy.NEW, cb=note
            )
        return nc


def _expected(manifest: dict[str, Any], user: User, project: str, deployment: str, rollout: str) -> list[Key]:
    objects = render(
        validate_manifest(manifest),
        project_id=project,
        deployment_id=deployment,
        rollout_id=rollout,
        user_id=user.id,
        username=user.record.get("username", ""),
        display_name=user.record.get("name", ""),
        policy=TenancyPolicy(),
    )
    return [
        (
            o["kind"],
            o["metadata"].get("namespace", ""),
            o["metadata"]["name"],
            (o["metadata"].get("labels") or {}).get(ROLLOUT_ID_LABEL, ""),
        )
        for o in objects
    ]


async def _create(user: User, collection: str, **data: Any) -> dict[str, Any]:
    response = await user.client.post(f"/api/collections/{collection}/records", json=data)
    if response.status_code != 200:
        raise RuntimeError(f"creating {collection}: {response.status_code} {response.text}")
    body: dict[str, Any] = response.json()
    return body


async def _remove_projects(user: User, kubesim: KubesimProcess, projects: set[str]) -> None:
    """Delete the projects (the executor deletes their namespaces) and wait until kubesim has none of them."""
    for project in projects:
        response = await user.client.delete(f"/api/collections/projects/records/{project}")
        if response.status_code != 204:
            raise RuntimeError(f"deleting project {project}: {response.status_code} {response.text}")

    def gone() -> bool:
        return all(kubesim.request("GET", f"/api/v1/namespaces/{p}")[0] == 404 for p in projects)

    await eventually(gone, timeout=300, interval=0.5, message="the namespaces of the last load deleted")


async def _deployments(user: User, count: int, tag: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for start in range(0, count, DEPLOYMENTS_PER_PROJECT):
        project = await _create(user, "projects", name=f"{tag}-{start // DEPLOYMENTS_PER_PROJECT}")
        made = await asyncio.gather(
            *(
                _create(user, "deployments", name=f"app-{n}", project=project["id"], blueprint=NGINX_BLUEPRINT)
                for n in range(start, min(count, start + DEPLOYMENTS_PER_PROJECT))
            )
        )
        found += [(project["id"], deployment["id"]) for deployment in made]
    return found


async def _manifest(user: User) -> dict[str, Any]:
    response = await user.client.get(f"/pb/blueprints/{NGINX_BLUEPRINT}")
    response.raise_for_status()
    manifest: dict[str, Any] = copy.deepcopy(response.json()["manifest"])
    manifest["spec"]["secrets"] = [{"name": "API_KEY", "value": "bench-secret"}]
    manifest["spec"]["interfaces"] = [
        {
            "name": "http",
            "port": 80,
            "ingress": {"ingressClass": "nginx", "rules": [{"host": "app.example.com", "path": "/", "tls": False}]},
        }
    ]
    return manifest


def _processes(bench: Stack) -> dict[str, list[int]]:
    """Who works on a rollout: the services (each executor replica on its own), NATS, PostgreSQL, kubesim."""
    assert bench.kubesim is not None
    assert bench.kubesim.process is not None
    executors = {process.label: [process.pid] for process in bench.replicas("k8s-executor")}
    return {**bench.server_pids(["edge", "records"]), **executors, "kubesim": [bench.kubesim.process.pid]}


async def _load(
    bench: Stack,
    platform: Platform,
    user: User,
    watch: ClusterWatch,
    clock: EventClock,
    count: int,
    *,
    concurrency: int,
    sequential: bool,
    tag: str,
) -> dict[str, Any]:
    manifest = await _manifest(user)
    targets = await _deployments(user, count, tag)
    processes = _processes(bench)
    cpu = {name: cpu_seconds(pids) for name, pids in processes.items()}
    answered: list[tuple[float, list[Key]]] = []
    ids: list[str] = []
    queue: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
    for target in targets:
        queue.put_nowait(target)

    async def client() -> None:
        while not queue.empty():
            project, deployment = queue.get_nowait()
            rollout = await _create(user, "rollouts", project=project, deployment=deployment, manifest=manifest)
            expected = _expected(manifest, user, project, deployment, rollout["id"])
            answered.append((time.monotonic(), expected))
            ids.append(rollout["id"])
            if sequential:
                await watch.wait_applied(expected)

    started = time.monotonic()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    applied = [await watch.wait_applied(expected) for _, expected in answered]
    latencies = [max(0.0, at - response) for (response, _), at in zip(answered, applied, strict=True)]
    await eventually(lambda: all(i in clock.applied for i in ids), timeout=60, message="rollout.applied events")
    cpu = {name: cpu_seconds(pids) - cpu[name] for name, pids in processes.items()}
    relay = [clock.created[i] - response for i, (response, _) in zip(ids, answered, strict=True)]
    executing = [at - clock.created[i] for i, at in zip(ids, applied, strict=True)]
    reporting = [clock.applied[i] - at for i, at in zip(ids, applied, strict=True)]
    return {
        "rollouts": len(latencies),
        "latency": spread(latencies),
        "stages_seconds": {
            "answer_to_created_event": spread(relay),
            "created_event_to_objects": spread(executing),
            "objects_to_applied_event": spread(reporting),
        },
        "cpu_seconds_by_process": cpu,
        "projects": sorted({project for project, _ in targets}),
        "seconds_total": max(applied) - started,
        "applied_per_second": len(applied) / (max(applied) - started),
    }


@contextlib.asynccontextmanager
async def _watching(bench: Stack) -> AsyncIterator[ClusterWatch]:
    assert bench.kubesim is not None
    watch = ClusterWatch(bench.kubesim)
    await watch.start()
    try:
        yield watch
    finally:
        await watch.stop()


# Quick runs of several benchmarks share one stack for this module's ``measure(bench)`` (``bench.__main__``).
SHARED = True


async def measure(bench: Stack) -> dict[str, Any]:
    burst, one_by_one = sized(200, 6), sized(50, 3)
    results = []
    platform = await bench.platform(["auth", "records", "k8s-executor"])
    clock = EventClock()
    nc = await clock.start(bench.nats_url)
    async with _watching(bench) as watch:
        user = await platform.new_user("deployer")
        for replicas in (1, 2):
            while len(bench.replicas("k8s-executor")) < replicas:
                await bench.start("k8s-executor")
            for load, count, concurrency, sequential in (
                ("one at a time", one_by_one, 1, True),
                ("burst", burst, 8, False),
            ):
                figures = await _load(
                    bench,
                    platform,
                    user,
                    watch,
                    clock,
                    count,
                    concurrency=concurrency,
                    sequential=sequential,
                    tag=f"r{replicas}-{'seq' if sequential else 'burst'}",
                )
                results.append({"executor_replicas": replicas, "load": load, **figures})
                print(f"  {replicas} executor(s), {load}: p50 {ms(figures['latency']['p50'])} ms", flush=True)
                assert bench.kubesim is not None
                await _remove_projects(user, bench.kubesim, set(figures.pop("projects")))
    await nc.close()
    return {"results": results}


async def _standalone() -> dict[str, Any]:
    async with stack("rollouts", kubesim=True) as bench:
        return await measure(bench)


def show(figures: dict[str, Any]) -> None:
    results = figures["results"]
    rows = [
        [
            r["executor_replicas"],
            r["load"],
            r["rollouts"],
            ms(r["latency"]["p50"]),
            ms(r["latency"]["p95"]),
            ms(r["latency"]["p99"]),
            ms(r["latency"]["max"]),
            f"{r['applied_per_second']:.1f}",
        ]
        for r in results
    ]
    print()
    print(table(["executors", "load", "rollouts", "p50 ms", "p95 ms", "p99 ms", "max ms", "applied/s"], rows))
    print()
    print(
        table(
            [
                "executors",
                "load",
                "answer → rollout.created in stream (p50 / p99 ms)",
                "→ objects in cluster (p50 / p99 ms)",
                "→ rollout.applied (p50 / p99 ms)",
            ],
            [
                [
                    r["executor_replicas"],
                    r["load"],
                    *(
                        f"{ms(r['stages_seconds'][stage]['p50'])} / {ms(r['stages_seconds'][stage]['p99'])}"
                        for stage in ("answer_to_created_event", "created_event_to_objects", "objects_to_applied_event")
                    ),
                ]
                for r in results
            ],
        )
    )
    names = sorted({name for r in results for name in r["cpu_seconds_by_process"]})
    print()
    print(
        table(
            ["executors", "load", "seconds", *(f"{n} CPU s" for n in names)],
            [
                [
                    r["executor_replicas"],
                    r["load"],
                    f"{r['seconds_total']:.1f}",
                    *(
                        f"{r['cpu_seconds_by_process'][n]:.1f}" if n in r["cpu_seconds_by_process"] else "-"
                        for n in names
                    ),
                ]
                for r in results
            ],
        )
    )
    by_key = {(r["executor_replicas"], r["load"]): r for r in results}
    print()
    print(
        table(
            ["load", "p50 2 vs 1 executor", "p99 2 vs 1 executor", "applied/s 2 vs 1 executor"],
            [
                [
                    load,
                    ratio(by_key[(2, load)]["latency"]["p50"], by_key[(1, load)]["latency"]["p50"]),
                    ratio(by_key[(2, load)]["latency"]["p99"], by_key[(1, load)]["latency"]["p99"]),
                    ratio(by_key[(2, load)]["applied_per_second"], by_key[(1, load)]["applied_per_second"]),
                ]
                for load in ("one at a time", "burst")
            ],
        )
    )
    if quick():
        print("(quick run: sizes too small for the percentiles to mean much)")


def main() -> None:
    figures = asyncio.run(_standalone())
    show(figures)
    report("rollouts", figures)
