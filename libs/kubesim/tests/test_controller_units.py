"""The pure parts of the controllers: int-or-percent values, back-offs, HPA arithmetic, pod phases, endpoints,
owner keys and condition times."""

from __future__ import annotations

import pytest

from kubesim.controllers.hpa import desired_replicas
from kubesim.controllers.kubelet.runs import ContainerRun, PodRun
from kubesim.controllers.kubelet.status import phase
from kubesim.controllers.objects import owner_keys, transition_time
from kubesim.controllers.services import endpoints_of
from kubesim.intstr import scaled_value
from kubesim.store import Change
from kubesim.timings import FAST


def test_int_or_percent_values_scale_like_kubernetes() -> None:
    assert scaled_value("25%", 10, round_up=True) == 3
    assert scaled_value("25%", 10, round_up=False) == 2
    assert scaled_value(4, 10, round_up=False) == 4
    assert scaled_value("7", 10, round_up=True) == 7
    with pytest.raises(ValueError, match="invalid literal"):
        scaled_value("lots", 10, round_up=True)


def test_backoff_doubles_up_to_its_cap() -> None:
    assert [FAST.backoff(n) for n in (1, 2, 3, 4, 100)] == [0.2, 0.4, 0.8, 1.0, 1.0]


def test_hpa_keeps_the_largest_proposal_within_bounds() -> None:
    assert desired_replicas(2, 1, 10, [(4, "cpu"), (3, "memory")]) == (4, "cpu", False)
    assert desired_replicas(2, 1, 3, [(8, "cpu")]) == (3, "cpu", True)
    assert desired_replicas(1, 2, 5, []) == (2, "Current number of replicas below Spec.MinReplicas", False)
    # A target scaled to zero by hand is left alone.
    assert desired_replicas(0, 1, 5, [(4, "cpu")])[0] == 0


def _run(*states: tuple[str, str, int]) -> PodRun:
    run = PodRun(uid="u")
    for index, (state, step, code) in enumerate(states):
        run.containers.append(
            ContainerRun(f"c{index}", "img", False, restart=False, state=state, step=step, exit_code=code)
        )
    return run


def test_pod_phase_follows_containers_and_restart_policy() -> None:
    assert phase("Always", _run(("waiting", "pull", 0))) == "Pending"
    assert phase("Always", _run(("running", "running", 0), ("waiting", "pull", 0))) == "Pending"
    assert phase("Never", _run(("terminated", "done", 0), ("terminated", "done", 0))) == "Succeeded"
    assert phase("Never", _run(("terminated", "done", 0), ("terminated", "done", 1))) == "Failed"
    assert phase("Always", _run(("terminated", "exited", 1))) == "Running"


def _pod(name: str, ip: str, ready: bool) -> dict[str, object]:
    return {
        "metadata": {"name": name, "uid": f"uid-{name}", "labels": {"app": "web"}},
        "spec": {"nodeName": "node", "containers": [{"name": "c", "ports": [{"name": "http", "containerPort": 8080}]}]},
        "status": {"podIP": ip, "conditions": [{"type": "Ready", "status": str(ready)}]},
    }


def test_endpoints_resolve_named_ports_and_split_ready_pods() -> None:
    svc = {
        "metadata": {"name": "web", "namespace": "ns"},
        "spec": {"selector": {"app": "web"}, "ports": [{"name": "http", "port": 80, "targetPort": "http"}]},
    }
    body = endpoints_of(svc, [_pod("b", "10.0.0.2", False), _pod("a", "10.0.0.9", True), _pod("c", "10.0.0.1", True)])
    [subset] = body["subsets"]
    assert [a["ip"] for a in subset["addresses"]] == ["10.0.0.1", "10.0.0.9"]
    assert [a["ip"] for a in subset["notReadyAddresses"]] == ["10.0.0.2"]
    assert subset["ports"] == [{"port": 8080, "protocol": "TCP", "name": "http"}]
    assert "subsets" not in endpoints_of(svc, [])


def test_owner_keys_name_the_controlling_owner_before_and_after() -> None:
    def pod(owner: str) -> dict[str, object]:
        return {
            "metadata": {
                "name": "p",
                "namespace": "ns",
                "ownerReferences": [{"kind": "ReplicaSet", "name": owner, "controller": True}],
            }
        }

    change = Change("MODIFIED", "/pods", 2, pod("new"), pod("old"))
    assert owner_keys(change, "ReplicaSet") == ["ns/new"]
    assert owner_keys(change, "ReplicaSet", old_too=True) == ["ns/new", "ns/old"]
    assert owner_keys(change, "Job") == []


def test_condition_times_move_only_when_the_status_changes() -> None:
    previous = {"Ready": {"type": "Ready", "status": "True", "lastTransitionTime": "then"}}
    assert transition_time(previous, "Ready", "True", "now") == "then"
    assert transition_time(previous, "Ready", "False", "now") == "now"
    assert transition_time(previous, "Other", "True", "now") == "now"
