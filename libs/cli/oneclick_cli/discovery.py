"""Finding the platform's services: each package declares its ServiceSpec as an entry point."""

from __future__ import annotations

from importlib.metadata import entry_points
from typing import Any

from oneclick_core.contracts.rpc import SERVICES
from oneclick_core.runtime.service import ServiceSpec

GROUP = "oneclick.services"


def service_names() -> list[str]:
    """Installed services in the platform's canonical order, then any others alphabetically."""
    installed = {ep.name for ep in entry_points(group=GROUP)}
    return [n for n in SERVICES if n in installed] + sorted(installed - set(SERVICES))


def load_service(name: str) -> ServiceSpec[Any]:
    for ep in entry_points(group=GROUP, name=name):
        spec = ep.load()
        if not isinstance(spec, ServiceSpec):
            raise TypeError(f"entry point {ep.value} is not a ServiceSpec")
        return spec
    raise LookupError(f"unknown service {name!r}; installed: {', '.join(service_names()) or 'none'}")
