"""``/api/health`` on the edge, with every service as its own process over real NATS and PostgreSQL."""

from __future__ import annotations

import asyncio
import signal

import httpx

from oneclick_cli.processes import free_port
from oneclick_core.contracts.rpc import SERVICES
from oneclick_testing.services import ServiceGroup

BACKENDS = [name for name in SERVICES if name != "edge"]


async def test_health_reports_every_service_and_names_the_one_that_is_down(services: ServiceGroup) -> None:
    port = free_port()
    *started, _ = await asyncio.gather(
        *(services.start(name) for name in BACKENDS),
        services.start("edge", env={"ONECLICK_HTTP_PORT": str(port), "ONECLICK_HEALTH_TIMEOUT": "1"}),
    )
    backends = dict(zip(BACKENDS, started, strict=True))
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
        healthy = await client.get("/api/health")
        assert healthy.status_code == 200, healthy.text
        body = healthy.json()
        assert body["code"] == 200
        assert set(body["data"]["services"]) == set(SERVICES)
        assert {s["status"] for s in body["data"]["services"].values()} == {"ok"}
        assert body["data"]["services"]["records"]["checks"] == {"started": "ok", "nats": "ok", "database": "ok"}

        # A stopped service has no replica subscribed: NATS says so at once.
        backends["records"].stop()
        down = await client.get("/api/health")
        assert down.status_code == 503
        assert down.json()["status"] == 503
        assert down.json()["message"] == "Unavailable: records."
        assert down.json()["data"]["services"]["records"]["status"] == "unavailable"
        assert down.json()["data"]["services"]["auth"]["status"] == "ok"

        # A frozen service is still subscribed but never answers: the edge gives up after its timeout.
        backends["streaming"].send(signal.SIGSTOP)
        try:
            frozen = await client.get("/api/health")
            assert frozen.status_code == 503
            streaming = frozen.json()["data"]["services"]["streaming"]
            assert streaming == {"status": "unavailable", "message": "The streaming service did not answer in time."}
            assert frozen.headers["retry-after"] == "1"
        finally:
            backends["streaming"].send(signal.SIGCONT)

        await services.start("records")
        recovered = await client.get("/api/health")
        assert recovered.status_code == 200, recovered.text


async def test_replicas_share_rpc_load_through_the_queue_group(services: ServiceGroup) -> None:
    import nats

    from oneclick_core.bus.rpc import RpcClient
    from oneclick_core.contracts.rpc import PingRequest, ping

    first, second = await asyncio.gather(services.start("k8s-executor"), services.start("k8s-executor"))
    nc = await nats.connect(services.env["ONECLICK_NATS_URL"])
    try:
        client = RpcClient(nc, "test")
        replies = [await client.call(ping("k8s-executor"), PingRequest()) for _ in range(40)]
    finally:
        await nc.close()
    instances = {reply.instance for reply in replies}
    assert len(instances) == 2
    assert {reply.admin_url for reply in replies} == {first.admin_url, second.admin_url}
