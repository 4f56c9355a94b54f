"""Manifests with their secret values blanked, for events and anything else that leaves the records service.

Secret values are ``spec.secrets[].value`` and the image registry passwords
(``spec.image.password``, ``spec.cronjobs[].image.password``). The executor reads the full
manifest from records over RPC; everything else sees the redacted one.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from oneclick_manifest.model import RolloutManifest

# Non-empty secrets become this marker, so a reader still sees that a value (or registry
# credential) is set; empty ones stay empty because "no password" is not a secret.
REDACTED = "[redacted]"


def redact_manifest(manifest: RolloutManifest | Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``manifest`` as JSON with every secret value replaced by :data:`REDACTED`.

    Takes raw JSON too and tolerates any shape, since a stored manifest may predate validation.
    """
    data = manifest.to_json() if isinstance(manifest, RolloutManifest) else copy.deepcopy(dict(manifest))
    spec = data.get("spec")
    if not isinstance(spec, dict):
        return data
    _redact_field(spec.get("image"), "password")
    for item in _dicts(spec.get("secrets")):
        _redact_field(item, "value")
    for cronjob in _dicts(spec.get("cronjobs")):
        _redact_field(cronjob.get("image"), "password")
    return data


def _dicts(value: object) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _redact_field(container: object, field: str) -> None:
    if isinstance(container, dict) and container.get(field) not in (None, ""):
        container[field] = REDACTED
