"""The tenancy policy at save time, records' part of the three checks (docs/security.md): a rollout about to run
must pass its project's policy, fit the project's quota with the project's other running deployments, and serve
only ingress hosts no other project has claimed; a project's limits change only by a superuser's hand.

Everything happens in the caller's transaction: a claim taken for a rollout that is then refused is rolled back
with it, and the project's row lock serialises the rollouts of one project, so two of them can't both fit the
quota's last room or take the same host.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import asyncpg
from pydantic import ValidationError

from oneclick_core.contracts.auth import Actor
from oneclick_core.contracts.records import ProjectLimitsView, TenancyView
from oneclick_core.errors import ApiError, field_error
from oneclick_core.tenancy import ProjectLimits, TenancyPolicy, TenancySettings
from oneclick_manifest.guardrails import Usage, add_usage, ingress_hosts, policy_errors, quota_errors, usage
from oneclick_manifest.model import RolloutManifest, manifest_error_data

FieldErrors = dict[str, dict[str, str]]
HOST_IN_USE = field_error("validation_host_in_use", "Host already in use by another project.")


def project_limits(value: object) -> ProjectLimits | None:
    """A project's stored limits (None: the platform's defaults)."""
    if not value:
        return None
    return ProjectLimits.model_validate(value)


# The projects with limits of their own a superuser's view lists, newest change first.
VIEW_PROJECTS_MAX = 500


class Tenancy:
    """The platform's default policy, and each project's policy as its limits make it."""

    def __init__(self, settings: TenancySettings) -> None:
        self.defaults = settings.tenancy_policy()
        self._settings = settings

    async def view(self, conn: asyncpg.Connection, actor: Actor) -> TenancyView:
        """The policy in force, for superusers (it names projects of every user)."""
        if not actor.is_superuser:
            raise ApiError.forbidden()
        rows = await conn.fetch(
            "SELECT id, name, limits FROM projects WHERE limits IS NOT NULL ORDER BY updated DESC LIMIT $1",
            VIEW_PROJECTS_MAX,
        )
        networks = self._settings.registry_allowed_networks()
        return TenancyView(
            policy=self.defaults,
            registryAllowedNetworks=["*"] if networks == "*" else [str(network) for network in networks],
            maxConnectionsPerUser=self._settings.tenancy_max_connections_per_user,
            projects=[ProjectLimitsView(id=row["id"], name=row["name"], limits=row["limits"]) for row in rows],
        )

    async def policy_of(self, conn: asyncpg.Connection, project_id: str) -> TenancyPolicy:
        return self.defaults.with_limits(
            project_limits(await conn.fetchval("SELECT limits FROM projects WHERE id = $1", project_id))
        )

    async def check_running(
        self,
        conn: asyncpg.Connection,
        *,
        project: str,
        deployment: str,
        manifest: Mapping[str, Any],
        errors: FieldErrors,
    ) -> None:
        """A rollout of ``deployment`` is about to run ``manifest`` (validated already): add what the project's
        policy refuses to ``errors`` (keyed ``manifest.…``) and claim its ingress hosts for the project."""
        await conn.execute("SELECT 1 FROM projects WHERE id = $1 FOR UPDATE", project)
        try:
            parsed = RolloutManifest.model_validate(manifest)
        except ValidationError as error:
            # A rollback to a manifest stored before today's validation rules: refused like a new one would be.
            errors.update(manifest_error_data(error))
            return
        policy = await self.policy_of(conn, project)
        found = policy_errors(parsed, policy, project_id=project, deployment_id=deployment)
        found |= quota_errors(parsed, await self._others_usage(conn, project, deployment), policy)
        for field in await self._claim_hosts(conn, project, parsed):
            found.setdefault(field, HOST_IN_USE)
        for field, problem in found.items():
            errors.setdefault(f"manifest.{field}", problem)

    async def _others_usage(self, conn: asyncpg.Connection, project: str, deployment: str) -> Usage:
        rows = await conn.fetch(
            "SELECT manifest FROM rollouts WHERE project = $1 AND end_date IS NULL AND deployment <> $2",
            project,
            deployment,
        )
        usages: list[Usage] = []
        for row in rows:
            try:
                usages.append(usage(RolloutManifest.model_validate(row["manifest"])))
            except ValidationError:
                continue  # the executor refuses to apply it, so it runs nothing
        return add_usage(*usages)

    async def _claim_hosts(self, conn: asyncpg.Connection, project: str, manifest: RolloutManifest) -> list[str]:
        """Claim the manifest's hosts for the project; the fields of those another project holds."""
        hosts = ingress_hosts(manifest)
        if not hosts:
            return []
        await conn.executemany(
            "INSERT INTO ingress_hosts (host, project) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            [(host, project) for host in hosts],
        )
        rows = await conn.fetch(
            "SELECT host FROM ingress_hosts WHERE host = ANY ($1) AND project <> $2", list(hosts), project
        )
        return [hosts[row["host"]] for row in rows]


async def release_hosts(conn: asyncpg.Connection, project: str) -> None:
    """Give up the project's hosts that none of its running rollouts serves any more."""
    await conn.execute(
        "DELETE FROM ingress_hosts h WHERE h.project = $1 AND NOT EXISTS ("
        "SELECT 1 FROM rollouts r WHERE r.project = $1 AND r.end_date IS NULL AND jsonb_path_exists(r.manifest, "
        "'$.spec.interfaces[*].ingress.rules[*].host ? (@ == $host)', jsonb_build_object('host', h.host)))",
        project,
    )


def check_limits(actor: Actor, values: dict[str, Any], errors: FieldErrors, current: object = None) -> None:
    """A project's ``limits``: only superusers change them (sending them back unchanged is no change)."""
    if "limits" not in values:
        return
    if (values["limits"] or None) == (current or None):
        del values["limits"]  # unchanged (a form that sends the whole record back): nothing to write
        return
    if not actor.is_superuser:
        errors["limits"] = field_error("validation_superusers_only", "Only superusers can change a project's limits.")
        return
    try:
        limits = project_limits(values["limits"])
    except ValidationError as error:
        errors.update(manifest_error_data(error, prefix="limits"))
        return
    values["limits"] = limits.model_dump(mode="json", by_alias=True, exclude_none=True) if limits else None
