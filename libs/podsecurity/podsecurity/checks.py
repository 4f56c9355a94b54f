"""The Pod Security Standards' checks, one function per check and version, as ``k8s.io/pod-security-admission``
defines them (policy/check_*.go, Kubernetes 1.32): same fields, same allowed values, same reasons and details.

A check gets the pod's metadata and spec as JSON mappings and returns a :class:`Violation` or None. Values are read
the way Go reads the typed pod: a pointer that is set (``privileged: true``), not a truthy value.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from podsecurity.model import Level, Version, Violation
from podsecurity.text import go_quote, join_quote, pluralize

Json = Mapping[str, Any]
CheckFn = Callable[[Json, Json], Violation | None]

_EMPTY: Json = {}


def _map(value: Any) -> Json:
    return value if isinstance(value, Mapping) else _EMPTY


def _seq(value: Any) -> Sequence[Any]:
    return value if isinstance(value, list | tuple) else ()


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ("" if value is None else str(value))


@dataclass(frozen=True)
class Container:
    path: str  # spec.containers[0]
    name: str
    security: Json  # its securityContext ({} when unset)
    has_security: bool
    raw: Json


def containers(spec: Json) -> Iterator[Container]:
    """Init containers, then containers, then ephemeral containers: the order Kubernetes visits (and names) them."""
    for list_name in ("initContainers", "containers", "ephemeralContainers"):
        for index, container in enumerate(_seq(spec.get(list_name))):
            if isinstance(container, Mapping):
                security = container.get("securityContext")
                yield Container(
                    f"spec.{list_name}[{index}]",
                    _text(container.get("name")),
                    _map(security),
                    isinstance(security, Mapping),
                    container,
                )


def _pod_security(spec: Json) -> Json:
    return _map(spec.get("securityContext"))


def _is_true(value: Any) -> bool:
    return value is True


def _is_zero(value: Any) -> bool:
    return type(value) is int and value == 0


def _containers_phrase(names: Sequence[str]) -> str:
    return f"{pluralize('container', 'containers', len(names))} {join_quote(names)}"


def _windows(spec: Json) -> bool:
    return _map(spec.get("os")).get("name") == "windows"


# --- baseline ------------------------------------------------------------------------------------------------------


def windows_host_process(meta: Json, spec: Json) -> Violation | None:
    fields: list[str] = []
    setters: list[str] = []
    if _is_true(_map(_pod_security(spec).get("windowsOptions")).get("hostProcess")):
        setters.append("pod")
        fields.append("spec.securityContext.windowsOptions.hostProcess")
    bad: list[str] = []
    for c in containers(spec):
        if _is_true(_map(c.security.get("windowsOptions")).get("hostProcess")):
            bad.append(c.name)
            fields.append(f"{c.path}.securityContext.windowsOptions.hostProcess")
    if bad:
        setters.append(_containers_phrase(bad))
    if not setters:
        return None
    return Violation(
        "hostProcess",
        f"{' and '.join(setters)} must not set securityContext.windowsOptions.hostProcess=true",
        tuple(fields),
    )


def host_namespaces(meta: Json, spec: Json) -> Violation | None:
    shared = [name for name in ("hostNetwork", "hostPID", "hostIPC") if _is_true(spec.get(name))]
    if not shared:
        return None
    return Violation(
        "host namespaces", ", ".join(f"{name}=true" for name in shared), tuple(f"spec.{name}" for name in shared)
    )


def privileged(meta: Json, spec: Json) -> Violation | None:
    bad = [c for c in containers(spec) if _is_true(c.security.get("privileged"))]
    if not bad:
        return None
    return Violation(
        "privileged",
        f"{_containers_phrase([c.name for c in bad])} must not set securityContext.privileged=true",
        tuple(f"{c.path}.securityContext.privileged" for c in bad),
    )


BASELINE_CAPABILITIES = frozenset(
    {
        "AUDIT_WRITE",
        "CHOWN",
        "DAC_OVERRIDE",
        "FOWNER",
        "FSETID",
        "KILL",
        "MKNOD",
        "NET_BIND_SERVICE",
        "SETFCAP",
        "SETGID",
        "SETPCAP",
        "SETUID",
        "SYS_CHROOT",
    }
)


def capabilities_baseline(meta: Json, spec: Json) -> Violation | None:
    bad: list[Container] = []
    added: set[str] = set()
    for c in containers(spec):
        capabilities = c.security.get("capabilities")
        if not isinstance(capabilities, Mapping):
            continue
        extra = [_text(cap) for cap in _seq(capabilities.get("add")) if _text(cap) not in BASELINE_CAPABILITIES]
        if extra:
            bad.append(c)
            added.update(extra)
    if not bad:
        return None
    return Violation(
        "non-default capabilities",
        f"{_containers_phrase([c.name for c in bad])} must not include {join_quote(sorted(added))} in "
        f"securityContext.capabilities.add",
        tuple(f"{c.path}.securityContext.capabilities.add" for c in bad),
    )


def host_path_volumes(meta: Json, spec: Json) -> Violation | None:
    bad = [
        (index, _text(_map(volume).get("name")))
        for index, volume in enumerate(_seq(spec.get("volumes")))
        if _map(volume).get("hostPath") is not None
    ]
    if not bad:
        return None
    names = [name for _, name in bad]
    return Violation(
        "hostPath volumes",
        f"{pluralize('volume', 'volumes', len(names))} {join_quote(names)}",
        tuple(f"spec.volumes[{index}].hostPath" for index, _ in bad),
    )


def host_ports(meta: Json, spec: Json) -> Violation | None:
    bad: list[str] = []
    ports: set[str] = set()
    fields: list[str] = []
    for c in containers(spec):
        found = False
        for index, port in enumerate(_seq(c.raw.get("ports"))):
            host_port = _map(port).get("hostPort")
            if isinstance(host_port, int) and not isinstance(host_port, bool) and host_port != 0:
                found = True
                ports.add(str(host_port))
                fields.append(f"{c.path}.ports[{index}].hostPort")
        if found:
            bad.append(c.name)
    if not bad:
        return None
    # Sorted as text, like the Go set of strings they come from ("443" before "80").
    listed = sorted(ports)
    return Violation(
        "hostPort",
        f"{_containers_phrase(bad)} {pluralize('uses', 'use', len(bad))} "
        f"{pluralize('hostPort', 'hostPorts', len(listed))} {', '.join(listed)}",
        tuple(fields),
    )


_APPARMOR_ANNOTATION_PREFIX = "container.apparmor.security.beta.kubernetes.io/"
_APPARMOR_TYPES = frozenset({"RuntimeDefault", "Localhost"})


def _allowed_apparmor_annotation(value: str) -> bool:
    return value == "" or value == "runtime/default" or value.startswith("localhost/")


def app_armor_profile(meta: Json, spec: Json) -> Violation | None:
    setters: list[str] = []
    values: set[str] = set()
    fields: list[str] = []
    pod_profile = _pod_security(spec).get("appArmorProfile")
    if isinstance(pod_profile, Mapping) and _text(pod_profile.get("type")) not in _APPARMOR_TYPES:
        setters.append("pod")
        values.add(_text(pod_profile.get("type")))
        fields.append("spec.securityContext.appArmorProfile.type")
    bad: list[str] = []
    for c in containers(spec):
        profile = c.security.get("appArmorProfile")
        if isinstance(profile, Mapping) and _text(profile.get("type")) not in _APPARMOR_TYPES:
            bad.append(c.name)
            values.add(_text(profile.get("type")))
            fields.append(f"{c.path}.securityContext.appArmorProfile.type")
    if bad:
        setters.append(_containers_phrase(bad))
    annotations = [
        (key, _text(value))
        for key, value in _map(meta.get("annotations")).items()
        if str(key).startswith(_APPARMOR_ANNOTATION_PREFIX) and not _allowed_apparmor_annotation(_text(value))
    ]
    listed = sorted(values)
    if annotations:
        annotations.sort(key=lambda kv: f"{kv[0]}={go_quote(kv[1])}")
        listed += [f"{key}={go_quote(value)}" for key, value in annotations]
        setters.append(pluralize("annotation", "annotations", len(annotations)))
        fields += [f"metadata.annotations[{key}]" for key, _ in annotations]
    if not setters:
        return None
    return Violation(
        pluralize("forbidden AppArmor profile", "forbidden AppArmor profiles", len(listed)),
        f"{' and '.join(setters)} must not set AppArmor profile type to {join_quote(listed)}",
        tuple(fields),
    )


_SELINUX_TYPES_1_0 = frozenset({"", "container_t", "container_init_t", "container_kvm_t"})
_SELINUX_TYPES_1_31 = _SELINUX_TYPES_1_0 | {"container_engine_t"}


def _se_linux_options(meta: Json, spec: Json, allowed: frozenset[str]) -> Violation | None:
    bad_types: set[str] = set()
    set_user = set_role = False
    fields: list[str] = []

    def valid(options: Json, path: str) -> bool:
        nonlocal set_user, set_role
        ok = True
        kind = _text(options.get("type"))
        if kind not in allowed:
            ok = False
            bad_types.add(kind)
            fields.append(f"{path}.type")
        if _text(options.get("user")):
            ok = False
            set_user = True
            fields.append(f"{path}.user")
        if _text(options.get("role")):
            ok = False
            set_role = True
            fields.append(f"{path}.role")
        return ok

    setters: list[str] = []
    pod_options = _pod_security(spec).get("seLinuxOptions")
    if isinstance(pod_options, Mapping) and not valid(pod_options, "spec.securityContext.seLinuxOptions"):
        setters.append("pod")
    bad = [
        c.name
        for c in containers(spec)
        if isinstance(c.security.get("seLinuxOptions"), Mapping)
        and not valid(c.security["seLinuxOptions"], f"{c.path}.securityContext.seLinuxOptions")
    ]
    if bad:
        setters.append(_containers_phrase(bad))
    if not setters:
        return None
    problems: list[str] = []
    if bad_types:
        problems.append(f"{pluralize('type', 'types', len(bad_types))} {join_quote(sorted(bad_types))}")
    if set_user:
        problems.append("user may not be set")
    if set_role:
        problems.append("role may not be set")
    return Violation(
        "seLinuxOptions",
        f"{' and '.join(setters)} set forbidden securityContext.seLinuxOptions: {'; '.join(problems)}",
        tuple(fields),
    )


def se_linux_options_1_0(meta: Json, spec: Json) -> Violation | None:
    return _se_linux_options(meta, spec, _SELINUX_TYPES_1_0)


def se_linux_options_1_31(meta: Json, spec: Json) -> Violation | None:
    return _se_linux_options(meta, spec, _SELINUX_TYPES_1_31)


def proc_mount(meta: Json, spec: Json) -> Violation | None:
    bad: list[Container] = []
    kinds: set[str] = set()
    for c in containers(spec):
        mount = c.security.get("procMount")
        if mount is not None and mount != "Default":
            bad.append(c)
            kinds.add(_text(mount))
    if not bad:
        return None
    return Violation(
        "procMount",
        f"{_containers_phrase([c.name for c in bad])} must not set securityContext.procMount to "
        f"{join_quote(sorted(kinds))}",
        tuple(f"{c.path}.securityContext.procMount" for c in bad),
    )


_SECCOMP_POD_ANNOTATION = "seccomp.security.alpha.kubernetes.io/pod"
_SECCOMP_CONTAINER_ANNOTATION_PREFIX = "container.seccomp.security.alpha.kubernetes.io/"
_SECCOMP_TYPES = frozenset({"RuntimeDefault", "Localhost"})


def _valid_seccomp_annotation(value: str) -> bool:
    return value in ("runtime/default", "docker/default") or value.startswith("localhost/")


def seccomp_profile_baseline_1_0(meta: Json, spec: Json) -> Violation | None:
    annotations = _map(meta.get("annotations"))
    forbidden: dict[str, str] = {}
    keys = [_SECCOMP_POD_ANNOTATION] + [_SECCOMP_CONTAINER_ANNOTATION_PREFIX + c.name for c in containers(spec)]
    for key in keys:
        if key in annotations and not _valid_seccomp_annotation(_text(annotations[key])):
            forbidden[f"{key}={go_quote(_text(annotations[key]))}"] = key
    if not forbidden:
        return None
    listed = sorted(forbidden)
    return Violation(
        "seccompProfile",
        f"forbidden {pluralize('annotation', 'annotations', len(listed))} {', '.join(listed)}",
        tuple(f"metadata.annotations[{forbidden[entry]}]" for entry in listed),
    )


def seccomp_profile_baseline_1_19(meta: Json, spec: Json) -> Violation | None:
    setters: list[str] = []
    values: set[str] = set()
    fields: list[str] = []
    pod_profile = _pod_security(spec).get("seccompProfile")
    if isinstance(pod_profile, Mapping) and _text(pod_profile.get("type")) not in _SECCOMP_TYPES:
        setters.append("pod")
        values.add(_text(pod_profile.get("type")))
        fields.append("spec.securityContext.seccompProfile.type")
    bad: list[str] = []
    for c in containers(spec):
        profile = c.security.get("seccompProfile")
        if isinstance(profile, Mapping) and _text(profile.get("type")) not in _SECCOMP_TYPES:
            bad.append(c.name)
            values.add(_text(profile.get("type")))
            fields.append(f"{c.path}.securityContext.seccompProfile.type")
    if bad:
        setters.append(_containers_phrase(bad))
    if not setters:
        return None
    return Violation(
        "seccompProfile",
        f"{' and '.join(setters)} must not set securityContext.seccompProfile.type to {join_quote(sorted(values))}",
        tuple(fields),
    )


_SYSCTLS_1_0 = frozenset(
    {
        "kernel.shm_rmid_forced",
        "net.ipv4.ip_local_port_range",
        "net.ipv4.tcp_syncookies",
        "net.ipv4.ping_group_range",
        "net.ipv4.ip_unprivileged_port_start",
    }
)
_SYSCTLS_1_27 = _SYSCTLS_1_0 | {"net.ipv4.ip_local_reserved_ports"}
_SYSCTLS_1_29 = _SYSCTLS_1_27 | {
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
}
_SYSCTLS_1_32 = _SYSCTLS_1_29 | {"net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem"}


def _sysctls(spec: Json, allowed: frozenset[str]) -> Violation | None:
    bad = [
        (index, _text(_map(sysctl).get("name")))
        for index, sysctl in enumerate(_seq(_pod_security(spec).get("sysctls")))
        if _text(_map(sysctl).get("name")) not in allowed
    ]
    if not bad:
        return None
    return Violation(
        "forbidden sysctls",
        ", ".join(name for _, name in bad),
        tuple(f"spec.securityContext.sysctls[{index}].name" for index, _ in bad),
    )


def sysctls_1_0(meta: Json, spec: Json) -> Violation | None:
    return _sysctls(spec, _SYSCTLS_1_0)


def sysctls_1_27(meta: Json, spec: Json) -> Violation | None:
    return _sysctls(spec, _SYSCTLS_1_27)


def sysctls_1_29(meta: Json, spec: Json) -> Violation | None:
    return _sysctls(spec, _SYSCTLS_1_29)


def sysctls_1_32(meta: Json, spec: Json) -> Violation | None:
    return _sysctls(spec, _SYSCTLS_1_32)


# --- restricted ----------------------------------------------------------------------------------------------------

RESTRICTED_VOLUME_SOURCES = (
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
)
# The order Kubernetes tests them in, which decides the type named for a volume that somehow sets several.
_FORBIDDEN_VOLUME_SOURCES = (
    "hostPath",
    "gcePersistentDisk",
    "awsElasticBlockStore",
    "gitRepo",
    "nfs",
    "iscsi",
    "glusterfs",
    "rbd",
    "flexVolume",
    "cinder",
    "cephfs",
    "flocker",
    "fc",
    "azureFile",
    "vsphereVolume",
    "quobyte",
    "azureDisk",
    "photonPersistentDisk",
    "portworxVolume",
    "scaleIO",
    "storageos",
)


def restricted_volumes(meta: Json, spec: Json) -> Violation | None:
    bad: list[str] = []
    kinds: set[str] = set()
    fields: list[str] = []
    for index, raw in enumerate(_seq(spec.get("volumes"))):
        volume = _map(raw)
        # (A volume without any source is "unknown" here, as in Kubernetes' check; the API server's defaulting has
        # made it an emptyDir before admission sees it.)
        if any(volume.get(key) is not None for key in RESTRICTED_VOLUME_SOURCES):
            continue
        bad.append(_text(volume.get("name")))
        kind = next((key for key in _FORBIDDEN_VOLUME_SOURCES if volume.get(key) is not None), "unknown")
        kinds.add(kind)
        fields.append(f"spec.volumes[{index}].{kind}" if kind != "unknown" else f"spec.volumes[{index}]")
    if not bad:
        return None
    return Violation(
        "restricted volume types",
        f"{pluralize('volume', 'volumes', len(bad))} {join_quote(bad)} "
        f"{pluralize('uses', 'use', len(bad))} "
        f"{pluralize('restricted volume type', 'restricted volume types', len(kinds))} "
        f"{join_quote(sorted(kinds))}",
        tuple(fields),
    )


def allow_privilege_escalation_1_8(meta: Json, spec: Json) -> Violation | None:
    bad = [c for c in containers(spec) if c.security.get("allowPrivilegeEscalation") is not False]
    if not bad:
        return None
    return Violation(
        "allowPrivilegeEscalation != false",
        f"{_containers_phrase([c.name for c in bad])} must set securityContext.allowPrivilegeEscalation=false",
        tuple(f"{c.path}.securityContext.allowPrivilegeEscalation" for c in bad),
    )


def allow_privilege_escalation_1_25(meta: Json, spec: Json) -> Violation | None:
    return None if _windows(spec) else allow_privilege_escalation_1_8(meta, spec)


def run_as_non_root(meta: Json, spec: Json) -> Violation | None:
    setters: list[str] = []
    fields: list[str] = []
    pod_value = _pod_security(spec).get("runAsNonRoot")
    pod_non_root = False
    if pod_value is not None:
        if pod_value is not True:
            setters.append("pod")
            fields.append("spec.securityContext.runAsNonRoot")
        else:
            pod_non_root = True
    explicit: list[Container] = []
    implicit: list[Container] = []
    for c in containers(spec):
        value = c.security.get("runAsNonRoot")
        if value is not None:
            if value is not True:
                explicit.append(c)
        elif not pod_non_root:
            implicit.append(c)
    if explicit:
        setters.append(_containers_phrase([c.name for c in explicit]))
        fields += [f"{c.path}.securityContext.runAsNonRoot" for c in explicit]
    if setters:
        return Violation(
            "runAsNonRoot != true",
            f"{' and '.join(setters)} must not set securityContext.runAsNonRoot=false",
            tuple(fields),
        )
    if implicit:
        return Violation(
            "runAsNonRoot != true",
            f"pod or {_containers_phrase([c.name for c in implicit])} must set securityContext.runAsNonRoot=true",
            ("spec.securityContext.runAsNonRoot", *(f"{c.path}.securityContext.runAsNonRoot" for c in implicit)),
        )
    return None


def run_as_user(meta: Json, spec: Json) -> Violation | None:
    setters: list[str] = []
    fields: list[str] = []
    if _is_zero(_pod_security(spec).get("runAsUser")):
        setters.append("pod")
        fields.append("spec.securityContext.runAsUser")
    bad = [c for c in containers(spec) if _is_zero(c.security.get("runAsUser"))]
    if bad:
        setters.append(_containers_phrase([c.name for c in bad]))
        fields += [f"{c.path}.securityContext.runAsUser" for c in bad]
    if not setters:
        return None
    return Violation("runAsUser=0", f"{' and '.join(setters)} must not set runAsUser=0", tuple(fields))


def seccomp_profile_restricted_1_19(meta: Json, spec: Json) -> Violation | None:
    setters: list[str] = []
    values: set[str] = set()
    fields: list[str] = []
    pod_set = False
    pod_profile = _pod_security(spec).get("seccompProfile")
    if isinstance(pod_profile, Mapping):
        if _text(pod_profile.get("type")) not in _SECCOMP_TYPES:
            setters.append("pod")
            values.add(_text(pod_profile.get("type")))
            fields.append("spec.securityContext.seccompProfile.type")
        else:
            pod_set = True
    explicit: list[Container] = []
    implicit: list[Container] = []
    for c in containers(spec):
        profile = c.security.get("seccompProfile")
        if isinstance(profile, Mapping):
            if _text(profile.get("type")) not in _SECCOMP_TYPES:
                explicit.append(c)
                values.add(_text(profile.get("type")))
        elif not pod_set:
            implicit.append(c)
    if explicit:
        setters.append(_containers_phrase([c.name for c in explicit]))
        fields += [f"{c.path}.securityContext.seccompProfile.type" for c in explicit]
    if setters:
        return Violation(
            "seccompProfile",
            f"{' and '.join(setters)} must not set securityContext.seccompProfile.type to {join_quote(sorted(values))}",
            tuple(fields),
        )
    if implicit:
        return Violation(
            "seccompProfile",
            f"pod or {_containers_phrase([c.name for c in implicit])} must set "
            f'securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"',
            (
                "spec.securityContext.seccompProfile.type",
                *(f"{c.path}.securityContext.seccompProfile.type" for c in implicit),
            ),
        )
    return None


def seccomp_profile_restricted_1_25(meta: Json, spec: Json) -> Violation | None:
    return None if _windows(spec) else seccomp_profile_restricted_1_19(meta, spec)


def capabilities_restricted_1_22(meta: Json, spec: Json) -> Violation | None:
    missing_drop: list[Container] = []
    adding: list[Container] = []
    forbidden: set[str] = set()
    for c in containers(spec):
        capabilities = c.security.get("capabilities")
        if not isinstance(capabilities, Mapping):
            missing_drop.append(c)
            continue
        if "ALL" not in [_text(cap) for cap in _seq(capabilities.get("drop"))]:
            missing_drop.append(c)
        extra = [_text(cap) for cap in _seq(capabilities.get("add")) if _text(cap) != "NET_BIND_SERVICE"]
        if extra:
            adding.append(c)
            forbidden.update(extra)
    details: list[str] = []
    fields: list[str] = []
    if missing_drop:
        details.append(
            f'{_containers_phrase([c.name for c in missing_drop])} must set securityContext.capabilities.drop=["ALL"]'
        )
        fields += [f"{c.path}.securityContext.capabilities.drop" for c in missing_drop]
    if adding:
        details.append(
            f"{_containers_phrase([c.name for c in adding])} must not include "
            f"{join_quote(sorted(forbidden))} in securityContext.capabilities.add"
        )
        fields += [f"{c.path}.securityContext.capabilities.add" for c in adding]
    if not details:
        return None
    return Violation("unrestricted capabilities", "; ".join(details), tuple(fields))


def capabilities_restricted_1_25(meta: Json, spec: Json) -> Violation | None:
    return None if _windows(spec) else capabilities_restricted_1_22(meta, spec)


# --- the registry ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    id: str
    level: Level
    versions: tuple[tuple[Version, CheckFn], ...]  # (minimum version, check), oldest first
    overrides: tuple[str, ...] = ()  # baseline checks a restricted check replaces

    def at(self, version: Version) -> CheckFn | None:
        found: CheckFn | None = None
        for minimum, fn in self.versions:
            if minimum <= version:
                found = fn
        return found


CHECKS: tuple[Check, ...] = (
    Check("appArmorProfile", "baseline", (((1, 0), app_armor_profile),)),
    Check("capabilities_baseline", "baseline", (((1, 0), capabilities_baseline),)),
    Check("hostNamespaces", "baseline", (((1, 0), host_namespaces),)),
    Check("hostPathVolumes", "baseline", (((1, 0), host_path_volumes),)),
    Check("hostPorts", "baseline", (((1, 0), host_ports),)),
    Check("privileged", "baseline", (((1, 0), privileged),)),
    Check("procMount", "baseline", (((1, 0), proc_mount),)),
    Check("seLinuxOptions", "baseline", (((1, 0), se_linux_options_1_0), ((1, 31), se_linux_options_1_31))),
    Check(
        "seccompProfile_baseline",
        "baseline",
        (((1, 0), seccomp_profile_baseline_1_0), ((1, 19), seccomp_profile_baseline_1_19)),
    ),
    Check(
        "sysctls",
        "baseline",
        (((1, 0), sysctls_1_0), ((1, 27), sysctls_1_27), ((1, 29), sysctls_1_29), ((1, 32), sysctls_1_32)),
    ),
    Check("windowsHostProcess", "baseline", (((1, 0), windows_host_process),)),
    Check(
        "allowPrivilegeEscalation",
        "restricted",
        (((1, 8), allow_privilege_escalation_1_8), ((1, 25), allow_privilege_escalation_1_25)),
    ),
    Check(
        "capabilities_restricted",
        "restricted",
        (((1, 22), capabilities_restricted_1_22), ((1, 25), capabilities_restricted_1_25)),
        overrides=("capabilities_baseline",),
    ),
    Check("restrictedVolumes", "restricted", (((1, 0), restricted_volumes),), overrides=("hostPathVolumes",)),
    Check("runAsNonRoot", "restricted", (((1, 0), run_as_non_root),)),
    Check("runAsUser", "restricted", (((1, 23), run_as_user),)),
    Check(
        "seccompProfile_restricted",
        "restricted",
        (((1, 19), seccomp_profile_restricted_1_19), ((1, 25), seccomp_profile_restricted_1_25)),
        overrides=("seccompProfile_baseline",),
    ),
)
NEWEST: Version = max(version for check in CHECKS for version, _ in check.versions)


def checks_for(level: Level, version: Version) -> list[CheckFn]:
    """The checks a pod must pass at ``level``/``version``: baseline checks first, then restricted ones, each group
    ordered by check id as Kubernetes orders them; a restricted check replaces the baseline check it overrides."""
    if level == "privileged":
        return []
    version = min(version, NEWEST)
    applicable = [(check, fn) for check in CHECKS if (fn := check.at(version)) is not None]
    restricted = [(check, fn) for check, fn in applicable if check.level == "restricted"]
    overridden = {name for check, _ in restricted for name in check.overrides} if level == "restricted" else set()
    baseline = [(check, fn) for check, fn in applicable if check.level == "baseline" and check.id not in overridden]
    chosen = sorted(baseline, key=lambda pair: pair[0].id)
    if level == "restricted":
        chosen += sorted(restricted, key=lambda pair: pair[0].id)
    return [fn for _, fn in chosen]
