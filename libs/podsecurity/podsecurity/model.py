"""Levels, versions and violations: the vocabulary of the Pod Security Standards."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Level = Literal["privileged", "baseline", "restricted"]
LEVELS: tuple[Level, ...] = ("privileged", "baseline", "restricted")

# A policy version as (major, minor); "latest" is the newest version the checks know.
Version = tuple[int, int]
LATEST: Version = (1, 32)
_VERSION = re.compile(r"^v1\.(0|[1-9][0-9]*)$")


@dataclass(frozen=True)
class Violation:
    """One failed check: Kubernetes' ``ForbiddenReason`` and ``ForbiddenDetail``, and the pod fields at fault as
    paths from the pod's root (``spec.containers[0].securityContext.privileged``, ``spec.hostNetwork``,
    ``spec.volumes[1].hostPath``, ``metadata.annotations[container.apparmor.security.beta.kubernetes.io/app]``)."""

    reason: str
    detail: str
    fields: tuple[str, ...]


def parse_level(text: str) -> Level:
    """A level label's value; ``ValueError`` with Kubernetes' wording for anything else."""
    for level in LEVELS:
        if text == level:
            return level
    raise ValueError("must be one of privileged, baseline, restricted")


def parse_version(text: str) -> Version:
    """``latest`` or ``v1.<minor>`` (a version label's value); ``ValueError`` with Kubernetes' wording otherwise.
    Versions newer than the checks know are evaluated as the newest, as the API server does."""
    if text == "latest":
        return LATEST
    match = _VERSION.match(text)
    if match is None:
        raise ValueError('must be "latest" or "v1.x"')
    return (1, int(match.group(1)))
