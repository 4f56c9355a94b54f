"""Settings of the edge, the platform's only public HTTP server."""

from __future__ import annotations

import ipaddress
from pathlib import Path

from pydantic import Field, field_validator

from oneclick_core.tenancy import TenancySettings


def _default_frontend_dir() -> Path:
    """The repository's frontend/build; installed as a package (not editable, as in the container image), the
    working directory's frontend/build."""
    in_repository = Path(__file__).resolve().parents[3] / "frontend" / "build"
    in_working_directory = Path.cwd() / "frontend" / "build"
    if not in_repository.is_dir() and in_working_directory.is_dir():
        return in_working_directory
    return in_repository


# The tenancy policy's settings: the edge enforces its per-user connection cap
# (tenancy_max_connections_per_user) on live sockets and realtime connections.
class EdgeSettings(TenancySettings):
    http_host: str = Field("127.0.0.1", description="Bind address of the public API.")
    http_port: int = Field(8090, ge=0, le=65535, description="Port of the public API (PocketBase's default).")
    health_timeout: float = Field(2.0, gt=0, description="Seconds /api/health waits for each service's ping.")
    key_refresh_interval: float = Field(
        1.0, gt=0, description="Least seconds between JWKS refreshes caused by tokens with an unknown kid."
    )
    user_state_ttl: float = Field(
        600.0, gt=0, description="Seconds a user's token version learned from auth is trusted without an event."
    )
    superuser_state_ttl: float = Field(5.0, gt=0, description="Seconds a superuser's token version is trusted.")
    trusted_proxies: str = Field(
        "127.0.0.1",
        description="Addresses or CIDR ranges (comma separated, `*` for any) of the proxies whose "
        "X-Forwarded-For/-Proto name the client: behind an ingress, its pods' network, or per-address login "
        "limits count every client as the ingress.",
    )
    ws_ping_interval: float = Field(
        20.0, gt=0, description="Seconds between WebSocket pings the edge sends to every live socket."
    )
    ws_ping_timeout: float = Field(
        20.0, gt=0, description="Seconds a WebSocket client has to answer a ping before it is disconnected."
    )
    frontend_dir: Path = Field(
        default_factory=_default_frontend_dir,
        description="The built web UI (`npm run build` in frontend/), served at /.",
    )

    @field_validator("trusted_proxies")
    @classmethod
    def _addresses_or_networks(cls, value: str) -> str:
        # uvicorn takes anything it cannot parse as a literal host name and never matches it: a typo would
        # silently stop trusting the ingress, so refuse it at start instead.
        items = [item.strip() for item in value.split(",") if item.strip()]
        for item in items:
            if item != "*":
                try:
                    ipaddress.ip_network(item, strict=False)
                except ValueError:
                    raise ValueError(f"{item!r} is neither an IP address, a CIDR range nor '*'") from None
        return ",".join(items)
