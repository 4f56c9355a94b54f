"""The streaming service: shared Kubernetes watches fanned out on live subjects (no schema)."""

from __future__ import annotations

from oneclick_core.runtime import ServiceRuntime, ServiceSpec, run_service
from oneclick_core.settings import CoreSettings


async def setup(runtime: ServiceRuntime[CoreSettings]) -> None:
    """Registers the service's RPC handlers and workers (shared watches arrive with issue 7)."""


SERVICE = ServiceSpec(name="streaming", settings=CoreSettings, setup=setup,
                      distribution="oneclick-streaming")


def main() -> None:
    run_service(SERVICE)


if __name__ == "__main__":
    main()
