"""The k8s-executor service: the only writer to Kubernetes (no schema; the cluster is its state)."""

from __future__ import annotations

from oneclick_core.runtime import ServiceRuntime, ServiceSpec, run_service
from oneclick_core.settings import CoreSettings


async def setup(runtime: ServiceRuntime[CoreSettings]) -> None:
    """Registers the service's RPC handlers and workers (applying rollouts arrives with issue 6)."""


SERVICE = ServiceSpec(name="k8s-executor", settings=CoreSettings, setup=setup,
                      distribution="oneclick-k8s-executor")


def main() -> None:
    run_service(SERVICE)


if __name__ == "__main__":
    main()
