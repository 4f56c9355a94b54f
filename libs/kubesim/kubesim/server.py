"""Running kubesim: bind, start the cluster, serve HTTP(S), publish the kubeconfig, stop on SIGTERM/SIGINT."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import uvicorn

from kubesim import kubeconfig as kubeconfig_file
from kubesim import tls as tls_certs
from kubesim.app import create_app
from kubesim.cluster import Cluster
from kubesim.timings import Timings

log = logging.getLogger("kubesim")


@dataclass
class ServeOptions:
    host: str = "127.0.0.1"
    port: int = 0
    kubeconfig: Path | None = None
    state_file: Path | None = None
    tls: bool = False
    token: str | None = None
    watch_history: int = 1000
    seed: int | None = None
    log_level: str = "warning"


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling: kubesim stops itself (and saves state) on signals."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # The explicit protocol matters: asyncio only sets TCP_NODELAY on accepted sockets whose proto says TCP, and
    # without it every response waits ~40 ms on Nagle's algorithm.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _tls_files(options: ServeOptions, tls_dir: Path) -> tuple[dict[str, str], bytes | None]:
    """With ``--tls``: a fresh CA and serving certificate written into ``tls_dir``; (uvicorn's ssl options, the CA
    for the kubeconfig)."""
    if not options.tls:
        return {}, None
    certs = tls_certs.generate(options.host)
    cert_path, key_path = tls_dir / "server.crt", tls_dir / "server.key"
    cert_path.write_bytes(certs.cert_pem + certs.ca_pem)
    key_path.write_bytes(certs.key_pem)
    key_path.chmod(0o600)
    return {"ssl_certfile": str(cert_path), "ssl_keyfile": str(key_path)}, certs.ca_pem


def _url(options: ServeOptions, port: int) -> str:
    """Where clients reach the server: a wildcard address is where we listen, not where clients connect."""
    scheme = "https" if options.tls else "http"
    reachable = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(options.host, options.host)
    host = f"[{reachable}]" if ":" in reachable else reachable
    return f"{scheme}://{host}:{port}"


async def serve(timings: Timings, options: ServeOptions) -> None:
    """Serve until SIGTERM or SIGINT; the kubeconfig is written once the server accepts connections."""
    cluster = Cluster(timings, history_size=options.watch_history, seed=options.seed, state_file=options.state_file)
    sock = bind(options.host, options.port)
    port = sock.getsockname()[1]
    await cluster.start()
    app, api = create_app(cluster, options.token)
    api.server_address = f"{options.host}:{port}"
    with tempfile.TemporaryDirectory(prefix="kubesim-tls-") as tls_dir:
        ssl_files, ca_pem = _tls_files(options, Path(tls_dir))
        config = uvicorn.Config(
            app,
            log_level=options.log_level,
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=1,
            ws="none",
            http="h11",
            server_header=False,
            **ssl_files,  # type: ignore[arg-type]
        )
        server = _Server(config)
        loop = asyncio.get_running_loop()

        def stop() -> None:
            log.info("stopping")
            server.should_exit = True
            cluster.begin_shutdown()

        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop)
        serving = asyncio.create_task(server.serve(sockets=[sock]), name="kubesim-http")
        try:
            while not server.started:
                if serving.done():
                    await serving
                    raise RuntimeError("the HTTP server stopped while starting")
                await asyncio.sleep(0.01)
            url = _url(options, port)
            if options.kubeconfig is not None:
                kubeconfig_file.write(
                    options.kubeconfig, kubeconfig_file.render(url, ca_pem=ca_pem, token=options.token)
                )
            print(
                f"kubesim serving {url} (timings {timings.name}"
                f"{', kubeconfig ' + str(options.kubeconfig) if options.kubeconfig else ''})",
                flush=True,
            )
            await serving
        finally:
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(sig)
            if not serving.done():
                server.should_exit = True
                with contextlib.suppress(asyncio.CancelledError):
                    await serving
            await cluster.stop()
            sock.close()
