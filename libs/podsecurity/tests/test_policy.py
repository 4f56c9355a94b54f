"""Check order and message assembly, policy versions, pod templates of workloads, and properties over any input."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from podsecurity import (
    LEVELS,
    Violation,
    check_pod,
    parse_level,
    parse_version,
    pod_template,
    violation_detail,
    violation_message,
)
from podsecurity.text import go_quote

JSON = dict[str, Any]

HOSTILE: JSON = {
    "hostNetwork": True,
    "securityContext": {"sysctls": [{"name": "kernel.msgmax", "value": "1"}], "seccompProfile": {"type": "Unconfined"}},
    "volumes": [{"name": "root", "hostPath": {"path": "/"}}],
    "containers": [
        {
            "name": "app",
            "image": "x",
            "ports": [{"containerPort": 80, "hostPort": 80}],
            "securityContext": {
                "privileged": True,
                "allowPrivilegeEscalation": True,
                "runAsUser": 0,
                "capabilities": {"add": ["ALL", "SYS_ADMIN"]},
                "procMount": "Unmasked",
            },
        }
    ],
}


def test_baseline_reports_every_check_in_kubernetes_order() -> None:
    reasons = [v.reason for v in check_pod({}, HOSTILE, "baseline")]
    # Baseline check ids sorted: capabilities_baseline, hostNamespaces, hostPathVolumes, hostPorts, privileged,
    # procMount, seccompProfile_baseline, sysctls.
    assert reasons == [
        "non-default capabilities",
        "host namespaces",
        "hostPath volumes",
        "hostPort",
        "privileged",
        "procMount",
        "seccompProfile",
        "forbidden sysctls",
    ]


def test_restricted_replaces_the_baseline_checks_it_overrides() -> None:
    reasons = [v.reason for v in check_pod({}, HOSTILE, "restricted")]
    assert reasons == [
        "host namespaces",
        "hostPort",
        "privileged",
        "procMount",
        "forbidden sysctls",
        "allowPrivilegeEscalation != false",
        "unrestricted capabilities",
        "restricted volume types",
        "runAsNonRoot != true",
        "runAsUser=0",
        "seccompProfile",
    ]


def test_message_matches_the_api_server() -> None:
    spec = {"containers": [{"name": "sec-ctx-demo", "image": "busybox", "securityContext": {"privileged": True}}]}
    assert violation_message("restricted", check_pod({}, spec, "restricted")) == (
        'violates PodSecurity "restricted:latest": privileged (container "sec-ctx-demo" must not set '
        'securityContext.privileged=true), allowPrivilegeEscalation != false (container "sec-ctx-demo" must set '
        'securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container "sec-ctx-demo" must '
        'set securityContext.capabilities.drop=["ALL"]), runAsNonRoot != true (pod or container "sec-ctx-demo" must '
        'set securityContext.runAsNonRoot=true), seccompProfile (pod or container "sec-ctx-demo" must set '
        'securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")'
    )


def test_message_with_version_and_empty_parts() -> None:
    violations = [Violation("", "", ()), Violation("host namespaces", "hostPID=true", ("spec.hostPID",))]
    assert violation_detail(violations) == "unknown forbidden reason, host namespaces (hostPID=true)"
    assert (
        violation_message("baseline", violations[1:], version="v1.25")
        == 'violates PodSecurity "baseline:v1.25": host namespaces (hostPID=true)'
    )


def test_versions_select_the_checks_of_their_time() -> None:
    tcp = {
        "containers": [{"name": "a", "image": "x"}],
        "securityContext": {"sysctls": [{"name": "net.ipv4.tcp_rmem", "value": "1"}]},
    }
    assert check_pod({}, tcp, "baseline") == []
    assert [v.detail for v in check_pod({}, tcp, "baseline", version="v1.31")] == ["net.ipv4.tcp_rmem"]
    # Newer than the checks know: evaluated as the newest.
    assert check_pod({}, tcp, "baseline", version="v1.99") == []
    # runAsUser=0 became a restricted check in 1.23; capabilities and seccomp in 1.22 and 1.19.
    root = {
        "securityContext": {"runAsNonRoot": True, "runAsUser": 0},
        "containers": [{"name": "a", "image": "x", "securityContext": {"allowPrivilegeEscalation": False}}],
    }
    assert [v.reason for v in check_pod({}, root, "restricted", version="v1.22")] == [
        "unrestricted capabilities",
        "seccompProfile",
    ]
    assert [v.reason for v in check_pod({}, root, "restricted", version="v1.18")] == []
    assert "runAsUser=0" in [v.reason for v in check_pod({}, root, "restricted")]
    # Before 1.19 seccomp was annotations.
    annotated = {
        "annotations": {
            "seccomp.security.alpha.kubernetes.io/pod": "unconfined",
            "container.seccomp.security.alpha.kubernetes.io/a": "docker/default",
        }
    }
    spec = {"containers": [{"name": "a", "image": "x"}]}
    assert [v.detail for v in check_pod(annotated, spec, "baseline", version="v1.18")] == [
        'forbidden annotation seccomp.security.alpha.kubernetes.io/pod="unconfined"'
    ]
    assert check_pod(annotated, spec, "baseline") == []
    # container_engine_t is allowed since 1.31.
    engine = {
        "containers": [
            {"name": "a", "image": "x", "securityContext": {"seLinuxOptions": {"type": "container_engine_t"}}}
        ]
    }
    assert check_pod({}, engine, "baseline") == []
    assert len(check_pod({}, engine, "baseline", version="v1.30")) == 1


@pytest.mark.parametrize("text", ["v2.0", "1.25", "v1.025", "", "Latest"])
def test_invalid_versions(text: str) -> None:
    with pytest.raises(ValueError, match=re.escape('must be "latest" or "v1.x"')):
        parse_version(text)


def test_levels() -> None:
    assert [parse_level(level) for level in LEVELS] == ["privileged", "baseline", "restricted"]
    with pytest.raises(ValueError, match="must be one of privileged, baseline, restricted"):
        parse_level("strict")


POD_SPEC: JSON = {"containers": [{"name": "a", "image": "x"}]}
TEMPLATE: JSON = {"metadata": {"labels": {"app": "a"}}, "spec": POD_SPEC}


@pytest.mark.parametrize(
    ("obj", "expected"),
    [
        ({"kind": "Pod", "metadata": {"name": "p"}, "spec": POD_SPEC}, ({"name": "p"}, POD_SPEC)),
        ({"kind": "Deployment", "spec": {"template": TEMPLATE}}, ({"labels": {"app": "a"}}, POD_SPEC)),
        ({"kind": "ReplicaSet", "spec": {"template": TEMPLATE}}, ({"labels": {"app": "a"}}, POD_SPEC)),
        ({"kind": "ReplicationController", "spec": {"template": TEMPLATE}}, ({"labels": {"app": "a"}}, POD_SPEC)),
        ({"kind": "StatefulSet", "spec": {"template": TEMPLATE}}, ({"labels": {"app": "a"}}, POD_SPEC)),
        ({"kind": "DaemonSet", "spec": {"template": TEMPLATE}}, ({"labels": {"app": "a"}}, POD_SPEC)),
        ({"kind": "Job", "spec": {"template": TEMPLATE}}, ({"labels": {"app": "a"}}, POD_SPEC)),
        (
            {"kind": "CronJob", "spec": {"jobTemplate": {"spec": {"template": TEMPLATE}}}},
            ({"labels": {"app": "a"}}, POD_SPEC),
        ),
        ({"kind": "PodTemplate", "template": TEMPLATE}, ({"labels": {"app": "a"}}, POD_SPEC)),
        ({"kind": "ReplicationController", "spec": {}}, None),
        ({"kind": "Service", "spec": {"template": TEMPLATE}}, None),
        ({"kind": "ConfigMap", "data": {}}, None),
    ],
)
def test_pod_template(obj: JSON, expected: Any) -> None:
    assert pod_template(obj) == expected


def test_go_quote() -> None:
    assert go_quote('a"b\\c\n\x01é') == '"a\\"b\\\\c\\n\\x01é"'


# --- properties ------------------------------------------------------------------------------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-5, 70000)
    | st.sampled_from(
        ["", "ALL", "NET_BIND_SERVICE", "SYS_ADMIN", "RuntimeDefault", "Unconfined", "Localhost", "Default", "x"]
    ),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(
            st.sampled_from(
                [
                    "privileged",
                    "capabilities",
                    "add",
                    "drop",
                    "runAsUser",
                    "runAsNonRoot",
                    "seccompProfile",
                    "type",
                    "allowPrivilegeEscalation",
                    "procMount",
                    "windowsOptions",
                    "hostProcess",
                    "name",
                    "hostPort",
                    "appArmorProfile",
                    "seLinuxOptions",
                    "user",
                    "sysctls",
                ]
            ),
            children,
            max_size=4,
        )
    ),
    max_leaves=12,
)
security_contexts = st.dictionaries(
    st.sampled_from(
        [
            "privileged",
            "capabilities",
            "runAsUser",
            "runAsNonRoot",
            "seccompProfile",
            "allowPrivilegeEscalation",
            "procMount",
            "appArmorProfile",
            "seLinuxOptions",
            "windowsOptions",
        ]
    ),
    json_values,
    max_size=5,
)
containers = st.lists(
    st.fixed_dictionaries(
        {"name": st.sampled_from(["a", "b", "c"]), "image": st.just("x")},
        optional={
            "securityContext": security_contexts,
            "ports": st.lists(
                st.fixed_dictionaries({"containerPort": st.just(80)}, optional={"hostPort": st.integers(0, 3)}),
                max_size=2,
            ),
        },
    ),
    min_size=1,
    max_size=3,
)
pod_specs = st.fixed_dictionaries(
    {"containers": containers},
    optional={
        "initContainers": containers,
        "securityContext": security_contexts,
        "hostNetwork": st.booleans(),
        "volumes": st.lists(
            st.dictionaries(
                st.sampled_from(["name", "hostPath", "emptyDir", "nfs", "secret"]), st.just({}), max_size=2
            ),
            max_size=2,
        ),
    },
)


@settings(max_examples=300, deadline=None)
@given(pod_specs)
def test_levels_nest(spec: JSON) -> None:
    """Privileged allows everything; whatever restricted allows, baseline allows; a failure names its fields."""
    assert check_pod({}, spec, "privileged") == []
    restricted = check_pod({}, spec, "restricted")
    baseline = check_pod({}, spec, "baseline")
    if not restricted:
        assert baseline == []
    for violation in baseline + restricted:
        assert violation.reason
        assert violation.detail
        assert all(field.startswith(("spec", "metadata")) for field in violation.fields)


@settings(max_examples=300, deadline=None)
@given(json_values, json_values)
def test_never_raises_on_any_json(meta: Any, spec: Any) -> None:
    for level in LEVELS:
        check_pod(meta if isinstance(meta, dict) else None, spec if isinstance(spec, dict) else {}, level)
        check_pod({}, {"containers": [spec], "volumes": [meta], "securityContext": spec}, level)
