"""Kubernetes Pod Security Standards evaluated on a pod, the way the API server's PodSecurity admission does.

A pure library (no I/O, no dependencies), shared by kubesim's admission and by the platform's own checks
before anything reaches a cluster, as ``k8s.io/pod-security-admission`` is shared by the API server and its
webhook. Reasons and details are Kubernetes' own words, so a refusal reads the same wherever it comes from.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from podsecurity.checks import checks_for
from podsecurity.model import LATEST, LEVELS, Level, Version, Violation, parse_level, parse_version
from podsecurity.templates import pod_template

__all__ = [
    "LATEST",
    "LEVELS",
    "Level",
    "Version",
    "Violation",
    "check_pod",
    "parse_level",
    "parse_version",
    "pod_template",
    "violation_detail",
    "violation_message",
]

_EMPTY: Mapping[str, Any] = {}


def check_pod(
    metadata: Mapping[str, Any] | None, spec: Mapping[str, Any], level: Level, *, version: str = "latest"
) -> list[Violation]:
    """Every check of ``level`` (and the levels below it) that the pod fails, in Kubernetes' check order.
    ``version`` is a policy version label's value (``latest``, ``v1.25``); ``ValueError`` when it is not one."""
    meta = metadata if isinstance(metadata, Mapping) else _EMPTY
    pod_spec = spec if isinstance(spec, Mapping) else _EMPTY
    found: list[Violation] = []
    for check in checks_for(level, parse_version(version)):
        violation = check(meta, pod_spec)
        if violation is not None:
            found.append(violation)
    return found


def violation_detail(violations: list[Violation]) -> str:
    """``privileged (container "app" must not set ...), host namespaces (hostNetwork=true)``: the violations
    joined the way the API server aggregates check results."""
    parts = []
    for violation in violations:
        reason = violation.reason or "unknown forbidden reason"
        parts.append(f"{reason} ({violation.detail})" if violation.detail else reason)
    return ", ".join(parts)


def violation_message(level: Level, violations: list[Violation], *, version: str = "latest") -> str:
    """``violates PodSecurity "baseline:latest": privileged (container "app" must not set ...), ...``"""
    return f'violates PodSecurity "{level}:{version}": {violation_detail(violations)}'
