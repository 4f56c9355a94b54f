"""The admin server every service runs: liveness, readiness with named checks, Prometheus metrics."""

from __future__ import annotations

import httpx
from prometheus_client import CollectorRegistry

from oneclick_core.observability.metrics import BusMetrics
from oneclick_core.runtime.admin import admin_app
from oneclick_core.runtime.serving import AsgiServer


async def test_admin_endpoints_over_http() -> None:
    checks = {"nats": "ok", "database": "ok"}

    async def readiness() -> dict[str, str]:
        return dict(checks)

    registry = CollectorRegistry()
    BusMetrics.create(registry).rpc_calls.labels("records", "ping", "ok").inc()
    server = AsgiServer(admin_app(readiness, registry), "127.0.0.1", 0, lifespan="off")
    url = await server.start()
    try:
        async with httpx.AsyncClient(base_url=url) as client:
            assert (await client.get("/healthz")).json() == {"status": "ok"}
            ready = await client.get("/readyz")
            assert ready.status_code == 200
            assert ready.json()["checks"] == checks
            checks["database"] = "unavailable: ConnectionRefusedError"
            not_ready = await client.get("/readyz")
            assert not_ready.status_code == 503
            assert not_ready.json() == {"status": "unavailable", "checks": checks}
            metrics = await client.get("/metrics")
            assert metrics.headers["content-type"].startswith("text/plain")
            assert 'oneclick_rpc_calls_total{method="ping",outcome="ok",service="records"} 1.0' in metrics.text
    finally:
        await server.stop()
