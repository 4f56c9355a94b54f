"""The informer against kubesim over HTTP: list then watch, resume from its resourceVersion after a broken
connection (no re-list), bookmarks moving it forward, and a re-list that reports the difference after 410 Gone."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from kubesim.testing import KubesimProcess
from oneclick_core.contracts.streaming import KINDS_BY_NAME, ChangeType, LiveKind
from oneclick_kube.client import JsonObject, Kube, KubeSettings, Timeout
from oneclick_kube.errors import KubeError
from oneclick_streaming.informer import Informer
from oneclick_testing.waiting import eventually

CONFIGMAPS = KINDS_BY_NAME["configmap"]
HISTORY = 5
ROOT_CA = "kube-root-ca.crt"


@pytest.fixture(scope="module")
def kubesim() -> Iterator[KubesimProcess]:
    with KubesimProcess(timings="fast", watch_history=HISTORY) as process:
        yield process


@pytest.fixture
async def kube(kubesim: KubesimProcess) -> AsyncIterator[Kube]:
    api = await Kube.connect(KubeSettings(kubesim.kubeconfig))
    assert api is not None
    yield api
    await api.close()


class Recorder:
    def __init__(self) -> None:
        self.changes: list[tuple[ChangeType, str]] = []

    async def __call__(self, kind: LiveKind, change: ChangeType, obj: dict[str, Any]) -> None:
        if obj["metadata"]["name"] != ROOT_CA:  # every namespace has it
            self.changes.append((change, obj["metadata"]["name"]))


def _configmap(kubesim: KubesimProcess, namespace: str, name: str) -> None:
    code, body = kubesim.request(
        "POST", f"/api/v1/namespaces/{namespace}/configmaps", {"metadata": {"name": name}, "data": {"k": "v"}}
    )
    assert code == 201, body


def _lists(kubesim: KubesimProcess) -> int:
    return int(kubesim.stats()["requests"]["byVerbAndResource"].get("list", {}).get("configmaps", 0))


async def _stop(task: asyncio.Task[None]) -> None:
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def test_resume_after_a_broken_watch_and_relist_after_410(kubesim: KubesimProcess, kube: Kube) -> None:
    namespace = "informer-a"
    kubesim.request("POST", "/api/v1/namespaces", {"metadata": {"name": namespace}})
    _configmap(kubesim, namespace, "first")
    recorder = Recorder()
    informer = Informer(kube, CONFIGMAPS, namespace, recorder, watch_timeout=300)
    task = asyncio.create_task(informer.run())
    await asyncio.wait_for(informer.synced.wait(), timeout=10)
    assert recorder.changes == [("ADDED", "first")]
    _configmap(kubesim, namespace, "second")
    await eventually(lambda: ("ADDED", "second") in recorder.changes, message="a change through the watch")

    # The connection breaks; a few changes happen meanwhile (fewer than the server keeps).
    await _stop(task)
    lists = _lists(kubesim)
    code, _ = kubesim.request("DELETE", f"/api/v1/namespaces/{namespace}/configmaps/first")
    assert code == 200
    _configmap(kubesim, namespace, "third")
    task = asyncio.create_task(informer.run())
    await eventually(
        lambda: recorder.changes[-2:] == [("DELETED", "first"), ("ADDED", "third")],
        message="the changes missed while disconnected, from the watch",
    )
    assert _lists(kubesim) == lists  # resumed from its resourceVersion: no re-list
    assert set(informer.cache) == {ROOT_CA, "second", "third"}

    # Broken again, and now more changes than the server's history: the old version is Gone.
    await _stop(task)
    for index in range(HISTORY + 3):
        _configmap(kubesim, namespace, f"burst-{index}")
    kubesim.request("DELETE", f"/api/v1/namespaces/{namespace}/configmaps/second")
    seen = len(recorder.changes)
    task = asyncio.create_task(informer.run())
    expected = {("ADDED", f"burst-{index}") for index in range(HISTORY + 3)} | {("DELETED", "second")}
    await eventually(lambda: expected <= set(recorder.changes[seen:]), message="the difference after a re-list")
    assert _lists(kubesim) == lists + 1
    assert len(recorder.changes) == seen + len(expected)  # nothing told twice
    assert set(informer.cache) == {ROOT_CA, "third"} | {f"burst-{index}" for index in range(HISTORY + 3)}
    await _stop(task)


async def test_bookmarks_move_the_resource_version_without_changes(kubesim: KubesimProcess, kube: Kube) -> None:
    namespace = "informer-b"
    kubesim.request("POST", "/api/v1/namespaces", {"metadata": {"name": namespace}})
    recorder = Recorder()
    informer = Informer(kube, CONFIGMAPS, namespace, recorder, watch_timeout=300)
    task = asyncio.create_task(informer.run())
    await asyncio.wait_for(informer.synced.wait(), timeout=10)
    start = int(informer._resource_version or 0)
    kubesim.request("POST", "/api/v1/namespaces", {"metadata": {"name": "informer-elsewhere"}})  # raises the RV
    await eventually(lambda: int(informer._resource_version or 0) > start, message="a bookmark")
    assert recorder.changes == []
    await _stop(task)


class RefusingWatches:
    """The Kubernetes API as an informer sees it, answering the first watch with an HTTP 410 status (as API
    servers without a watch cache do) instead of kubesim's ERROR event inside the stream."""

    def __init__(self, kube: Kube) -> None:
        self.kube = kube
        self.lists = 0
        self.refused = 0

    async def list_with_version(
        self, path: str, *, metadata_only: bool, timeout: Timeout
    ) -> tuple[list[JsonObject], str]:
        self.lists += 1
        return await self.kube.list_with_version(path, metadata_only=metadata_only, timeout=timeout)

    async def watch(
        self, path: str, resource_version: str, *, timeout_seconds: int, metadata_only: bool
    ) -> AsyncIterator[tuple[str, JsonObject]]:
        if not self.refused:
            self.refused += 1
            raise KubeError.from_response(410, b'{"kind":"Status","reason":"Expired","code":410,"message":"too old"}')
        async for event in self.kube.watch(
            path, resource_version, timeout_seconds=timeout_seconds, metadata_only=metadata_only
        ):
            yield event


async def test_an_http_410_on_the_watch_request_relists(kubesim: KubesimProcess, kube: Kube) -> None:
    namespace = "informer-c"
    kubesim.request("POST", "/api/v1/namespaces", {"metadata": {"name": namespace}})
    _configmap(kubesim, namespace, "before")
    api = RefusingWatches(kube)
    recorder = Recorder()
    relists: list[None] = []
    informer = Informer(
        api,
        CONFIGMAPS,
        namespace,
        recorder,
        watch_timeout=300,  # type: ignore[arg-type]
        relisted=lambda: relists.append(None),
    )
    task = asyncio.create_task(informer.run())
    await asyncio.wait_for(informer.synced.wait(), timeout=10)
    await eventually(lambda: api.lists == 2, message="a re-list after the watch was refused with 410")
    assert len(relists) == 1
    _configmap(kubesim, namespace, "after")
    await eventually(lambda: ("ADDED", "after") in recorder.changes, message="changes through the new watch")
    assert recorder.changes == [("ADDED", "before"), ("ADDED", "after")]  # the re-list told nothing twice
    await _stop(task)
