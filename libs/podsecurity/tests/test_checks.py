"""Each Pod Security check passing and failing, with Kubernetes' exact reasons, details and the fields at fault."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from podsecurity import Violation, check_pod

JSON = dict[str, Any]

# What restricted requires of every container and of the pod; the failing cases below change one thing.
RESTRICTED_CONTAINER: JSON = {
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "runAsNonRoot": True,
    "seccompProfile": {"type": "RuntimeDefault"},
}


def pod(*, containers: list[JSON] | None = None, init: list[JSON] | None = None, **spec: Any) -> JSON:
    out: JSON = {"containers": containers if containers is not None else [container("app")]}
    if init is not None:
        out["initContainers"] = init
    out.update(spec)
    return out


def container(name: str, security: JSON | None = None, **extra: Any) -> JSON:
    out: JSON = {"name": name, "image": "nginx"}
    if security is not None:
        out["securityContext"] = security
    out.update(extra)
    return out


def restricted_container(name: str, **changes: Any) -> JSON:
    security = copy.deepcopy(RESTRICTED_CONTAINER)
    for key, value in changes.items():
        if value is None:
            security.pop(key, None)
        else:
            security[key] = value
    return container(name, security)


def only(violations: list[Violation]) -> Violation:
    assert len(violations) == 1, violations
    return violations[0]


# (case, level, metadata, spec, reason, detail, fields)
FAILING: list[tuple[str, str, JSON, JSON, str, str, tuple[str, ...]]] = [
    (
        "privileged",
        "baseline",
        {},
        pod(containers=[container("a", {"privileged": True})]),
        "privileged",
        'container "a" must not set securityContext.privileged=true',
        ("spec.containers[0].securityContext.privileged",),
    ),
    (
        "privileged init and regular",
        "baseline",
        {},
        pod(containers=[container("a", {"privileged": True})], init=[container("i", {"privileged": True})]),
        "privileged",
        'containers "i", "a" must not set securityContext.privileged=true',
        ("spec.initContainers[0].securityContext.privileged", "spec.containers[0].securityContext.privileged"),
    ),
    (
        "privileged ephemeral",
        "baseline",
        {},
        pod(ephemeralContainers=[container("debug", {"privileged": True})]),
        "privileged",
        'container "debug" must not set securityContext.privileged=true',
        ("spec.ephemeralContainers[0].securityContext.privileged",),
    ),
    (
        "host namespaces",
        "baseline",
        {},
        pod(hostNetwork=True, hostPID=True, hostIPC=True),
        "host namespaces",
        "hostNetwork=true, hostPID=true, hostIPC=true",
        ("spec.hostNetwork", "spec.hostPID", "spec.hostIPC"),
    ),
    (
        "host network only",
        "baseline",
        {},
        pod(hostNetwork=True),
        "host namespaces",
        "hostNetwork=true",
        ("spec.hostNetwork",),
    ),
    (
        "hostProcess pod and containers",
        "baseline",
        {},
        pod(
            securityContext={"windowsOptions": {"hostProcess": True}},
            containers=[
                container("a", {"windowsOptions": {"hostProcess": True}}),
                container("b", {"windowsOptions": {"hostProcess": True}}),
            ],
        ),
        "hostProcess",
        'pod and containers "a", "b" must not set securityContext.windowsOptions.hostProcess=true',
        (
            "spec.securityContext.windowsOptions.hostProcess",
            "spec.containers[0].securityContext.windowsOptions.hostProcess",
            "spec.containers[1].securityContext.windowsOptions.hostProcess",
        ),
    ),
    (
        "capabilities beyond the default set",
        "baseline",
        {},
        pod(
            containers=[
                container("a", {"capabilities": {"add": ["SYS_ADMIN", "CHOWN", "NET_RAW"]}}),
                container("b", {"capabilities": {"add": ["ALL"]}}),
            ]
        ),
        "non-default capabilities",
        'containers "a", "b" must not include "ALL", "NET_RAW", "SYS_ADMIN" in securityContext.capabilities.add',
        ("spec.containers[0].securityContext.capabilities.add", "spec.containers[1].securityContext.capabilities.add"),
    ),
    (
        "hostPath volumes",
        "baseline",
        {},
        pod(
            volumes=[
                {"name": "root", "hostPath": {"path": "/"}},
                {"name": "tmp", "emptyDir": {}},
                {"name": "sock", "hostPath": {"path": "/var/run/docker.sock"}},
            ]
        ),
        "hostPath volumes",
        'volumes "root", "sock"',
        ("spec.volumes[0].hostPath", "spec.volumes[2].hostPath"),
    ),
    (
        "one hostPort",
        "baseline",
        {},
        pod(containers=[container("a"), container("b", ports=[{"containerPort": 80, "hostPort": 20}])]),
        "hostPort",
        'container "b" uses hostPort 20',
        ("spec.containers[1].ports[0].hostPort",),
    ),
    (
        "hostPorts sorted as text",
        "baseline",
        {},
        pod(
            containers=[
                container("b", ports=[{"containerPort": 80, "hostPort": 80}, {"containerPort": 1}]),
                container(
                    "c", ports=[{"containerPort": 443, "hostPort": 443}, {"containerPort": 8080, "hostPort": 8080}]
                ),
            ]
        ),
        "hostPort",
        'containers "b", "c" use hostPorts 443, 80, 8080',
        (
            "spec.containers[0].ports[0].hostPort",
            "spec.containers[1].ports[0].hostPort",
            "spec.containers[1].ports[1].hostPort",
        ),
    ),
    (
        "AppArmor unconfined pod",
        "baseline",
        {},
        pod(securityContext={"appArmorProfile": {"type": "Unconfined"}}),
        "forbidden AppArmor profile",
        'pod must not set AppArmor profile type to "Unconfined"',
        ("spec.securityContext.appArmorProfile.type",),
    ),
    (
        "AppArmor unconfined init container",
        "baseline",
        {},
        pod(init=[container("bar", {"appArmorProfile": {"type": "Unconfined"}})]),
        "forbidden AppArmor profile",
        'container "bar" must not set AppArmor profile type to "Unconfined"',
        ("spec.initContainers[0].securityContext.appArmorProfile.type",),
    ),
    (
        "AppArmor annotations",
        "baseline",
        {
            "annotations": {
                "container.apparmor.security.beta.kubernetes.io/b": "unconfined",
                "container.apparmor.security.beta.kubernetes.io/a": "bogus",
                "container.apparmor.security.beta.kubernetes.io/c": "localhost/custom",
                "other": "unconfined",
            }
        },
        pod(),
        "forbidden AppArmor profiles",
        "annotations must not set AppArmor profile type to "
        '"container.apparmor.security.beta.kubernetes.io/a="bogus"", '
        '"container.apparmor.security.beta.kubernetes.io/b="unconfined""',
        (
            "metadata.annotations[container.apparmor.security.beta.kubernetes.io/a]",
            "metadata.annotations[container.apparmor.security.beta.kubernetes.io/b]",
        ),
    ),
    (
        "AppArmor field and annotation",
        "baseline",
        {"annotations": {"container.apparmor.security.beta.kubernetes.io/app": "unconfined"}},
        pod(containers=[container("app", {"appArmorProfile": {"type": "Unconfined"}})]),
        "forbidden AppArmor profiles",
        'container "app" and annotation must not set AppArmor profile type to "Unconfined", '
        '"container.apparmor.security.beta.kubernetes.io/app="unconfined""',
        (
            "spec.containers[0].securityContext.appArmorProfile.type",
            "metadata.annotations[container.apparmor.security.beta.kubernetes.io/app]",
        ),
    ),
    (
        "SELinux pod and containers",
        "baseline",
        {},
        pod(
            securityContext={"seLinuxOptions": {"type": "foo", "user": "u", "role": "r"}},
            containers=[
                container("e", {"seLinuxOptions": {"type": "bar"}}),
                container("f", {"seLinuxOptions": {"type": "container_t", "user": "x"}}),
            ],
        ),
        "seLinuxOptions",
        'pod and containers "e", "f" set forbidden securityContext.seLinuxOptions: types "bar", "foo"; '
        "user may not be set; role may not be set",
        (
            "spec.securityContext.seLinuxOptions.type",
            "spec.securityContext.seLinuxOptions.user",
            "spec.securityContext.seLinuxOptions.role",
            "spec.containers[0].securityContext.seLinuxOptions.type",
            "spec.containers[1].securityContext.seLinuxOptions.user",
        ),
    ),
    (
        "SELinux role only",
        "baseline",
        {},
        pod(securityContext={"seLinuxOptions": {"role": "admin"}}),
        "seLinuxOptions",
        "pod set forbidden securityContext.seLinuxOptions: role may not be set",
        ("spec.securityContext.seLinuxOptions.role",),
    ),
    (
        "procMount",
        "baseline",
        {},
        pod(containers=[container("a", {"procMount": "Unmasked"}), container("b", {"procMount": "Default"})]),
        "procMount",
        'container "a" must not set securityContext.procMount to "Unmasked"',
        ("spec.containers[0].securityContext.procMount",),
    ),
    (
        "seccomp unconfined",
        "baseline",
        {},
        pod(
            securityContext={"seccompProfile": {"type": "Unconfined"}},
            containers=[
                container("a", {"seccompProfile": {"type": "Unconfined"}}),
                container("b", {"seccompProfile": {"type": "RuntimeDefault"}}),
            ],
        ),
        "seccompProfile",
        'pod and container "a" must not set securityContext.seccompProfile.type to "Unconfined"',
        ("spec.securityContext.seccompProfile.type", "spec.containers[0].securityContext.seccompProfile.type"),
    ),
    (
        "sysctls beyond the safe set",
        "baseline",
        {},
        pod(
            securityContext={
                "sysctls": [
                    {"name": "kernel.msgmax", "value": "1"},
                    {"name": "net.ipv4.tcp_rmem", "value": "4096 87380 6291456"},
                    {"name": "net.core.somaxconn", "value": "1024"},
                ]
            }
        ),
        "forbidden sysctls",
        "kernel.msgmax, net.core.somaxconn",
        ("spec.securityContext.sysctls[0].name", "spec.securityContext.sysctls[2].name"),
    ),
    (
        "restricted volume types",
        "restricted",
        {},
        pod(
            containers=[restricted_container("app")],
            securityContext={"seccompProfile": {"type": "RuntimeDefault"}},
            volumes=[
                {"name": "a", "hostPath": {"path": "/"}},
                {"name": "b", "configMap": {"name": "c"}},
                {"name": "c", "nfs": {"server": "x", "path": "/"}},
                {"name": "d", "gitRepo": {"repository": "r"}},
                {"name": "e", "image": {"reference": "x"}},
                {"name": "f"},
            ],
        ),
        "restricted volume types",
        'volumes "a", "c", "d", "e", "f" use restricted volume types "gitRepo", "hostPath", "nfs", "unknown"',
        (
            "spec.volumes[0].hostPath",
            "spec.volumes[2].nfs",
            "spec.volumes[3].gitRepo",
            "spec.volumes[4]",
            "spec.volumes[5]",
        ),
    ),
    (
        "allowPrivilegeEscalation unset and true",
        "restricted",
        {},
        pod(
            containers=[
                restricted_container("a", allowPrivilegeEscalation=None),
                restricted_container("b", allowPrivilegeEscalation=True),
                restricted_container("c"),
            ]
        ),
        "allowPrivilegeEscalation != false",
        'containers "a", "b" must set securityContext.allowPrivilegeEscalation=false',
        (
            "spec.containers[0].securityContext.allowPrivilegeEscalation",
            "spec.containers[1].securityContext.allowPrivilegeEscalation",
        ),
    ),
    (
        "runAsNonRoot explicitly false",
        "restricted",
        {},
        pod(
            securityContext={"runAsNonRoot": False},
            containers=[restricted_container("a", runAsNonRoot=False), restricted_container("b", runAsNonRoot=None)],
        ),
        "runAsNonRoot != true",
        'pod and container "a" must not set securityContext.runAsNonRoot=false',
        ("spec.securityContext.runAsNonRoot", "spec.containers[0].securityContext.runAsNonRoot"),
    ),
    (
        "runAsNonRoot unset",
        "restricted",
        {},
        pod(containers=[restricted_container("a", runAsNonRoot=None), restricted_container("b")]),
        "runAsNonRoot != true",
        'pod or container "a" must set securityContext.runAsNonRoot=true',
        ("spec.securityContext.runAsNonRoot", "spec.containers[0].securityContext.runAsNonRoot"),
    ),
    (
        "runAsUser 0",
        "restricted",
        {},
        pod(
            securityContext={"runAsUser": 0},
            containers=[restricted_container("a", runAsUser=0), restricted_container("b", runAsUser=1000)],
        ),
        "runAsUser=0",
        'pod and container "a" must not set runAsUser=0',
        ("spec.securityContext.runAsUser", "spec.containers[0].securityContext.runAsUser"),
    ),
    (
        "seccomp missing",
        "restricted",
        {},
        pod(
            containers=[restricted_container("a", seccompProfile=None), restricted_container("b", seccompProfile=None)]
        ),
        "seccompProfile",
        'pod or containers "a", "b" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"',
        (
            "spec.securityContext.seccompProfile.type",
            "spec.containers[0].securityContext.seccompProfile.type",
            "spec.containers[1].securityContext.seccompProfile.type",
        ),
    ),
    (
        "seccomp explicitly unconfined beats missing",
        "restricted",
        {},
        pod(
            containers=[
                restricted_container("a", seccompProfile={"type": "Unconfined"}),
                restricted_container("b", seccompProfile=None),
            ]
        ),
        "seccompProfile",
        'container "a" must not set securityContext.seccompProfile.type to "Unconfined"',
        ("spec.containers[0].securityContext.seccompProfile.type",),
    ),
    (
        "capabilities not dropped and added",
        "restricted",
        {},
        pod(
            containers=[
                restricted_container("a", capabilities=None),
                restricted_container("b", capabilities={"drop": ["ALL"], "add": ["NET_BIND_SERVICE", "CHOWN"]}),
                restricted_container("c", capabilities={"drop": ["NET_RAW"], "add": ["SYS_TIME"]}),
            ]
        ),
        "unrestricted capabilities",
        'containers "a", "c" must set securityContext.capabilities.drop=["ALL"]; '
        'containers "b", "c" must not include "CHOWN", "SYS_TIME" in securityContext.capabilities.add',
        (
            "spec.containers[0].securityContext.capabilities.drop",
            "spec.containers[2].securityContext.capabilities.drop",
            "spec.containers[1].securityContext.capabilities.add",
            "spec.containers[2].securityContext.capabilities.add",
        ),
    ),
]


@pytest.mark.parametrize(
    ("level", "meta", "spec", "reason", "detail", "fields"),
    [case[1:] for case in FAILING],
    ids=[case[0] for case in FAILING],
)
def test_failing_check(level: Any, meta: JSON, spec: JSON, reason: str, detail: str, fields: tuple[str, ...]) -> None:
    found = [v for v in check_pod(meta, spec, level) if v.reason == reason]
    violation = only(found)
    assert violation.detail == detail
    assert violation.fields == fields


# (case, level, metadata, spec): allowed, nothing reported.
PASSING: list[tuple[str, str, JSON, JSON]] = [
    ("plain pod under baseline", "baseline", {}, pod()),
    (
        "anything under privileged",
        "privileged",
        {},
        pod(hostNetwork=True, containers=[container("a", {"privileged": True})]),
    ),
    ("privileged false", "baseline", {}, pod(containers=[container("a", {"privileged": False})])),
    ("host namespaces false", "baseline", {}, pod(hostNetwork=False, hostPID=False, hostIPC=False)),
    (
        "default capabilities",
        "baseline",
        {},
        pod(containers=[container("a", {"capabilities": {"add": ["CHOWN", "NET_BIND_SERVICE", "SYS_CHROOT"]}})]),
    ),
    ("hostPort 0", "baseline", {}, pod(containers=[container("a", ports=[{"containerPort": 80, "hostPort": 0}])])),
    (
        "AppArmor allowed",
        "baseline",
        {
            "annotations": {
                "container.apparmor.security.beta.kubernetes.io/a": "runtime/default",
                "container.apparmor.security.beta.kubernetes.io/b": "localhost/x",
                "container.apparmor.security.beta.kubernetes.io/c": "",
            }
        },
        pod(
            securityContext={"appArmorProfile": {"type": "RuntimeDefault"}},
            containers=[container("a", {"appArmorProfile": {"type": "Localhost", "localhostProfile": "x"}})],
        ),
    ),
    (
        "SELinux allowed types",
        "baseline",
        {},
        pod(
            securityContext={"seLinuxOptions": {"type": "container_engine_t", "level": "s0:c1"}},
            containers=[container("a", {"seLinuxOptions": {"type": "container_init_t"}})],
        ),
    ),
    ("procMount Default", "baseline", {}, pod(containers=[container("a", {"procMount": "Default"})])),
    (
        "seccomp Localhost",
        "baseline",
        {},
        pod(securityContext={"seccompProfile": {"type": "Localhost", "localhostProfile": "p.json"}}),
    ),
    (
        "safe sysctls",
        "baseline",
        {},
        pod(
            securityContext={
                "sysctls": [
                    {"name": "net.ipv4.tcp_wmem", "value": "4096"},
                    {"name": "net.ipv4.ip_local_port_range", "value": "1024 65535"},
                ]
            }
        ),
    ),
    (
        "restricted pod",
        "restricted",
        {},
        pod(
            containers=[restricted_container("a")],
            init=[restricted_container("i")],
            volumes=[
                {"name": "v", "emptyDir": {}},
                {"name": "w", "secret": {"secretName": "s"}},
                {"name": "p", "persistentVolumeClaim": {"claimName": "c"}},
            ],
        ),
    ),
    (
        "restricted via pod-level settings",
        "restricted",
        {},
        pod(
            securityContext={"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
            containers=[container("a", {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}})],
        ),
    ),
    (
        "restricted may add NET_BIND_SERVICE",
        "restricted",
        {},
        pod(containers=[restricted_container("a", capabilities={"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]})]),
    ),
    ("restricted windows pod", "restricted", {}, pod(os={"name": "windows"}, securityContext={"runAsNonRoot": True})),
]


@pytest.mark.parametrize(("level", "meta", "spec"), [case[1:] for case in PASSING], ids=[case[0] for case in PASSING])
def test_passing_pod(level: Any, meta: JSON, spec: JSON) -> None:
    assert check_pod(meta, spec, level) == []
