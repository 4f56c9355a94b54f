"""The edge service: the platform's only public HTTP server (no schema; it calls services over RPC)."""

from __future__ import annotations

from oneclick_core.runtime.service import ServiceRuntime, ServiceSpec
from oneclick_core.runtime.serving import AsgiServer
from oneclick_edge.app import create_app
from oneclick_edge.authenticator import Authenticator
from oneclick_edge.context import EdgeContext
from oneclick_edge.live.hub import LiveHub
from oneclick_edge.live.settings import LiveSettings
from oneclick_edge.realtime import RealtimeBroker
from oneclick_edge.settings import EdgeSettings


async def setup(runtime: ServiceRuntime[EdgeSettings]) -> None:
    settings = runtime.settings
    authenticator = Authenticator(
        runtime.rpc_client,
        key_refresh_interval=settings.key_refresh_interval,
        user_state_ttl=settings.user_state_ttl,
        superuser_state_ttl=settings.superuser_state_ttl,
    )
    await authenticator.follow_user_events(runtime.js)
    runtime.on_shutdown(authenticator.stop)
    realtime = RealtimeBroker(
        runtime.nc,
        runtime.rpc_client,
        authenticator,
        max_connections_per_user=settings.tenancy_max_connections_per_user,
    )
    await realtime.start()
    runtime.on_shutdown(realtime.stop)
    live = LiveHub(
        runtime.nc,
        runtime.js,
        runtime.rpc_client,
        settings.instance_id,
        LiveSettings(),
        bucket_replicas=settings.event_stream_replicas,
        max_connections_per_user=settings.tenancy_max_connections_per_user,
    )
    await live.start()
    runtime.on_shutdown(live.stop)
    context = EdgeContext(
        settings=settings,
        rpc=runtime.rpc_client,
        instance=settings.instance_id,
        version=runtime.version,
        authenticator=authenticator,
        nc=runtime.nc,
        realtime=realtime,
        live=live,
    )
    # Heartbeats: a live socket whose client stops answering pings (a vanished laptop, a dead proxy) is closed
    # instead of holding its watches and queues forever.
    server = AsgiServer(
        create_app(context),
        settings.http_host,
        settings.http_port,
        lifespan="off",
        proxy_headers=True,
        forwarded_allow_ips=settings.trusted_proxies,
        ws_ping_interval=settings.ws_ping_interval,
        ws_ping_timeout=settings.ws_ping_timeout,
        timeout_graceful_shutdown=10,
    )
    runtime.serve_http(server)


SERVICE = ServiceSpec(name="edge", settings=EdgeSettings, setup=setup, distribution="oneclick-edge")
