"""Where the cluster comes from: a kubeconfig, the in-cluster service account, or nothing (connect gives None)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from oneclick_kube.client import Kube, KubeSettings, cluster_source

IN_CLUSTER = {"KUBERNETES_SERVICE_HOST": "10.0.0.1", "KUBERNETES_SERVICE_PORT": "443"}


def test_a_kubeconfig_wins_over_the_service_account() -> None:
    assert cluster_source(Path("/k/config"), IN_CLUSTER) == "kubeconfig"


def test_inside_a_pod_the_service_account() -> None:
    assert cluster_source(None, IN_CLUSTER) == "in-cluster"


@pytest.mark.parametrize("environ", [{}, {"KUBERNETES_SERVICE_HOST": ""}])
def test_no_cluster_at_all(environ: dict[str, str]) -> None:
    assert cluster_source(None, environ) is None


async def test_connect_without_a_cluster_gives_none_and_silences_body_logging(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    rest = logging.getLogger("kubernetes_asyncio.client.rest")
    monkeypatch.setattr(rest, "level", logging.DEBUG)
    assert await Kube.connect(KubeSettings(None)) is None
    # The client logs response bodies (Secrets, the Rollout CR) at debug level: never, whatever the log level.
    assert not rest.isEnabledFor(logging.DEBUG)


async def test_connect_from_a_kubeconfig(tmp_path: Path) -> None:
    kubeconfig = tmp_path / "config"
    kubeconfig.write_text("""
apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "http://127.0.0.1:1"}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
""")
    kube = await Kube.connect(KubeSettings(kubeconfig, timeout=1))
    assert kube is not None
    await kube.close()
