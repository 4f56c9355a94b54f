"""WebSocket fan-out: 1,000 viewers of one deployment's map, time from a pod change to its arrival at each.

Auth, records, streaming and the edge run as processes against kubesim; the viewers are WebSocket clients in
two processes of their own (``bench/viewers.py``). Each change is an annotation ``bench/seq=N`` patched onto the
deployment's running pod in kubesim; the clock starts just before the PATCH is sent, and each viewer notes when
the pod's MODIFIED frame carrying N arrives (``time.monotonic()``, one clock for every process of the
machine). The next change is made once every viewer has the last one.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

from bench.reporting import ms, quick, ratio, report, sized, spread, table
from bench.stack import Stack, stack
from bench.viewers import Viewers
from bench.watches import ORIGINAL_PER_MAP, steady_watches
from oneclick_testing.waiting import eventually
from tests.streaming.live import Cluster, project_with_deployment

MARKER = "bench/seq"


async def _all_seen(clients: Viewers, value: str, viewers: int) -> bool:
    return await clients.seen(value) >= viewers


# Quick runs of several benchmarks share one stack for this module's ``measure(bench)`` (``bench.__main__``).
SHARED = True


async def measure(bench: Stack) -> dict[str, Any]:
    viewers, changes = sized(1000, 20), sized(20, 3)
    assert bench.kubesim is not None
    platform = await bench.platform(["auth", "records", "streaming"])
    cluster = Cluster(bench.kubesim)
    clients = Viewers()
    try:
        user = await platform.new_user("viewer")
        project, deployment = await project_with_deployment(user)
        await cluster.namespace(project)
        await cluster.deployment(project, deployment)
        await eventually(lambda: cluster.running_pods(project, deployment), message="the pod running")
        pods = await cluster.running_pods(project, deployment)
        sockets = [
            {
                "path": "/ws/k8s/rollouts",
                "token": user.token,
                "request": {"projectId": project, "deploymentId": deployment},
            }
        ] * viewers
        opened = await clients.start(platform.url.replace("http://", "ws://"), sockets, marker=MARKER, processes=2)
        if opened["failed"]:
            raise RuntimeError(f"{opened['failed']} sockets did not open: {opened['errors']}")
        print(f"  {opened['opened']} viewers connected, {await clients.ready()} have the map", flush=True)
        # What the Kubernetes API carries for all of them; the original opened its own watches per socket.
        kube_watches = await steady_watches(bench.kubesim)
        sent: dict[str, float] = {}
        for n in range(changes):
            value = str(n)
            sent[value] = time.monotonic()
            await cluster.request(
                "PATCH",
                f"/api/v1/namespaces/{project}/pods/{pods[0]}",
                {"metadata": {"annotations": {MARKER: value}}},
                patch=True,
            )
            # A viewer that never gets the change counts as not delivered.
            with contextlib.suppress(AssertionError):
                await eventually(lambda v=value: _all_seen(clients, v, viewers), timeout=60, interval=0.05)
        received = await clients.report()
    finally:
        await clients.close()
        await cluster.close()
    latencies = [
        socket["seen"][value] - at for value, at in sent.items() for socket in received if value in socket["seen"]
    ]
    last = [max(socket["seen"].get(value, at) for socket in received) - at for value, at in sent.items()]
    return {
        "viewers": viewers,
        "changes": changes,
        "delivered": len(latencies),
        "expected": viewers * changes,
        "latency": spread(latencies),
        "until_every_viewer": spread(last),
        "kube_watches": kube_watches,
        "original_design_kube_watches": viewers * ORIGINAL_PER_MAP,
    }


async def _standalone() -> dict[str, Any]:
    async with stack("fanout", kubesim=True) as bench:
        return await measure(bench)


def show(figures: dict[str, Any]) -> None:
    latency, last = figures["latency"], figures["until_every_viewer"]
    print()
    print(
        table(
            [
                "viewers",
                "changes",
                "frames delivered / expected",
                "p50 ms",
                "p95 ms",
                "p99 ms",
                "max ms",
                "until the last viewer, p50 ms",
            ],
            [
                [
                    figures["viewers"],
                    figures["changes"],
                    f"{figures['delivered']} / {figures['expected']}",
                    ms(latency["p50"]),
                    ms(latency["p95"]),
                    ms(latency["p99"]),
                    ms(latency["max"]),
                    ms(last["p50"]),
                ]
            ],
        )
    )
    print(
        table(
            [
                "Kubernetes watches while they view",
                "ours",
                f"original design ({ORIGINAL_PER_MAP} per map socket)",
                "ours / original",
            ],
            [
                [
                    "",
                    figures["kube_watches"],
                    figures["original_design_kube_watches"],
                    ratio(figures["kube_watches"], figures["original_design_kube_watches"]),
                ]
            ],
        )
    )
    if quick():
        print("(quick run: sizes too small for the percentiles to mean much)")


def main() -> None:
    figures = asyncio.run(_standalone())
    show(figures)
    report("fanout", figures)
