"""The admission plugins' pure parts: quantities printed like Kubernetes, quota usage and messages, LimitRange
defaults and limits, Pod Security namespace policies, NetworkPolicy validation."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kubesim import limit_ranger, network_policy, pod_security, quota
from kubesim.quantity import Quantity, quantity
from kubesim.store import Change

JSON = dict[str, Any]


@pytest.mark.parametrize(
    ("text", "printed"),
    [
        ("1500m", "1500m"),
        ("1000m", "1"),
        ("0.5", "500m"),
        ("2", "2"),
        ("10", "10"),
        ("1024Mi", "1Gi"),
        ("1536Mi", "1536Mi"),
        ("1.5Gi", "1536Mi"),
        ("512Mi", "512Mi"),
        ("1000Ki", "1000Ki"),
        ("1e3", "1e3"),
        ("1.5e3", "1500"),
        ("1000000", "1M"),
        ("1500000", "1500k"),
        ("500M", "500M"),
        ("0.1m", "100u"),
        ("100u", "100u"),
        ("1n", "1n"),
        ("0", "0"),
        ("-1", "-1"),
        (3, "3"),
        (0.25, "250m"),
        ("100", "100"),
    ],
)
def test_quantities_print_like_kubernetes(text: Any, printed: str) -> None:
    assert str(quantity(text)) == printed


def test_sums_keep_the_first_operands_notation() -> None:
    assert str(quantity("512Mi") + quantity("512Mi")) == "1Gi"
    assert str(quantity("250m") + quantity("250m") + quantity("500m")) == "1"
    assert str(quantity("0") + quantity("128Mi")) == "128Mi"


def pod(name: str, *containers: JSON, phase: str = "Pending", **spec: Any) -> JSON:
    return {
        "metadata": {"name": name, "namespace": "ns"},
        "spec": {"containers": list(containers), **spec},
        "status": {"phase": phase},
    }


def container(name: str, requests: JSON | None = None, limits: JSON | None = None) -> JSON:
    resources: JSON = {}
    if requests:
        resources["requests"] = requests
    if limits:
        resources["limits"] = limits
    return {"name": name, "image": "x", "resources": resources}


def resource_quota(name: str, hard: JSON, **spec: Any) -> JSON:
    return {"metadata": {"name": name, "namespace": "ns"}, "spec": {"hard": hard, **spec}}


def tracked(*pods: JSON) -> quota.QuotaUsage:
    usage = quota.QuotaUsage()
    for p in pods:
        usage.observe(Change("ADDED", quota.PODS, 1, p, None))
    return usage


def test_pod_usage_counts_sidecars_init_containers_and_overhead() -> None:
    spec_pod = pod(
        "p",
        container("a", {"cpu": "500m", "memory": "128Mi"}, {"cpu": "1"}),
        container("b", {"cpu": "250m"}),
        initContainers=[
            {"name": "init", "image": "x", "resources": {"requests": {"cpu": "2"}}},
            {"name": "side", "image": "x", "restartPolicy": "Always", "resources": {"requests": {"cpu": "100m"}}},
        ],
        overhead={"cpu": "10m"},
    )
    usage = quota.pod_usage(spec_pod)
    # max(500m + 250m + 100m sidecar, 2 init) + 10m overhead
    assert str(usage["requests.cpu"]) == "2010m"
    assert str(usage["requests.memory"]) == "128Mi"
    assert str(usage["limits.cpu"]) == "1010m"
    assert str(usage["pods"]) == "1"
    finished = quota.pod_usage(pod("done", container("a", {"cpu": "1"}), phase="Succeeded"))
    assert set(finished) == {"count/pods"}


def test_quota_messages() -> None:
    used = tracked(pod("a", container("c", {"cpu": "600m"}, {"cpu": "600m"})))
    quotas = [resource_quota("compute", {"pods": "2", "requests.cpu": "1", "limits.cpu": "1"})]
    new = pod("b", container("app", {"cpu": "500m"}, {"cpu": "500m"}))
    assert quota.check(quota.PODS, new, None, quotas, used) == (
        "exceeded quota: compute, requested: limits.cpu=500m,requests.cpu=500m, used: limits.cpu=600m,"
        "requests.cpu=600m, limited: limits.cpu=1,requests.cpu=1"
    )
    bare = pod("c", container("app"), container("sidecar", {"cpu": "100m"}))
    assert quota.check(quota.PODS, bare, None, quotas, used) == (
        "failed quota: compute: must specify limits.cpu for: app,sidecar; requests.cpu for: app"
    )
    small = pod("d", container("app", {"cpu": "100m"}, {"cpu": "100m"}))
    assert quota.check(quota.PODS, small, None, quotas, used) is None


def test_scoped_quota_counts_only_its_pods() -> None:
    used = tracked(pod("a", container("c")), pod("b", container("c", {"cpu": "1"})))
    best_effort = resource_quota("be", {"pods": "1"}, scopes=["BestEffort"])
    assert str(used.used(best_effort, ["pods"])["pods"]) == "1"
    assert quota.check(quota.PODS, pod("c", container("c")), None, [best_effort], used) == (
        "exceeded quota: be, requested: pods=1, used: pods=1, limited: pods=1"
    )
    # A pod outside the scope is not this quota's business.
    assert quota.check(quota.PODS, pod("d", container("c", {"memory": "1Gi"})), None, [best_effort], used) is None


def test_usage_follows_writes() -> None:
    usage = quota.QuotaUsage()
    running = pod("a", container("c", {"cpu": "1"}))
    usage.observe(Change("ADDED", quota.PODS, 1, running, None))
    q = resource_quota("q", {"requests.cpu": "4", "pods": "10", "count/configmaps": "5"})
    assert quota.status_of(q, usage)["used"] == {"count/configmaps": "0", "pods": "1", "requests.cpu": "1"}
    done = {**running, "status": {"phase": "Succeeded"}}
    usage.observe(Change("MODIFIED", quota.PODS, 2, done, running))
    assert quota.status_of(q, usage)["used"]["requests.cpu"] == "0"
    usage.observe(Change("ADDED", "/configmaps", 3, {"metadata": {"name": "c", "namespace": "ns"}}, None))
    assert quota.status_of(q, usage)["used"]["count/configmaps"] == "1"
    usage.observe(Change("DELETED", quota.PODS, 4, done, done))
    assert quota.status_of(q, usage)["used"]["pods"] == "0"


def test_claims_and_services_usage() -> None:
    claim = {
        "metadata": {"name": "c", "namespace": "ns"},
        "spec": {"storageClassName": "standard", "resources": {"requests": {"storage": "5Gi"}}},
    }
    usage = quota.claim_usage(claim)
    assert {k: str(v) for k, v in usage.items()} == {
        "count/persistentvolumeclaims": "1",
        "persistentvolumeclaims": "1",
        "requests.storage": "5Gi",
        "standard.storageclass.storage.k8s.io/persistentvolumeclaims": "1",
        "standard.storageclass.storage.k8s.io/requests.storage": "5Gi",
    }
    grown = {**claim, "spec": {**claim["spec"], "resources": {"requests": {"storage": "8Gi"}}}}
    tracker = quota.QuotaUsage()
    tracker.observe(Change("ADDED", quota.CLAIMS, 1, claim, None))
    quotas = [resource_quota("storage", {"requests.storage": "10Gi"})]
    assert quota.check(quota.CLAIMS, grown, claim, quotas, tracker) is None
    huge = {**claim, "spec": {**claim["spec"], "resources": {"requests": {"storage": "12Gi"}}}}
    assert quota.check(quota.CLAIMS, huge, claim, quotas, tracker) == (
        "exceeded quota: storage, requested: requests.storage=7Gi, used: requests.storage=5Gi, "
        "limited: requests.storage=10Gi"
    )
    lb = {"spec": {"type": "LoadBalancer", "ports": [{"port": 80}, {"port": 443}]}}
    assert {k: str(v) for k, v in quota.service_usage(lb).items()} == {
        "count/services": "1",
        "services": "1",
        "services.loadbalancers": "1",
        "services.nodeports": "2",
    }


def test_quota_validation() -> None:
    good = resource_quota("q", {"pods": "10", "requests.cpu": "2", "count/deployments.apps": "3"})
    assert quota.validate_quota(good) == []
    bad = resource_quota("q", {"pods": "1.5", "cows": "1", "memory": "-1"})
    assert [(c.field, c.message) for c in quota.validate_quota(bad)] == [
        ("spec.hard[pods]", 'Invalid value: "1.5": must be an integer'),
        ("spec.hard[cows]", 'Invalid value: "cows": must be a standard resource for quota'),
        ("spec.hard[memory]", 'Invalid value: "-1": must be greater than or equal to 0'),
    ]


# --- LimitRange --------------------------------------------------------------------------------------------------

RANGE: JSON = {
    "metadata": {"name": "limits"},
    "spec": {
        "limits": [
            {
                "type": "Container",
                "max": {"cpu": "2", "memory": "1Gi"},
                "min": {"cpu": "50m"},
                "defaultRequest": {"cpu": "100m"},
                "maxLimitRequestRatio": {"cpu": "4"},
            },
            {"type": "PersistentVolumeClaim", "max": {"storage": "10Gi"}, "min": {"storage": "1Gi"}},
        ]
    },
}


def test_limit_range_defaults_itself() -> None:
    obj: JSON = {
        "spec": {
            "limits": [
                {"type": "Container", "max": {"cpu": "2"}, "min": {"memory": "64Mi"}},
                {"type": "Pod", "max": {"cpu": "4"}},
            ]
        }
    }
    limit_ranger.default_limit_range(obj)
    assert obj["spec"]["limits"] == [
        {
            "type": "Container",
            "max": {"cpu": "2"},
            "min": {"memory": "64Mi"},
            "default": {"cpu": "2"},
            "defaultRequest": {"cpu": "2", "memory": "64Mi"},
        },
        {"type": "Pod", "max": {"cpu": "4"}},
    ]


def test_limit_range_fills_defaults_and_annotates() -> None:
    limit_range: JSON = {
        "spec": {
            "limits": [
                {
                    "type": "Container",
                    "default": {"cpu": "500m", "memory": "256Mi"},
                    "defaultRequest": {"cpu": "0.25", "memory": "128Mi"},
                }
            ]
        }
    }
    new = pod(
        "p", container("app"), container("side", {"cpu": "10m"}, {"memory": "64Mi"}), initContainers=[container("init")]
    )
    limit_ranger.mutate_pod(new, [limit_range])
    app, side = new["spec"]["containers"]
    assert app["resources"] == {
        "limits": {"cpu": "500m", "memory": "256Mi"},
        "requests": {"cpu": "250m", "memory": "128Mi"},
    }
    assert side["resources"] == {
        "limits": {"memory": "64Mi", "cpu": "500m"},
        "requests": {"cpu": "10m", "memory": "128Mi"},
    }
    assert new["metadata"]["annotations"][limit_ranger.ANNOTATION] == (
        "LimitRanger plugin set: cpu, memory request for container app; cpu, memory limit for container app; "
        "memory request for container side; cpu limit for container side; cpu, memory request for init container "
        "init; cpu, memory limit for init container init"
    )


def test_limit_range_limits() -> None:
    too_big = pod("p", container("app", {"cpu": "1", "memory": "512Mi"}, {"cpu": "3", "memory": "2Gi"}))
    assert limit_ranger.validate_pod(too_big, [RANGE]) == (
        "[maximum cpu usage per Container is 2, but limit is 3, maximum memory usage per Container is 1Gi, but "
        "limit is 2Gi]"
    )
    no_limit = pod("p", container("app", {"cpu": "100m"}))
    assert limit_ranger.validate_pod(no_limit, [RANGE]) == (
        "[maximum cpu usage per Container is 2.  No limit is specified, maximum memory usage per Container is 1Gi.  "
        "No limit is specified, cpu max limit to request ratio per Container is 4, but no limit is specified or "
        "limit is 0]"
    )
    greedy = pod("p", container("app", {"cpu": "100m", "memory": "1Gi"}, {"cpu": "1", "memory": "1Gi"}))
    assert limit_ranger.validate_pod(greedy, [RANGE]) == (
        "cpu max limit to request ratio per Container is 4, but provided ratio is 10.000000"
    )
    tiny = pod("p", container("app", {"cpu": "10m", "memory": "1Gi"}, {"cpu": "20m", "memory": "1Gi"}))
    assert limit_ranger.validate_pod(tiny, [RANGE]) == "minimum cpu usage per Container is 50m, but request is 10m"
    fine = pod("p", container("app", {"cpu": "500m", "memory": "1Gi"}, {"cpu": "1", "memory": "1Gi"}))
    assert limit_ranger.validate_pod(fine, [RANGE]) is None
    claim = {"spec": {"resources": {"requests": {"storage": "20Gi"}}}}
    assert limit_ranger.validate_claim(claim, [RANGE]) == (
        "maximum storage usage per PersistentVolumeClaim is 10Gi, but request is 20Gi"
    )


def test_limit_range_validation() -> None:
    bad: JSON = {
        "spec": {
            "limits": [
                {"type": "Container", "min": {"cpu": "2"}, "max": {"cpu": "1"}},
                {"type": "Pod", "default": {"cpu": "1"}},
                {"type": "Container"},
                {"type": "Node"},
            ]
        }
    }
    assert [(c.field, c.message) for c in limit_ranger.validate_limit_range(bad)] == [
        ("spec.limits[0].min[cpu]", 'Invalid value: "2": min value 2 is greater than max value 1'),
        ("spec.limits[1].default", "Forbidden: may not be specified when `type` is 'Pod'"),
        ("spec.limits[2].type", 'Duplicate value: "Container"'),
        ("spec.limits[3].type", 'Invalid value: "Node": must be a standard limit type or fully qualified'),
    ]


# --- Pod Security namespace policy -----------------------------------------------------------------------------


def test_namespace_policy() -> None:
    policy, causes = pod_security.namespace_policy({"pod-security.kubernetes.io/enforce": "baseline"})
    assert causes == []
    assert (str(policy.enforce), str(policy.warn), str(policy.audit)) == (
        "baseline:latest",
        "baseline:latest",
        "privileged:latest",
    )
    policy, _ = pod_security.namespace_policy(
        {
            "pod-security.kubernetes.io/enforce": "baseline",
            "pod-security.kubernetes.io/enforce-version": "v1.29",
            "pod-security.kubernetes.io/warn": "restricted",
        }
    )
    assert (str(policy.enforce), str(policy.warn)) == ("baseline:v1.29", "restricted:latest")
    policy, causes = pod_security.namespace_policy(
        {"pod-security.kubernetes.io/enforce": "strict", "pod-security.kubernetes.io/warn-version": "1.2"}
    )
    assert str(policy.enforce) == "restricted:latest"
    assert [(c.field, c.message) for c in causes] == [
        (
            "metadata.labels[pod-security.kubernetes.io/enforce]",
            'Invalid value: "strict": must be one of privileged, baseline, restricted',
        ),
        (
            "metadata.labels[pod-security.kubernetes.io/warn-version]",
            'Invalid value: "1.2": must be "latest" or "v1.x"',
        ),
    ]
    assert pod_security.namespace_policy({})[0].fully_privileged


def test_namespace_update_warnings() -> None:
    pods = [
        {
            "metadata": {"name": name, "ownerReferences": [{"uid": "rs", "controller": True}]},
            "spec": {"hostNetwork": True, "containers": [{"name": "c", "image": "x"}]},
        }
        for name in ("b", "a", "c")
    ]
    pods.append(
        {
            "metadata": {"name": "z"},
            "spec": {"containers": [{"name": "c", "image": "x", "securityContext": {"privileged": True}}]},
        }
    )
    warnings = pod_security.namespace_update_warnings(
        "team", {"pod-security.kubernetes.io/enforce": "baseline"}, {}, pods
    )
    assert warnings == [
        'existing pods in namespace "team" violate the new PodSecurity enforce level "baseline:latest"',
        "a (and 2 other pods): host namespaces",
        "z: privileged",
    ]
    assert (
        pod_security.namespace_update_warnings(
            "team",
            {"pod-security.kubernetes.io/enforce": "baseline"},
            {"pod-security.kubernetes.io/enforce": "restricted"},
            pods,
        )
        == []
    )


# --- NetworkPolicy ---------------------------------------------------------------------------------------------


def test_network_policy_defaults() -> None:
    obj: JSON = {"spec": {"egress": [{"ports": [{"port": 53}]}]}}
    network_policy.default_network_policy(obj)
    assert obj["spec"] == {
        "egress": [{"ports": [{"port": 53, "protocol": "TCP"}]}],
        "podSelector": {},
        "policyTypes": ["Ingress", "Egress"],
    }


def test_network_policy_validation() -> None:
    obj: JSON = {
        "spec": {
            "podSelector": {"matchExpressions": [{"key": "app", "operator": "In"}]},
            "ingress": [
                {
                    "ports": [
                        {"protocol": "ICMP", "port": 70000},
                        {"port": "web_port", "endPort": 90},
                        {"port": 100, "endPort": 90},
                    ],
                    "from": [
                        {},
                        {"ipBlock": {"cidr": "10.0.0.0/8", "except": ["192.168.0.0/16"]}, "podSelector": {}},
                        {"ipBlock": {"cidr": "10.0.0.0/33"}},
                    ],
                }
            ],
            "egress": [{"to": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.1.0.0/16", "10.0.0.0/8"]}}]}],
            "policyTypes": ["Ingress", "Egres"],
        }
    }
    assert [(c.field, c.message) for c in network_policy.validate_network_policy(obj)] == [
        (
            "spec.podSelector.matchExpressions[0].values",
            "Required value: must be specified when `operator` is 'In' or 'NotIn'",
        ),
        ("spec.ingress[0].ports[0].protocol", 'Unsupported value: "ICMP": supported values: "TCP", "UDP", "SCTP"'),
        ("spec.ingress[0].ports[0].port", "Invalid value: 70000: must be between 1 and 65535, inclusive"),
        ("spec.ingress[0].ports[1].endPort", "Invalid value: 90: may not be specified when `port` is non-numeric"),
        (
            "spec.ingress[0].ports[1].port",
            'Invalid value: "web_port": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
        ),
        ("spec.ingress[0].ports[2].endPort", "Invalid value: 100: must be greater than or equal to `port`"),
        ("spec.ingress[0].from[0]", "Required value: must specify a peer"),
        (
            "spec.ingress[0].from[1].ipBlock.except[0]",
            'Invalid value: "192.168.0.0/16": must be a strict subset of `cidr`',
        ),
        ("spec.ingress[0].from[1]", "Forbidden: may not specify both ipBlock and another peer"),
        ("spec.ingress[0].from[2].ipBlock.cidr", 'Invalid value: "10.0.0.0/33": not a valid CIDR'),
        ("spec.egress[0].to[0].ipBlock.except[1]", 'Invalid value: "10.0.0.0/8": must be a strict subset of `cidr`'),
        ("spec.policyTypes[1]", 'Unsupported value: "Egres": supported values: "Ingress", "Egress"'),
    ]
    too_many: JSON = {"spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress", "Ingress"]}}
    assert [c.message for c in network_policy.validate_network_policy(too_many)] == [
        'Invalid value: []networking.PolicyType{"Ingress", "Egress", "Ingress"}: may not specify more than two '
        "policyTypes"
    ]


def test_usage_rebuilds_from_a_restored_store() -> None:
    objects = [
        (quota.PODS, pod("a", container("c", {"cpu": "250m"}))),
        (quota.PODS, pod("b", container("c", {"cpu": "250m"}), phase="Failed")),
        (quota.QUOTAS, resource_quota("q", {"requests.cpu": "1", "count/pods": "9"})),
        ("/configmaps", {"metadata": {"name": "c", "namespace": "ns"}}),
    ]
    usage = quota.QuotaUsage()
    usage.rebuild(objects)
    assert usage.has_quota("ns")
    assert quota.status_of(objects[2][1], usage)["used"] == {"count/pods": "2", "requests.cpu": "250m"}
    assert usage.pod_names("ns") == ["a", "b"]


@settings(max_examples=300, deadline=None)
@given(st.integers(-(10**15), 10**15), st.integers(0, 9), st.sampled_from(["DecimalSI", "BinarySI", "DecimalExponent"]))
def test_printed_quantities_read_back_the_same(mantissa: int, scale: int, fmt: Any) -> None:
    value = Quantity(Decimal(mantissa).scaleb(-scale), fmt)
    printed = str(value)
    assert quantity(printed).value == value.value
