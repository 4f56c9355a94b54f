"""Watch economy: Kubernetes watches kubesim has open while 1, 10, 100 and 500 viewers have a deployment's map
and its events open, next to what the original design opens for the same viewers.

The original backend (``janlauber/one-click``, ``pocketbase/pkg/k8s/watch.go``) starts, per map WebSocket, one
watch per kind it shows — CronJobs, Jobs, Pods, Services, Ingresses, ConfigMaps, Secrets, PVCs, PVs and
ServiceAccounts: 10 — and one more per events WebSocket. Here streaming opens one watch per kind per watched
namespace, whoever and however many look. Each viewer is one map socket plus one events socket (a deployment
page with its events panel); viewers look at one deployment, or are spread over 10 projects.

Runs auth, records, streaming and edge as processes against kubesim; the counts are kubesim's
``/kubesim/stats`` once the viewers have their first frames and the count is steady.
"""

from __future__ import annotations

import asyncio
from typing import Any

from bench.reporting import quick, ratio, report, table
from bench.stack import SHORT_LINGER, Stack, stack
from bench.viewers import Viewers
from kubesim.testing import KubesimProcess
from oneclick_testing.platform import Platform, User
from oneclick_testing.waiting import eventually
from tests.streaming.live import Cluster, project_with_deployment

ORIGINAL_PER_MAP = 10
ORIGINAL_PER_EVENTS = 1


def _open_watches(kubesim: KubesimProcess) -> int:
    return int(kubesim.stats()["watches"]["open"])


async def steady_watches(kubesim: KubesimProcess, *, settle: float = 1.0) -> int:
    """The open-watch count once two readings ``settle`` seconds apart agree."""
    last = _open_watches(kubesim)
    while True:
        await asyncio.sleep(settle)
        now = _open_watches(kubesim)
        if now == last:
            return now
        last = now


async def _scenario(
    platform: Platform, kubesim: KubesimProcess, user: User, targets: list[tuple[str, str]], viewers: int, baseline: int
) -> dict[str, Any]:
    sockets: list[dict[str, Any]] = []
    for index in range(viewers):
        project, deployment = targets[index % len(targets)]
        sockets.append(
            {
                "path": "/ws/k8s/rollouts",
                "token": user.token,
                "request": {"projectId": project, "deploymentId": deployment},
            }
        )
        sockets.append(
            {
                "path": "/ws/k8s/events",
                "token": user.token,
                "request": {"rolloutId": project, "kind": "Deployment", "name": deployment},
            }
        )
    clients = Viewers()
    try:
        opened = await clients.start(
            platform.url.replace("http://", "ws://"), sockets, processes=2 if len(sockets) > 200 else 1
        )
        if opened["failed"]:
            raise RuntimeError(f"{opened['failed']} sockets did not open: {opened['errors']}")
        ready = await clients.ready()
        ours = await steady_watches(kubesim) - baseline
    finally:
        await clients.close()
    await eventually(
        lambda: _open_watches(kubesim) <= baseline,
        timeout=60,
        interval=0.2,
        message="the watches of the last scenario closed",
    )
    original = viewers * (ORIGINAL_PER_MAP + ORIGINAL_PER_EVENTS)
    return {
        "viewers": viewers,
        "projects": len({p for p, _ in targets[:viewers]}),
        "map_sockets": viewers,
        "events_sockets": viewers,
        "sockets_with_frames": ready,
        "watches_ours": ours,
        "watches_original": original,
    }


# Quick runs of several benchmarks share one stack for this module's ``measure(bench)`` (``bench.__main__``).
SHARED = True


async def measure(bench: Stack) -> dict[str, Any]:
    assert bench.kubesim is not None
    counts = [1, 10] if quick() else [1, 10, 100, 500]
    platform = await bench.platform(["auth", "records", "streaming"], env=SHORT_LINGER)
    cluster = Cluster(bench.kubesim)
    try:
        user = await platform.new_user("viewer")
        targets = [await project_with_deployment(user, f"team-{n}") for n in range(10)]
        for project, deployment in targets:
            await cluster.namespace(project)
            await cluster.deployment(project, deployment)
        baseline = await steady_watches(bench.kubesim)
        results = []
        for viewers in counts:
            for spread_over in (1, 10):
                if spread_over > viewers:
                    continue
                result = await _scenario(platform, bench.kubesim, user, targets[:spread_over], viewers, baseline)
                print(
                    f"  {viewers} viewers over {spread_over} project(s): {result['watches_ours']} watches", flush=True
                )
                results.append(result)
        return {
            "original_per_map_socket": ORIGINAL_PER_MAP,
            "original_per_events_socket": ORIGINAL_PER_EVENTS,
            "scenarios": results,
        }
    finally:
        await cluster.close()


async def _standalone() -> dict[str, Any]:
    async with stack("watches", kubesim=True) as bench:
        return await measure(bench)


def show(figures: dict[str, Any]) -> None:
    results = figures["scenarios"]
    rows = [
        [
            r["viewers"],
            r["projects"],
            r["map_sockets"] + r["events_sockets"],
            r["watches_ours"],
            r["watches_original"],
            ratio(r["watches_ours"], r["watches_original"]),
        ]
        for r in results
    ]
    print(
        table(
            [
                "viewers (map + events socket)",
                "projects",
                "sockets",
                "kubesim watches (ours)",
                f"original design ({ORIGINAL_PER_MAP}/map + {ORIGINAL_PER_EVENTS}/events)",
                "ours / original",
            ],
            rows,
        )
    )


def main() -> None:
    figures = asyncio.run(_standalone())
    show(figures)
    report("watches", figures)
