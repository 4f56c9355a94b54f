"""The life of a service process: settings → logging → NATS (+ PostgreSQL) → handlers → graceful stop.

Every service is a :class:`ServiceSpec`; ``oneclick service NAME`` finds it by entry point and calls
:func:`run_service`. The runtime owns signals and the order of shutdown: stop taking RPCs and messages,
let work in progress finish, flush NATS, close the pool, stop the admin server.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any, Generic, TypeVar

import asyncpg
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext
from prometheus_client import CollectorRegistry

from oneclick_core.bus.connection import connect
from oneclick_core.bus.consuming import ConsumerOptions, EventConsumer, EventHandler
from oneclick_core.bus.rpc import RpcClient, RpcServer
from oneclick_core.bus.streams import ensure_streams
from oneclick_core.bus.watchdog import ConnectionWatchdog
from oneclick_core.contracts.rpc import PingRequest, PingResponse, ping
from oneclick_core.observability.logs import configure_logging, get_logger
from oneclick_core.observability.metrics import BusMetrics
from oneclick_core.runtime.admin import admin_app
from oneclick_core.runtime.database import create_pool, wait_for_database
from oneclick_core.runtime.database import ping as ping_database
from oneclick_core.runtime.migrations import Migration, migrate
from oneclick_core.runtime.outbox import OutboxRelay
from oneclick_core.runtime.serving import AsgiServer
from oneclick_core.settings import CoreSettings
from oneclick_core.timestamps import utcnow

log = get_logger(__name__)

S = TypeVar("S", bound=CoreSettings)


@dataclass(frozen=True)
class ServiceSpec(Generic[S]):
    """What makes a process one of the platform's services."""

    name: str
    settings: type[S]
    setup: Callable[[ServiceRuntime[S]], Awaitable[None]]
    distribution: str
    schema: str | None = None
    migrations: Callable[[], list[Migration]] = field(default=list)
    outbox: bool = False


@dataclass
class _Worker:
    name: str
    run: Callable[[], Awaitable[None]]
    stop: Callable[[], Awaitable[None]]
    task: asyncio.Task[None] | None = None


class ServiceRuntime(Generic[S]):
    """The connections and workers of one service process, handed to the service's ``setup``."""

    def __init__(self, spec: ServiceSpec[S], settings: S) -> None:
        self.spec = spec
        self.settings = settings
        self.name = spec.name
        self.registry = CollectorRegistry()
        self.metrics = BusMetrics.create(self.registry)
        self.started = utcnow()
        self.version = _version(spec.distribution)
        self._nc: NATS | None = None
        self._js: JetStreamContext | None = None
        self._pool: asyncpg.Pool | None = None
        self._rpc_server: RpcServer | None = None
        self._rpc_client: RpcClient | None = None
        self._admin: AsgiServer | None = None
        self._workers: list[_Worker] = []
        self._shutdown_hooks: list[Callable[[], Awaitable[None]]] = []
        self._ready = False
        self._stop_requested = asyncio.Event()
        self.failed = False

    # -- what handlers use -------------------------------------------------------------------------
    @property
    def nc(self) -> NATS:
        assert self._nc is not None, "NATS is connected during start()"
        return self._nc

    @property
    def js(self) -> JetStreamContext:
        assert self._js is not None
        return self._js

    @property
    def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise RuntimeError(f"{self.name} has no database schema")
        return self._pool

    @property
    def rpc(self) -> RpcServer:
        assert self._rpc_server is not None
        return self._rpc_server

    @property
    def rpc_client(self) -> RpcClient:
        assert self._rpc_client is not None
        return self._rpc_client

    @property
    def admin_url(self) -> str | None:
        return self._admin.url if self._admin else None

    def add_worker(self, name: str, run: Callable[[], Awaitable[None]], stop: Callable[[], Awaitable[None]]) -> None:
        """A long-running loop started after setup and stopped (via ``stop``) before NATS drains."""
        self._workers.append(_Worker(name, run, stop))

    def consume(self, options: ConsumerOptions, handler: EventHandler) -> EventConsumer:
        consumer = EventConsumer(self.js, options, handler, metrics=self.metrics)
        self.add_worker(f"consumer:{options.durable}", consumer.run, consumer.stop)
        return consumer

    def serve_http(self, server: AsgiServer) -> None:
        """Serve a public HTTP app: started with the workers, stopped first on shutdown."""

        async def run() -> None:
            await server.start()
            log.info("http.listening", url=server.url)

        self._workers.insert(0, _Worker("http", run, server.stop))

    def on_shutdown(self, hook: Callable[[], Awaitable[None]]) -> None:
        self._shutdown_hooks.append(hook)

    def request_stop(self) -> None:
        self._stop_requested.set()

    async def readiness(self) -> dict[str, str]:
        checks: dict[str, str] = {"started": "ok" if self._ready else "starting"}
        checks["nats"] = "ok" if self._nc is not None and self._nc.is_connected else "disconnected"
        if self.spec.schema is not None:
            if self._pool is None:
                checks["database"] = "connecting"
            else:
                try:
                    await ping_database(self._pool)
                    checks["database"] = "ok"
                except Exception as exc:
                    checks["database"] = f"unavailable: {type(exc).__name__}"
        return checks

    # -- lifecycle ----------------------------------------------------------------------------------
    async def start(self) -> None:
        settings = self.settings
        self._admin = AsgiServer(
            admin_app(self.readiness, self.registry), settings.admin_host, settings.admin_port, lifespan="off"
        )
        await self._admin.start()
        log.info("service.starting", version=self.version, admin=self._admin.url, instance=settings.instance_id)

        self._nc = await connect(settings, f"{self.name}:{settings.instance_id}")
        self._js = self._nc.jetstream()
        await ensure_streams(self._js, settings.event_stream_replicas)
        self._rpc_server = RpcServer(self._nc, self.name, metrics=self.metrics)
        self._rpc_client = RpcClient(self._nc, self.name, timeout=settings.rpc_timeout, metrics=self.metrics)
        watchdog = ConnectionWatchdog(self._nc)
        self.add_worker("nats-watchdog", watchdog.run, watchdog.stop)

        if self.spec.schema is not None:
            await self._open_database()

        self._rpc_server.register(ping(self.name), self._ping)
        await self.spec.setup(self)
        await self._rpc_server.start()
        for worker in self._workers:
            worker.task = asyncio.create_task(self._supervise(worker), name=worker.name)
        self._ready = True
        log.info("service.ready", rpc=f"oneclick.rpc.{self.name}.>")

    async def _open_database(self) -> None:
        settings = self.settings
        if settings.database_url is None:
            raise RuntimeError(f"ONECLICK_DATABASE_URL is not set: {self.name} keeps its data in PostgreSQL")
        schema = self.spec.schema
        assert schema is not None
        dsn = settings.database_url.get_secret_value()
        await wait_for_database(dsn)
        self._pool = await create_pool(dsn, schema, max_size=settings.database_pool_max)
        if settings.migrate_on_start:
            async with self._pool.acquire() as conn:
                await migrate(conn, schema, self.spec.migrations())
        if self.spec.outbox and settings.outbox_relay:
            relay = OutboxRelay(self._pool, self.js, schema)
            self.add_worker("outbox-relay", relay.run, relay.stop)

    async def _supervise(self, worker: _Worker) -> None:
        try:
            await worker.run()
        except asyncio.CancelledError:
            raise
        except Exception:
            # A dead worker means the service no longer does its job: stop, let the supervisor restart us.
            log.exception("worker.crashed", worker=worker.name)
            self.failed = True
            self.request_stop()

    async def _ping(self, _: PingRequest) -> PingResponse:
        checks = await self.readiness()
        return PingResponse(
            service=self.name,
            instance=self.settings.instance_id,
            version=self.version,
            started=self.started,
            ready=all(v == "ok" for v in checks.values()),
            checks=checks,
            admin_url=self.admin_url,
        )

    async def stop(self, grace: float = 10.0) -> None:
        self._ready = False
        log.info("service.stopping")
        if self._rpc_server is not None:
            await self._rpc_server.stop(grace)
        for worker in self._workers:
            with contextlib.suppress(Exception):
                await worker.stop()
        tasks = [w.task for w in self._workers if w.task is not None]
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=grace)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        for hook in reversed(self._shutdown_hooks):
            with contextlib.suppress(Exception):
                await hook()
        if self._nc is not None and not self._nc.is_closed:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._nc.drain(), timeout=grace)
        if self._pool is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._pool.close(), timeout=grace)
        if self._admin is not None:
            await self._admin.stop()
        log.info("service.stopped")

    async def run_until_stopped(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.request_stop)
        started = time.perf_counter()
        try:
            start = asyncio.create_task(self.start())
            stop_wait = asyncio.create_task(self._stop_requested.wait())
            done, _ = await asyncio.wait({start, stop_wait}, return_when=asyncio.FIRST_COMPLETED)
            if start in done:
                start.result()
                log.info("service.started", seconds=round(time.perf_counter() - started, 3))
                await stop_wait
            else:
                start.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await start
        finally:
            await self.stop()


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "0.0.0+unknown"


def run_service(spec: ServiceSpec[Any], settings: CoreSettings | None = None) -> None:
    """Run one service in this process until SIGTERM/SIGINT."""
    resolved = settings if settings is not None else spec.settings()
    configure_logging(spec.name, resolved.effective_log_format, resolved.log_level)
    try:
        import uvloop

        runner: Callable[[Any], Any] = uvloop.run
    except ImportError:  # pragma: no cover - uvloop is a dependency; keep pure-asyncio as a fallback
        runner = asyncio.run
    runtime = ServiceRuntime(spec, resolved)
    runner(runtime.run_until_stopped())
    if runtime.failed:
        raise SystemExit(1)
