"""``kubesim serve``: the command line of the emulator."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Annotated

import typer

from kubesim.server import ServeOptions, serve
from kubesim.timings import PRESETS, preset

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="kubesim: a Kubernetes API server emulator with controllers that make objects behave.",
)


@app.callback()
def main() -> None:
    """kubesim: a Kubernetes API server emulator."""


@app.command("serve")
def serve_command(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on; 0 picks a free one.")] = 0,
    kubeconfig: Annotated[Path | None, typer.Option(help="Write a kubeconfig here once serving.")] = None,
    state_file: Annotated[
        Path | None, typer.Option(help="Snapshot file: restored at start, written while running and at shutdown.")
    ] = None,
    timings: Annotated[str, typer.Option(help=f"How fast things happen: {', '.join(PRESETS)}.")] = "realistic",
    tls: Annotated[bool, typer.Option("--tls/--no-tls", help="Serve HTTPS with a generated CA.")] = False,
    token: Annotated[str | None, typer.Option(help="Require this bearer token.")] = None,
    watch_history: Annotated[
        int, typer.Option(help="Watch events kept per resource; older resourceVersions get 410 Expired.")
    ] = 1000,
    seed: Annotated[int | None, typer.Option(help="Seed for generated names and uids.")] = None,
    log_level: Annotated[str, typer.Option(help="debug, info, warning or error.")] = "info",
) -> None:
    """Serve the Kubernetes API until SIGTERM or SIGINT."""
    try:
        chosen = preset(timings)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--timings") from None
    logging.basicConfig(
        level=getattr(logging, log_level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    options = ServeOptions(
        host=host,
        port=port,
        kubeconfig=kubeconfig,
        state_file=state_file,
        tls=tls,
        token=token,
        watch_history=watch_history,
        seed=seed,
        log_level="warning" if log_level.lower() in ("info", "debug") else log_level.lower(),
    )
    asyncio.run(serve(chosen, options))


if __name__ == "__main__":
    app()
