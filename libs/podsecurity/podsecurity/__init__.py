"""Kubernetes Pod Security Standards evaluated on a pod, the way the API server's PodSecurity admission does.

A pure library (no I/O, no dependencies), shared by kubesim's admission and by the platform's own checks
before anything reaches a cluster, as ``k8s.io/pod-security-admission`` is shared by the API server and its
webhook. Reasons and details are Kubernetes' own words, so a refusal reads the same wherever it comes from.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

Level = Literal["privileged", "baseline", "restricted"]
LEVELS: tuple[Level, ...] = ("privileged", "baseline", "restricted")


@dataclass(frozen=True)
class Violation:
    """One failed check: Kubernetes' ``ForbiddenReason`` and ``ForbiddenDetail``, and the pod fields at fault as
    paths from the pod's root (``spec.containers[0].securityContext.privileged``, ``spec.hostNetwork``,
    ``spec.volumes[1].hostPath``, ``metadata.annotations[container.apparmor.security.beta.kubernetes.io/app]``)."""

    reason: str
    detail: str
    fields: tuple[str, ...]


def check_pod(metadata: Mapping[str, Any] | None, spec: Mapping[str, Any], level: Level) -> list[Violation]:
    """Every check of ``level`` (and the levels below it) that the pod fails, in Kubernetes' check order."""
    raise NotImplementedError


def violation_message(level: Level, violations: list[Violation]) -> str:
    """``violates PodSecurity "baseline:latest": privileged (container "app" must not set ...), ...``"""
    raise NotImplementedError
