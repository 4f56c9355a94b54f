"""REST paths of kinds: the core group under /api, the others under /apis, namespaced or cluster-wide."""

from __future__ import annotations

from typing import Any

import pytest

from oneclick_core.kinds import (
    DEPLOYMENT,
    HORIZONTAL_POD_AUTOSCALER,
    NAMESPACE,
    POD,
    POD_METRICS,
    STORAGE_CLASS,
    ObjectType,
)
from oneclick_kube.paths import resource_path


@pytest.mark.parametrize(
    ("args", "path"),
    [
        ((NAMESPACE, None, "p"), "/api/v1/namespaces/p"),
        ((POD, "p"), "/api/v1/namespaces/p/pods"),
        ((DEPLOYMENT, "p", "d"), "/apis/apps/v1/namespaces/p/deployments/d"),
        ((STORAGE_CLASS,), "/apis/storage.k8s.io/v1/storageclasses"),
        ((POD_METRICS, "p"), "/apis/metrics.k8s.io/v1beta1/namespaces/p/pods"),
        ((POD, "p", "web-1", "log"), "/api/v1/namespaces/p/pods/web-1/log"),
    ],
)
def test_resource_paths(args: tuple[Any, ...], path: str) -> None:
    assert resource_path(*args) == path


@pytest.mark.parametrize(
    ("kind", "group"),
    [
        (POD, ""),
        (DEPLOYMENT, "apps"),
        (HORIZONTAL_POD_AUTOSCALER, "autoscaling"),
        (POD_METRICS, "metrics.k8s.io"),
    ],
)
def test_the_group_is_what_rbac_names(kind: ObjectType, group: str) -> None:
    assert kind.group == group
