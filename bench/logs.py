"""Log streaming: lines per second to one follower, and the edge's memory while 100 clients follow one pod.

Auth, records, streaming and the edge run as processes against kubesim, whose containers write one synthetic
line every 50 ms (``--timings fast``: 20 lines/s, fixed), so a follower's steady rate is bounded by what the pod
writes; the first screenful (the last 200 lines, sent at once) shows how fast lines can go. Followers are
WebSocket clients (``/ws/k8s/logs``) in a process of their own. Besides the figures: how many log streams
kubesim was asked for while 100 clients followed — the original backend opened one per WebSocket
(``pocketbase/pkg/k8s/watch.go``: ``GetLogs(Follow: true)`` per client); here streaming shares one per container.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from bench.processes import rss_bytes
from bench.reporting import quick, report, sized, table
from bench.stack import SHORT_LINGER, Stack, stack
from bench.viewers import Viewers
from oneclick_testing.waiting import eventually
from tests.streaming.live import Cluster, project_with_deployment

LINES_PER_SECOND_WRITTEN = 20  # kubesim's fast timings: one line every 50 ms
MIB = 1 << 20


def _log_requests(bench: Stack) -> int:
    assert bench.kubesim is not None
    return int(bench.kubesim.stats()["requests"]["byResource"].get("pods/log", 0))


async def _log_followers(bench: Stack) -> float:
    """The pod logs streaming follows now (its ``oneclick_streaming_log_followers`` gauge): each is one open
    Kubernetes log stream. kubesim counts log requests, not the streams still open."""
    async with httpx.AsyncClient(timeout=5) as client:
        response = await client.get(f"{bench.replicas('streaming')[0].admin_url}/metrics")
    response.raise_for_status()
    for family in text_string_to_metric_families(response.text):
        if family.name == "oneclick_streaming_log_followers":
            return sum(sample.value for sample in family.samples)
    raise RuntimeError("streaming's /metrics has no oneclick_streaming_log_followers")


async def _follow(
    bench: Stack, url: str, token: str, project: str, pod: str, followers: int, tail: int, window: float
) -> dict[str, Any]:
    edge, streaming = bench.replicas("edge")[0], bench.replicas("streaming")[0]
    requests_before = _log_requests(bench)
    clients = Viewers()
    try:
        opened = await clients.start(
            url,
            [{"path": "/ws/k8s/logs", "token": token, "request": {"rolloutId": project, "podName": pod}}] * followers,
            count_to=tail,
        )
        if opened["failed"]:
            raise RuntimeError(f"{opened['failed']} sockets did not open: {opened['errors']}")

        async def every_tail_in() -> bool:
            return all(socket["counted"] is not None for socket in await clients.report())

        await eventually(every_tail_in, timeout=60, interval=0.1, message="the first lines")
        first = await clients.report()
        edge_rss, streaming_rss = [rss_bytes(edge.pid)], [rss_bytes(streaming.pid)]
        deadline = time.monotonic() + window
        while time.monotonic() < deadline:
            await asyncio.sleep(0.25)
            edge_rss.append(rss_bytes(edge.pid))
            streaming_rss.append(rss_bytes(streaming.pid))
        last = await clients.report()
    finally:
        await clients.close()
    elapsed = [(b["lines"] - a["lines"]) / window for a, b in zip(first, last, strict=True)]
    tails = [socket["counted"] - socket["sent"] for socket in first]
    return {
        "followers": followers,
        "tail_lines": tail,
        "tail_seconds_median": statistics.median(tails),
        "lines_per_second_per_follower_median": statistics.median(elapsed),
        "lines_per_second_per_follower_min": min(elapsed),
        "lines_per_second_total": sum(elapsed),
        "closed_early": sum(socket["close_code"] is not None for socket in last),
        "edge_rss_mib_peak": max(edge_rss) / MIB,
        "edge_rss_mib_end": edge_rss[-1] / MIB,
        "streaming_rss_mib_peak": max(streaming_rss) / MIB,
        "kubernetes_log_streams_opened": _log_requests(bench) - requests_before,
    }


# Quick runs of several benchmarks share one stack for this module's ``measure(bench)`` (``bench.__main__``).
SHARED = True


async def measure(bench: Stack) -> dict[str, Any]:
    followers, tail, window = sized(100, 5), sized(200, 20), 10.0 if not quick() else 2.0
    assert bench.kubesim is not None
    # Short lingering, so the second phase starts with no log follower left from the first.
    platform = await bench.platform(["auth", "records", "streaming"], env=SHORT_LINGER)
    cluster = Cluster(bench.kubesim)
    try:
        user = await platform.new_user("reader")
        project, deployment = await project_with_deployment(user)
        await cluster.namespace(project)
        await cluster.deployment(project, deployment)
        await eventually(lambda: cluster.running_pods(project, deployment), message="the pod running")
        pod = (await cluster.running_pods(project, deployment))[0]

        async def has_written_a_tail() -> bool:
            log = await cluster.client.get(f"/api/v1/namespaces/{project}/pods/{pod}/log")
            return log.text.count("\n") >= tail

        await eventually(has_written_a_tail, timeout=60, interval=0.2, message="the pod's first lines")
        idle = rss_bytes(bench.replicas("edge")[0].pid) / MIB
        followers_before = await _log_followers(bench)
        url = platform.url.replace("http://", "ws://")
        one = await _follow(bench, url, user.token, project, pod, 1, tail, window)

        async def follower_let_go() -> bool:  # it lingers a moment (SHORT_LINGER) after its last viewer
            return await _log_followers(bench) <= followers_before

        await eventually(follower_let_go, timeout=60, interval=0.1, message="the first phase's log follower gone")
        many = await _follow(bench, url, user.token, project, pod, followers, tail, window)
    finally:
        await cluster.close()
    return {"lines_written_per_second": LINES_PER_SECOND_WRITTEN, "edge_rss_mib_idle": idle, "one": one, "many": many}


async def _standalone() -> dict[str, Any]:
    async with stack("logs", kubesim=True) as bench:
        return await measure(bench)


def show(figures: dict[str, Any]) -> None:
    rows = []
    for phase in (figures["one"], figures["many"]):
        rows.append(
            [
                phase["followers"],
                f"{phase['tail_seconds_median'] * 1000:.0f}",
                f"{phase['lines_per_second_per_follower_median']:.1f} (min "
                f"{phase['lines_per_second_per_follower_min']:.1f})",
                f"{phase['lines_per_second_total']:.0f}",
                phase["closed_early"],
                f"{figures['edge_rss_mib_idle']:.0f} → {phase['edge_rss_mib_peak']:.0f}",
                f"{phase['streaming_rss_mib_peak']:.0f}",
                phase["kubernetes_log_streams_opened"],
                phase["followers"],
            ]
        )
    print()
    print(
        table(
            [
                "followers",
                f"last {figures['many']['tail_lines']} lines in (median ms)",
                "lines/s per follower (median)",
                "lines/s delivered",
                "closed early",
                "edge RSS MiB idle → peak",
                "streaming RSS MiB",
                "Kubernetes log streams (ours)",
                "(original design)",
            ],
            rows,
        )
    )
    print(f"\nthe pod writes {LINES_PER_SECOND_WRITTEN} lines/s (kubesim fast timings), which bounds the steady rate")


def main() -> None:
    figures = asyncio.run(_standalone())
    show(figures)
    report("logs", figures)
