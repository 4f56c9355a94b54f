"""The PodSecurity admission plugin: namespace labels choose a level per mode, pods that violate the ``enforce``
level are refused, pods and workload templates that violate the ``warn`` level get warnings, and changing a
namespace's enforce level warns about the pods already there. With the API server's default configuration: no
exemptions, and a namespace without labels is ``privileged`` in every mode."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import podsecurity
from kubesim import validation
from kubesim.status import Cause

JSON = dict[str, Any]

LABEL_PREFIX = "pod-security.kubernetes.io/"
MODES = ("enforce", "audit", "warn")
# Kinds whose pod template is checked (warnings only): what the API server's default pod spec extractor knows.
TEMPLATE_RESOURCES = frozenset(
    {
        "/podtemplates",
        "/replicationcontrollers",
        "apps/replicasets",
        "apps/deployments",
        "apps/statefulsets",
        "apps/daemonsets",
        "batch/jobs",
        "batch/cronjobs",
    }
)
MAX_PODS_TO_CHECK = 3000


@dataclass(frozen=True)
class LevelVersion:
    level: podsecurity.Level
    version: str = "latest"

    def __str__(self) -> str:
        return f"{self.level}:{self.version}"

    def violations(self, meta: Mapping[str, Any] | None, spec: Mapping[str, Any]) -> list[podsecurity.Violation]:
        return podsecurity.check_pod(meta, spec, self.level, version=self.version)


PRIVILEGED = LevelVersion("privileged")


@dataclass(frozen=True)
class Policy:
    enforce: LevelVersion = PRIVILEGED
    audit: LevelVersion = PRIVILEGED
    warn: LevelVersion = PRIVILEGED

    @property
    def fully_privileged(self) -> bool:
        return all(mode.level == "privileged" for mode in (self.enforce, self.audit, self.warn))


_STRICTNESS = MappingProxyType({"privileged": 0, "baseline": 1, "restricted": 2})


def namespace_policy(labels: Mapping[str, Any] | None) -> tuple[Policy, list[Cause]]:
    """The policy a namespace's labels ask for, and what is wrong with them. A bad enforce level fails closed
    (``restricted``), a bad audit or warn level fails open; a bad version means ``latest``. A warn level left
    unset follows a stricter enforce level, as in Kubernetes."""
    labels = labels or {}
    causes: list[Cause] = []
    chosen: dict[str, LevelVersion] = {}
    explicit_warn = False
    valid_enforce = False
    for mode in MODES:
        level: podsecurity.Level = "privileged"
        version = "latest"
        level_key, version_key = LABEL_PREFIX + mode, LABEL_PREFIX + mode + "-version"
        if level_key in labels:
            if mode == "warn":
                explicit_warn = True
            text = str(labels[level_key])
            try:
                level = podsecurity.parse_level(text)
                valid_enforce = valid_enforce or mode == "enforce"
            except ValueError as exc:
                level = "restricted" if mode == "enforce" else "privileged"
                causes.append(validation.invalid_value(f"metadata.labels[{level_key}]", text, str(exc)))
        if version_key in labels:
            text = str(labels[version_key])
            try:
                podsecurity.parse_version(text)
                version = text
            except ValueError as exc:
                causes.append(validation.invalid_value(f"metadata.labels[{version_key}]", text, str(exc)))
        chosen[mode] = LevelVersion(level, version)
    enforce, warn = chosen["enforce"], chosen["warn"]
    if not explicit_warn and valid_enforce and _STRICTNESS[enforce.level] > _STRICTNESS[warn.level]:
        has_warn_version = LABEL_PREFIX + "warn-version" in labels
        warn = LevelVersion(enforce.level, warn.version if has_warn_version else enforce.version)
    return Policy(enforce, chosen["audit"], warn), causes


def _detail(violations: list[podsecurity.Violation]) -> str:
    return podsecurity.violation_detail(violations)


def check_pod(policy: Policy, meta: Mapping[str, Any] | None, spec: Mapping[str, Any]) -> tuple[str | None, list[str]]:
    """(why the pod is refused or None, warnings) under ``policy``."""
    if policy.fully_privileged:
        return None, []
    refused = policy.enforce.violations(meta, spec)
    if refused:
        return f'violates PodSecurity "{policy.enforce}": {_detail(refused)}', []
    # The enforce level was just evaluated and passed: a warn level equal to it has nothing to add.
    return None, [] if policy.warn == policy.enforce else _warnings(policy, meta, spec)


def check_template(policy: Policy, obj: Mapping[str, Any]) -> list[str]:
    """Warnings for a workload whose pod template violates the warn level (templates are never refused)."""
    if policy.warn.level == "privileged":
        return []
    template = podsecurity.pod_template(obj)
    if template is None:
        return []
    return _warnings(policy, *template)


def _warnings(policy: Policy, meta: Mapping[str, Any] | None, spec: Mapping[str, Any]) -> list[str]:
    if policy.warn.level == "privileged":
        return []
    found = policy.warn.violations(meta, spec)
    return [f'would violate PodSecurity "{policy.warn}": {_detail(found)}'] if found else []


def significant_pod_update(new: Mapping[str, Any], old: Mapping[str, Any]) -> bool:
    """Whether a pod update changes what Pod Security looks at: the only mutable fields that matter are images and
    added ephemeral containers."""
    new_spec, old_spec = new.get("spec") or {}, old.get("spec") or {}
    for list_name in ("containers", "initContainers"):
        new_list, old_list = new_spec.get(list_name) or [], old_spec.get(list_name) or []
        if len(new_list) != len(old_list):
            return True
        if any(_image(a) != _image(b) for a, b in zip(new_list, old_list, strict=True)):
            return True
    old_ephemeral = {_name(c): c for c in old_spec.get("ephemeralContainers") or []}
    for container in new_spec.get("ephemeralContainers") or []:
        before = old_ephemeral.get(_name(container))
        if before is None or _image(before) != _image(container):
            return True
    return False


def _image(container: Any) -> Any:
    return container.get("image") if isinstance(container, Mapping) else None


def _name(container: Any) -> Any:
    return container.get("name") if isinstance(container, Mapping) else None


def namespace_label_causes(new_labels: Mapping[str, Any] | None, old_labels: Mapping[str, Any] | None) -> list[Cause]:
    """Invalid Pod Security labels refuse a namespace on create, and on update when they changed."""
    _, causes = namespace_policy(new_labels)
    if not causes or old_labels is None:
        return causes
    _, old_causes = namespace_policy(old_labels)
    return [] if [c.to_json() for c in causes] == [c.to_json() for c in old_causes] else causes


def namespace_update_warnings(
    namespace: str, new_labels: Mapping[str, Any] | None, old_labels: Mapping[str, Any] | None, pods: Iterable[JSON]
) -> list[str]:
    """What the API server warns when a namespace's enforce level becomes stricter: the pods already running there
    that the new level would refuse, grouped by what they violate."""
    new_policy, _ = namespace_policy(new_labels)
    old_policy, _ = namespace_policy(old_labels)
    new, old = new_policy.enforce, old_policy.enforce
    if new == old or new.level == "privileged":
        return []
    if new.version == old.version and _STRICTNESS[new.level] <= _STRICTNESS[old.level]:
        return []
    ordered = _prioritized(list(pods))
    total = len(ordered)
    checked = ordered[:MAX_PODS_TO_CHECK]
    reasons: dict[str, tuple[str, int]] = {}  # reasons -> (lexically first pod name, pod count)
    for pod in checked:
        found = new.violations(pod.get("metadata"), pod.get("spec") or {})
        if not found:
            continue
        key = ", ".join(v.reason or "unknown forbidden reason" for v in found)
        name = str((pod.get("metadata") or {}).get("name"))
        first, count = reasons.get(key, (name, 0))
        reasons[key] = (min(first, name), count + 1)
    warnings: list[str] = []
    if len(checked) < total:
        warnings.append(
            f"new PodSecurity enforce level only checked against the first {len(checked)} of {total} existing pods"
        )
    if reasons:
        warnings.append(f'existing pods in namespace "{namespace}" violate the new PodSecurity enforce level "{new}"')
    decorated = []
    for key, (first, count) in reasons.items():
        if count == 1:
            decorated.append(f"{first}: {key}")
        elif count == 2:
            decorated.append(f"{first} (and 1 other pod): {key}")
        else:
            decorated.append(f"{first} (and {count - 1} other pods): {key}")
    return warnings + sorted(decorated)


def _prioritized(pods: list[JSON]) -> list[JSON]:
    """One pod per controller first (they share a template), then the rest: a capped check sees more variety."""
    first: list[JSON] = []
    rest: list[JSON] = []
    seen: set[str] = set()
    for pod in pods:
        controller = next(
            (ref for ref in (pod.get("metadata") or {}).get("ownerReferences") or [] if ref.get("controller")), None
        )
        if controller is None:
            first.append(pod)
        elif str(controller.get("uid")) in seen:
            rest.append(pod)
        else:
            seen.add(str(controller.get("uid")))
            first.append(pod)
    return first + rest
