"""Settings shared by every service, read from the environment (prefix ``ONECLICK_``).

One-Click's own variables keep working: ``LOCAL``, ``LOCAL_KUBECONFIG_FILE`` and ``CRON_TICK``, and
``KUBECONFIG`` as every Kubernetes tool reads it.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from oneclick_core.ids import new_record_id


def _default_instance_id() -> str:
    # Hostname alone is not unique for several replicas on one machine (oneclick dev, tests).
    return f"{socket.gethostname()}-{os.getpid()}-{new_record_id()[:5]}"


class CoreSettings(BaseSettings):
    """What every service needs: where NATS and PostgreSQL are, how to log, where to serve admin."""

    model_config = SettingsConfigDict(env_prefix="ONECLICK_", extra="ignore", populate_by_name=True)

    dev: bool = Field(False, description="Development mode: console logs, embedded infrastructure defaults.")
    log_format: Literal["console", "json"] | None = Field(
        None, description="Log renderer; defaults to console in dev mode and JSON otherwise."
    )
    log_level: str = Field("info", description="Minimum log level (debug, info, warning, error).")

    nats_url: str | None = Field(None, description="NATS server URL(s), comma separated.")
    nats_user: str | None = None
    nats_password: SecretStr | None = None
    nats_creds_file: Path | None = Field(None, description="NATS credentials (.creds) file.")
    nats_tls_ca_file: Path | None = Field(None, description="CA that signed the NATS servers' certificates.")
    nats_tls_cert_file: Path | None = Field(
        None, description="Client certificate for NATS servers that verify clients (mutual TLS)."
    )
    nats_tls_key_file: Path | None = Field(None, description="Private key of the client certificate.")
    event_stream_replicas: int = Field(1, ge=1, le=5, description="JetStream replicas for the event streams.")

    database_url: SecretStr | None = Field(None, description="PostgreSQL URL for services that own a schema.")
    database_pool_max: int = Field(10, ge=1, le=200)
    migrate_on_start: bool = Field(
        True, description="Apply pending migrations at start (safe with replicas: advisory lock)."
    )

    outbox_relay: bool = Field(
        True, description="Run the outbox relay in this replica (turn off to relay from dedicated replicas only)."
    )

    admin_host: str = Field("127.0.0.1", description="Bind address of /healthz, /readyz and /metrics.")
    admin_port: int = Field(0, ge=0, le=65535, description="Admin port; 0 picks a free one.")

    rpc_timeout: float = Field(5.0, gt=0, description="Seconds an RPC caller waits for a reply.")
    instance_id: str = Field(default_factory=_default_instance_id)
    state_dir: Path = Field(Path(".oneclick"), description="Where embedded infrastructure keeps state.")

    kubeconfig: Path | None = Field(None, validation_alias=AliasChoices("ONECLICK_KUBECONFIG", "KUBECONFIG"))
    local: bool = Field(
        False,
        validation_alias=AliasChoices("ONECLICK_LOCAL", "LOCAL"),
        description="One-Click's LOCAL: use the local kubeconfig instead of in-cluster config.",
    )
    local_kubeconfig_file: Path = Field(
        Path("~/.kube/config"), validation_alias=AliasChoices("ONECLICK_LOCAL_KUBECONFIG_FILE", "LOCAL_KUBECONFIG_FILE")
    )
    cron_tick: str = Field(
        "*/1 * * * *",
        validation_alias=AliasChoices("ONECLICK_CRON_TICK", "CRON_TICK"),
        description="Cron expression of the auto-update scheduler tick.",
    )

    @field_validator(
        "nats_url",
        "database_url",
        "nats_user",
        "nats_creds_file",
        "nats_tls_ca_file",
        "nats_tls_cert_file",
        "nats_tls_key_file",
        "kubeconfig",
        mode="before",
    )
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        # `ONECLICK_DATABASE_URL=` must mean "not configured", never "connect with libpq's defaults".
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.lower()
        if level not in {"debug", "info", "warning", "error", "critical"}:
            raise ValueError(f"unknown log level {value!r}")
        return level

    @property
    def effective_log_format(self) -> Literal["console", "json"]:
        if self.log_format is not None:
            return self.log_format
        return "console" if self.dev else "json"

    @property
    def nats_servers(self) -> list[str]:
        if not self.nats_url:
            return []
        return [url.strip() for url in self.nats_url.split(",") if url.strip()]

    def effective_kubeconfig(self) -> Path | None:
        """The kubeconfig to use, or None for in-cluster configuration.

        ``KUBECONFIG`` wins; otherwise One-Click's ``LOCAL=true`` selects ``LOCAL_KUBECONFIG_FILE``.
        """
        if self.kubeconfig is not None:
            return self.kubeconfig.expanduser()
        if self.local:
            return self.local_kubeconfig_file.expanduser()
        return None
