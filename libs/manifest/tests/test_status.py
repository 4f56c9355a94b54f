"""Status, metrics and events views from Kubernetes objects shaped as the API returns them."""

from __future__ import annotations

from typing import Any

import pytest

from oneclick_manifest.status import events_view, metrics_view, pod_state, rollout_status


def container(
    ready: bool = True, waiting: str | None = None, terminated: tuple[str, int] | None = None, name: str = "app"
) -> dict[str, Any]:
    state: dict[str, Any] = {"running": {"startedAt": "2024-01-01T00:00:00Z"}}
    if waiting:
        state = {"waiting": {"reason": waiting, "message": "..."}}
    if terminated:
        state = {"terminated": {"reason": terminated[0], "exitCode": terminated[1]}}
    return {"name": name, "ready": ready, "restartCount": 0, "state": state}


def pod(
    name: str = "web-abc",
    phase: str | None = "Running",
    containers: list[dict[str, Any]] | None = None,
    init: list[dict[str, Any]] | None = None,
    requests: dict[str, str] | None = None,
    limits: dict[str, str] | None = None,
    conditions: list[dict[str, Any]] | None = None,
    reason: str | None = None,
    deleting: bool = False,
) -> dict[str, Any]:
    status: dict[str, Any] = {}
    if phase is not None:
        status["phase"] = phase
    if containers is not None:
        status["containerStatuses"] = containers
    if init is not None:
        status["initContainerStatuses"] = init
    if conditions is not None:
        status["conditions"] = conditions
    if reason is not None:
        status["reason"] = reason
    resources: dict[str, Any] = {}
    if requests:
        resources["requests"] = requests
    if limits:
        resources["limits"] = limits
    metadata: dict[str, Any] = {"name": name, "namespace": "p"}
    if deleting:
        metadata["deletionTimestamp"] = "2024-01-01T00:00:00Z"
    return {
        "metadata": metadata,
        "spec": {"containers": [{"name": "app", "image": "x", "resources": resources}]},
        "status": status,
    }


def deployment(
    replicas: int = 1, status_replicas: int = 1, conditions: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    return {
        "metadata": {"name": "d"},
        "spec": {"replicas": replicas},
        "status": {"replicas": status_replicas, "conditions": conditions or []},
    }


@pytest.mark.parametrize(
    ("item", "state", "reason"),
    [
        (pod(containers=[container()]), "OK", None),
        (pod(phase="Succeeded"), "OK", None),
        # Running with zero container statuses: the operator counted that as OK.
        (pod(containers=[]), "OK", None),
        (pod(phase=None), "Pending", None),
        (
            pod(phase="Pending", containers=[container(ready=False, waiting="ContainerCreating")]),
            "Pending",
            "ContainerCreating",
        ),
        (
            pod(phase="Pending", conditions=[{"type": "PodScheduled", "status": "False", "reason": "Unschedulable"}]),
            "Pending",
            "Unschedulable",
        ),
        (
            pod(phase="Pending", containers=[container(ready=False, waiting="ImagePullBackOff")]),
            "Error",
            "ImagePullBackOff",
        ),
        (pod(phase="Pending", containers=[container(ready=False, waiting="ErrImagePull")]), "Error", "ErrImagePull"),
        (
            pod(phase="Pending", containers=[container(ready=False, waiting="CreateContainerConfigError")]),
            "Error",
            "CreateContainerConfigError",
        ),
        (pod(containers=[container(ready=False, waiting="CrashLoopBackOff")]), "Error", "CrashLoopBackOff"),
        (pod(containers=[container(ready=False, terminated=("OOMKilled", 137))]), "Error", "OOMKilled"),
        (pod(containers=[container(ready=False, terminated=("Error", 1))]), "Error", "Error"),
        (
            pod(
                phase="Pending",
                containers=[container(ready=False, waiting="PodInitializing")],
                init=[container(ready=False, waiting="CrashLoopBackOff", name="migrate")],
            ),
            "Error",
            "CrashLoopBackOff",
        ),
        (pod(phase="Failed", reason="Evicted"), "Error", "Evicted"),
        (pod(phase="Failed"), "Error", "Failed"),
        (
            pod(
                containers=[container(ready=False)],
                conditions=[{"type": "Ready", "status": "False", "reason": "ContainersNotReady"}],
            ),
            "NotReady",
            "ContainersNotReady",
        ),
        (pod(containers=[container(), container(ready=False, name="sidecar")]), "NotReady", None),
        (pod(phase="Unknown", reason="NodeLost"), "NotReady", "NodeLost"),
        # A completed init container (exit 0) says nothing bad.
        (pod(containers=[container()], init=[container(ready=False, terminated=("Completed", 0))]), "OK", None),
    ],
)
def test_pod_state(item: dict[str, Any], state: str, reason: str | None) -> None:
    assert pod_state(item) == (state, reason)


@pytest.mark.parametrize(
    ("pods", "state", "reason"),
    [
        ([pod("a", containers=[container()]), pod("b", containers=[container()])], "OK", None),
        ([pod("a", containers=[container()]), pod("b", phase="Pending")], "Pending", None),
        ([pod("a", containers=[container(ready=False)]), pod("b", containers=[container()])], "NotReady", None),
        # Error wins over Pending, Pending over NotReady; the reason is the first pod's in the worst state.
        (
            [
                pod("a", phase="Pending", containers=[container(ready=False, waiting="ContainerCreating")]),
                pod("b", containers=[container(ready=False, waiting="CrashLoopBackOff")]),
                pod("c", containers=[container(ready=False, waiting="ImagePullBackOff")]),
            ],
            "Error",
            "CrashLoopBackOff",
        ),
        ([pod("a", containers=[container(ready=False)]), pod("b", phase="Pending")], "Pending", None),
        # A terminating pod of the previous ReplicaSet does not count.
        (
            [
                pod("old", containers=[container(ready=False, waiting="CrashLoopBackOff")], deleting=True),
                pod("new", containers=[container()]),
            ],
            "OK",
            None,
        ),
        # No pods yet while replicas are wanted: still coming up.
        ([], "Pending", None),
    ],
)
def test_deployment_state_is_the_worst_pod_state(pods: list[dict[str, Any]], state: str, reason: str | None) -> None:
    status = rollout_status(deployment(), pods).deployment
    assert (status.status, status.reason) == (state, reason)


def test_scaled_to_zero_without_pods_is_ok() -> None:
    assert rollout_status(deployment(replicas=0, status_replicas=0), []).deployment.status == "OK"


def test_missing_deployment_is_pending() -> None:
    status = rollout_status(None, [])
    assert status.deployment.status == "Pending"
    assert status.deployment.replicas == 0


@pytest.mark.parametrize(
    ("condition", "reason"),
    [
        ({"type": "ReplicaFailure", "status": "True", "reason": "FailedCreate"}, "FailedCreate"),
        ({"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded"}, "ProgressDeadlineExceeded"),
    ],
)
def test_deployment_conditions_that_mean_error(condition: dict[str, Any], reason: str) -> None:
    status = rollout_status(deployment(conditions=[condition]), []).deployment
    assert (status.status, status.reason) == ("Error", reason)


def test_full_status_in_one_clicks_shape() -> None:
    pods = [
        pod(
            "web-1",
            containers=[container()],
            requests={"cpu": "100m", "memory": "256Mi"},
            limits={"cpu": "500m", "memory": "512Mi"},
        ),
        pod(
            "web-2",
            containers=[container()],
            requests={"cpu": "100m", "memory": "256Mi"},
            limits={"cpu": "500m", "memory": "512Mi"},
        ),
    ]
    services = [{"metadata": {"name": "http-d-svc"}, "spec": {"ports": [{"name": "http", "port": 80}]}}]
    ingresses = [
        {
            "metadata": {"name": "http-d-ingress"},
            "spec": {"rules": [{"host": "a.example.com"}, {"host": ""}]},
            "status": {"loadBalancer": {"ingress": [{"ip": "10.0.0.1"}]}},
        },
        {"metadata": {"name": "new-d-ingress"}, "spec": {"rules": [{"host": "b.example.com"}]}, "status": {}},
        {"metadata": {"name": "hostless-d-ingress"}, "spec": {"rules": [{"http": {}}]}},
    ]
    claims = [
        {"metadata": {"name": "data-d"}, "status": {"phase": "Bound"}},
        {"metadata": {"name": "cache-d"}, "status": {"phase": "Pending"}},
        {"metadata": {"name": "odd-d"}, "status": {}},
    ]
    status = rollout_status(deployment(replicas=2, status_replicas=2), pods, services, ingresses, claims)
    assert status.to_json() == {
        "deployment": {
            "replicas": 2,
            "podNames": ["web-1", "web-2"],
            "resources": {
                "requestSum": {"cpu": "0.200", "memory": "536870912"},
                "limitSum": {"cpu": "1.000", "memory": "1073741824"},
            },
            "status": "OK",
        },
        "services": [{"name": "http-d-svc", "ports": [80], "status": "OK"}],
        "ingresses": [
            {"name": "http-d-ingress", "hosts": ["a.example.com"], "status": "Operational"},
            {"name": "new-d-ingress", "hosts": ["b.example.com"], "status": "Pending"},
        ],
        "volumes": [
            {"name": "data-d", "status": "Bound"},
            {"name": "cache-d", "status": "Pending"},
            {"name": "odd-d", "status": "Unknown"},
        ],
    }


def test_empty_lists_are_left_out_as_go_omitempty_did() -> None:
    status = rollout_status(deployment(), [pod(containers=[container(ready=False, waiting="ImagePullBackOff")])])
    assert status.to_json() == {
        "deployment": {
            "replicas": 1,
            "podNames": ["web-abc"],
            "resources": {"requestSum": {"cpu": "0", "memory": "0"}, "limitSum": {"cpu": "0", "memory": "0"}},
            "status": "Error",
            "reason": "ImagePullBackOff",
        }
    }


def test_metrics_view_in_cores_and_bytes() -> None:
    pod_metrics = [
        {
            "metadata": {"name": "web-2"},
            "containers": [{"name": "app", "usage": {"cpu": "1234567n", "memory": "12345Ki"}}],
        },
        {
            "metadata": {"name": "web-1"},
            "containers": [
                {"name": "app", "usage": {"cpu": "250m", "memory": "100Mi"}},
                {"name": "sidecar", "usage": {"cpu": "5m", "memory": "10Mi"}},
            ],
        },
        {"metadata": {"name": "web-3"}, "containers": []},
    ]
    assert metrics_view(pod_metrics).to_json() == {
        "metrics": [
            {"name": "web-1", "cpu": "0.255", "memory": "115343360"},
            {"name": "web-2", "cpu": "0.001234567", "memory": "12641280"},
            {"name": "web-3", "cpu": "0", "memory": "0"},
        ]
    }


def test_metrics_view_of_nothing_is_an_empty_list_not_null() -> None:
    assert metrics_view([]).to_json() == {"metrics": []}


def test_events_view_keeps_order_and_maps_type_to_typus() -> None:
    events = [
        {
            "reason": "Scheduled",
            "message": "Successfully assigned p/web-1 to node-1",
            "type": "Normal",
            "involvedObject": {"kind": "Pod", "name": "web-1"},
        },
        {"reason": "BackOff", "message": "Back-off pulling image", "type": "Warning"},
        {"reason": "ScalingReplicaSet", "note": "Scaled up replica set web-1 to 1", "type": "Normal"},
        {},
    ]
    assert events_view(events).to_json() == {
        "events": [
            {"reason": "Scheduled", "message": "Successfully assigned p/web-1 to node-1", "typus": "Normal"},
            {"reason": "BackOff", "message": "Back-off pulling image", "typus": "Warning"},
            {"reason": "ScalingReplicaSet", "message": "Scaled up replica set web-1 to 1", "typus": "Normal"},
            {"reason": "", "message": "", "typus": ""},
        ]
    }
    assert events_view([]).to_json() == {"events": []}
