"""Two viewers of one pod's log share one log stream of the Kubernetes API, and both get every line.

A module of its own: its kubesim counts only this test's log requests."""

from __future__ import annotations

import asyncio

import httpx
from prometheus_client.parser import text_string_to_metric_families

from kubesim.testing import KubesimProcess
from oneclick_core.contracts.streaming import LIVE_KINDS
from oneclick_testing.platform import Platform
from oneclick_testing.waiting import eventually

from .live import Cluster, LiveSocket, project_with_deployment

NEW_LINES = 10  # lines both viewers must receive after the second one joined


def _log_requests(kubesim: KubesimProcess) -> int:
    """Log requests kubesim has answered (a follow is one request for as long as it lasts), as bench/logs.py."""
    return int(kubesim.stats()["requests"]["byResource"].get("pods/log", 0))


async def _gauges(platform: Platform) -> dict[str, float]:
    """streaming's gauges, scraped from its admin port."""
    process = next(p for p in platform.services.processes if p.name == "streaming")
    async with httpx.AsyncClient(timeout=5.0) as http:
        text = (await http.get(f"{process.admin_url}/metrics")).text
    names = {"oneclick_streaming_namespaces", "oneclick_streaming_watches", "oneclick_streaming_log_followers"}
    return {
        family.name: family.samples[0].value for family in text_string_to_metric_families(text) if family.name in names
    }


def _contiguous(lines: list[str], full: list[str]) -> bool:
    """``lines`` is a run of ``full`` with nothing missing, repeated or reordered."""
    if not lines or lines[0] not in full:
        return False
    start = full.index(lines[0])
    return full[start : start + len(lines)] == lines


async def test_two_viewers_of_one_pod_share_one_log_stream_and_both_get_every_line(
    platform: Platform, cluster: Cluster, kubesim: KubesimProcess
) -> None:
    alice = await platform.new_user("alice")
    project, deployment = await project_with_deployment(alice)
    await cluster.namespace(project)
    await cluster.deployment(project, deployment, replicas=1)
    await eventually(lambda: cluster.running_pods(project, deployment), message="pod running")
    pod = (await cluster.running_pods(project, deployment))[0]
    before = _log_requests(kubesim)

    first = await LiveSocket.open(platform, "/ws/k8s/logs", {"rolloutId": project, "podName": pod}, token=alice.token)
    await eventually(lambda: "Starting nginx:1.25" in first.text, message="the first viewer's tail")
    second = await LiveSocket.open(platform, "/ws/k8s/logs", {"rolloutId": project, "podName": pod}, token=alice.token)
    await eventually(lambda: bool(second.frames), message="the second viewer's tail")
    joined = len(first.text.splitlines())
    second_joined = len(second.text.splitlines())
    await eventually(
        lambda: (
            len(first.text.splitlines()) >= joined + NEW_LINES
            and len(second.text.splitlines()) >= second_joined + NEW_LINES
        ),
        message="new lines for both viewers",
    )
    # One follow for both viewers (no second stream, no separate tail request for the one who came later).
    assert _log_requests(kubesim) - before == 1
    # streaming's gauges say the same: one namespace, its watches, one pod log followed for two viewers.
    assert await _gauges(platform) == {
        "oneclick_streaming_namespaces": 1,
        "oneclick_streaming_watches": len(LIVE_KINDS),
        "oneclick_streaming_log_followers": 1,
    }
    await asyncio.gather(first.close(), second.close())

    # What the pod wrote, straight from kubesim: each viewer's lines are an unbroken run of it.
    response = await cluster.client.get(f"/api/v1/namespaces/{project}/pods/{pod}/log")
    assert response.status_code == 200
    full = response.text.splitlines()
    first_lines, second_lines = first.text.splitlines(), second.text.splitlines()
    assert first_lines[0].startswith("Starting nginx:1.25")
    assert _contiguous(first_lines, full), "the first viewer missed, repeated or reordered a line"
    assert _contiguous(second_lines, full), "the second viewer missed, repeated or reordered a line"
    # From the moment both were there, they got the same lines.
    overlap_start = first_lines.index(second_lines[0])
    shared = first_lines[overlap_start:]
    common = min(len(shared), len(second_lines))
    assert common >= NEW_LINES
    assert shared[:common] == second_lines[:common]
