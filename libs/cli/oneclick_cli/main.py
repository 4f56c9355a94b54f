"""The ``oneclick`` command."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import asyncpg
import typer

from oneclick_cli.dev import run_dev
from oneclick_cli.discovery import load_service, service_names
from oneclick_core.bus.connection import connect
from oneclick_core.bus.rpc import RpcClient
from oneclick_core.contracts.auth import CREATE_SUPERUSER, CreateSuperuserRequest
from oneclick_core.contracts.catalog import render_markdown
from oneclick_core.errors import ApiError
from oneclick_core.observability.logs import configure_logging
from oneclick_core.runtime.database import wait_for_database
from oneclick_core.runtime.migrations import migrate
from oneclick_core.runtime.service import run_service
from oneclick_core.settings import CoreSettings

app = typer.Typer(
    help="One-Click: self-service deployments on Kubernetes.", no_args_is_help=True, pretty_exceptions_enable=False
)
superuser_app = typer.Typer(help="Manage superusers (through the running auth service).", no_args_is_help=True)
app.add_typer(superuser_app, name="superuser")


def _parse_replicas(values: list[str]) -> dict[str, int]:
    replicas: dict[str, int] = {}
    for value in values:
        name, _, count = value.partition("=")
        if name not in service_names() or not count.isdigit() or int(count) < 1:
            raise typer.BadParameter(f"expected SERVICE=N with a known service and N >= 1, got {value!r}")
        replicas[name] = int(count)
    return replicas


@app.command()
def dev(
    http_host: Annotated[str, typer.Option(envvar="ONECLICK_HTTP_HOST")] = "127.0.0.1",
    http_port: Annotated[int, typer.Option(envvar="ONECLICK_HTTP_PORT")] = 8090,
    replicas: Annotated[list[str], typer.Option("--replicas", "-r", help="e.g. -r records=2")] = [],  # noqa: B006
    only: Annotated[list[str], typer.Option("--only", help="run only these services")] = [],  # noqa: B006
    kubesim_timings: Annotated[str, typer.Option(help="fast or realistic")] = "realistic",
) -> None:
    """Start embedded infrastructure (where not configured) and every service as its own process."""
    for name in only:
        if name not in service_names():
            raise typer.BadParameter(f"unknown service {name!r}")
    run_dev(
        CoreSettings(),
        http_host=http_host,
        http_port=http_port,
        replicas=_parse_replicas(replicas),
        only=only or None,
        kubesim_timings=kubesim_timings,
    )


@app.command()
def service(name: Annotated[str, typer.Argument(help="edge, auth, records, k8s-executor, streaming, updater")]) -> None:
    """Run one service against the configured infrastructure (what a container runs)."""
    try:
        spec = load_service(name)
    except LookupError as exc:
        raise typer.BadParameter(str(exc)) from None
    run_service(spec)


@app.command(name="migrate")
def migrate_command(
    only: Annotated[list[str], typer.Option("--service", help="migrate only this service's schema")] = [],  # noqa: B006
) -> None:
    """Apply pending database migrations of every service that owns a schema."""
    settings = CoreSettings()
    configure_logging("migrate", settings.effective_log_format, settings.log_level)
    if settings.database_url is None:
        raise typer.BadParameter("ONECLICK_DATABASE_URL is not set")
    dsn = settings.database_url.get_secret_value()
    specs = [load_service(name) for name in service_names() if not only or name in only]

    async def run() -> None:
        await wait_for_database(dsn, attempts=10)
        conn = await asyncpg.connect(dsn)
        try:
            for spec in specs:
                if spec.schema is None:
                    continue
                applied = await migrate(conn, spec.schema, spec.migrations())
                typer.echo(f"{spec.schema}: {len(applied)} applied" + (f" ({', '.join(applied)})" if applied else ""))
        finally:
            await conn.close()

    asyncio.run(run())


@app.command()
def catalog(
    output: Annotated[Path, typer.Option(help="where to write the catalog")] = Path("docs/events.md"),
    check: Annotated[bool, typer.Option(help="exit 1 if the file is out of date instead of writing it")] = False,
) -> None:
    """Generate the catalog of every event and RPC (docs/events.md)."""
    text = render_markdown()
    if check:
        if not output.exists() or output.read_text() != text:
            typer.echo(f"{output} is out of date; run `oneclick catalog`", err=True)
            raise typer.Exit(1)
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text)
    typer.echo(f"wrote {output}")


@superuser_app.command("create")
def superuser_create(
    email: Annotated[str, typer.Argument(help="the superuser's email")],
    password: Annotated[str | None, typer.Option(help="omit to be prompted (keeps it out of shell history)")] = None,
) -> None:
    """Create a superuser, or set the password of an existing one. Needs the auth service running."""
    settings = CoreSettings()
    if not settings.nats_servers:
        raise typer.BadParameter("ONECLICK_NATS_URL is not set: point it at the platform's NATS")
    secret = password or typer.prompt("Password", hide_input=True, confirmation_prompt=True)

    async def run() -> None:
        nc = await connect(settings, "oneclick-cli", attempts=3)
        try:
            record = await RpcClient(nc, "cli", timeout=max(settings.rpc_timeout, 10.0)).call(
                CREATE_SUPERUSER, CreateSuperuserRequest(email=email, password=secret)
            )
        finally:
            await nc.close()
        typer.echo(f"superuser {record.email} ({record.id}) is ready")

    try:
        asyncio.run(run())
    except ApiError as exc:
        details = "; ".join(
            f"{field}: {error.get('message')}" for field, error in exc.data.items() if isinstance(error, dict)
        )
        typer.echo(f"error: {exc.message}" + (f" ({details})" if details else ""), err=True)
        raise typer.Exit(1) from None
