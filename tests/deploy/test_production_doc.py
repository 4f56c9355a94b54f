"""docs/production.md documents every setting a service reads (derived from the settings classes)."""

from __future__ import annotations

import pytest

from oneclick_core.contracts.rpc import SERVICES

from .build_context import REPO
from .settings_env import service_variables

GUIDE = REPO / "docs" / "production.md"


@pytest.mark.parametrize("service", SERVICES)
def test_every_setting_is_documented(service: str) -> None:
    text = GUIDE.read_text()
    fields: dict[str, list[str]] = {}
    for variable, field in service_variables(service).items():
        fields.setdefault(field, []).append(variable)
    missing = [names for names in fields.values() if not any(f"`{name}`" in text for name in names)]
    assert not missing, f"{service}: {missing} not in {GUIDE.name}"
