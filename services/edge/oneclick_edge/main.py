"""The edge service: the platform's only public HTTP server (no schema; it calls services over RPC)."""

from __future__ import annotations

from oneclick_core.runtime import ServiceRuntime, ServiceSpec, run_service
from oneclick_core.serving import AsgiServer
from oneclick_edge.app import create_app
from oneclick_edge.context import EdgeContext
from oneclick_edge.settings import EdgeSettings


async def setup(runtime: ServiceRuntime[EdgeSettings]) -> None:
    settings = runtime.settings
    context = EdgeContext(settings=settings, rpc=runtime.rpc_client, instance=settings.instance_id,
                          version=runtime.version)
    server = AsgiServer(create_app(context), settings.http_host, settings.http_port, lifespan="off",
                        proxy_headers=True, timeout_graceful_shutdown=10)
    runtime.serve_http(server)


SERVICE = ServiceSpec(name="edge", settings=EdgeSettings, setup=setup, distribution="oneclick-edge")


def main() -> None:
    run_service(SERVICE)


if __name__ == "__main__":
    main()
