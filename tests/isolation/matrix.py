"""The tenant isolation matrix: what every route of the edge gives anonymous, another user, the owner and a
superuser.

A row names the route as the application declares it (method and path template), the concrete request
made against the owner's records, and what each principal must get. ``SEES``: a success that contains the
owner's record; ``BLIND``: a success that does not (a list filtered by the access rule); a number: that
status in PocketBase's error shape (for WebSockets: the close code 4000 + status, e.g. 4403). Rows whose probe would
change what it reaches name a ``fresh`` target, made anew for each principal.

``test_every_route_has_a_row`` fails for a route without a row, so a new endpoint has to state who may
use it before it can be merged.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .world import PIXEL, Role, World, manifest

Json = dict[str, Any]


class Outcome:
    SEES = "sees the owner's data"
    BLIND = "succeeds without the owner's data"


SEES, BLIND = Outcome.SEES, Outcome.BLIND
Expected = int | str
Fresh = Callable[[World, Role], Awaitable[dict[str, str]]]

ANONYMOUS, OTHER, OWNER, SUPERUSER = Role.ANONYMOUS, Role.OTHER, Role.OWNER, Role.SUPERUSER


def roles(anonymous: Expected, other: Expected, owner: Expected, superuser: Expected) -> dict[Role, Expected]:
    return {ANONYMOUS: anonymous, OTHER: other, OWNER: owner, SUPERUSER: superuser}


def everyone(outcome: Expected) -> dict[Role, Expected]:
    return roles(outcome, outcome, outcome, outcome)


PRIVATE = roles(401, 404, SEES, SEES)


@dataclass(frozen=True)
class Row:
    method: str  # an HTTP method, or "WS"
    template: str  # the path as the route declares it
    path: str  # the request's path, {names} filled from World.ids (and ``fresh``)
    expect: Mapping[Role, Expected]
    marker: str | None = None  # the id (key of World.ids) whose presence SEES/BLIND look for
    json: Json | None = None  # the body; with ``files``, its form fields instead
    files: dict[str, tuple[str, bytes, str]] | None = None  # makes the body multipart/form-data
    fresh: Fresh | None = None
    # Principals that act with the fresh target's own token (probes of one's own account).
    acting: frozenset[Role] = frozenset()
    # After a refused write: this path still answers, unchanged (no "intruder-<nonce>" in it).
    survives: str | None = None

    @property
    def route(self) -> tuple[str, str]:
        return self.method, self.template

    @property
    def id(self) -> str:
        return f"{self.method} {self.path}"


# -- fresh targets -----------------------------------------------------------------------------------------


def fresh_record(collection: str) -> Fresh:
    async def make(world: World, _: Role) -> dict[str, str]:
        ids = world.ids
        data: dict[str, Json | str | bool] = {
            "projects": {"name": "doomed"},
            "deployments": {"name": "doomed", "project": ids["project"]},
            "rollouts": {"project": ids["project"], "deployment": ids["deployment"], "manifest": manifest()},
            "autoUpdates": {"project": ids["project"], "deployment": ids["deployment"], "interval": "1h"},
            "blueprints": {"name": "doomed", "manifest": manifest(), "private": True},
        }[collection]
        if collection == "rollouts":
            # A rollout of a deployment of its own, so the matrix's running rollout stays the running one.
            deployment = await world.create("deployments", name="spare", project=ids["project"])
            data = {**data, "deployment": deployment["id"]}
        record = await world.create(collection, **data)
        return {"target": record["id"]}

    return make


async def fresh_user(world: World, _: Role) -> dict[str, str]:
    """A user of its own: the caller when a probe acts on its own account (``acting``), else the target."""
    user = await world.new_user()
    return {"target": user.id, "target_token": user.token}


async def fresh_realtime_client(world: World, _: Role) -> dict[str, str]:
    return {"client_id": await world.realtime_client()}


async def fresh_pod(world: World, _: Role) -> dict[str, str]:
    return {"pod": await world.pod()}


async def fresh_job(world: World, _: Role) -> dict[str, str]:
    return {"job": await world.job()}


# -- the table ---------------------------------------------------------------------------------------------

RECORD_COLLECTIONS = ("projects", "deployments", "rollouts", "autoUpdates", "blueprints")
ID_KEY = {
    "projects": "project",
    "deployments": "deployment",
    "rollouts": "rollout",
    "autoUpdates": "autoUpdate",
    "blueprints": "blueprint",
}
# A change the owner could make to each collection; "intruder-<nonce>" marks it, so a refused one can be
# looked for.
PATCHES: dict[str, Json] = {
    "projects": {"name": "intruder-{nonce}"},
    "deployments": {"name": "intruder-{nonce}"},
    "rollouts": {"hide": True},
    "autoUpdates": {"pattern": "intruder-{nonce}"},
    "blueprints": {"name": "intruder-{nonce}"},
}


def _creations() -> dict[str, Json]:
    """A record in the owner's project, the owner named as its owner: only the owner (and superusers, who
    may create on anyone's behalf) succeed; another user gets field errors, never a record in it."""
    return {
        "projects": {"name": "created", "user": "{user}"},
        "deployments": {"name": "created", "project": "{project}", "user": "{user}"},
        "rollouts": {"project": "{project}", "deployment": "{spare}", "manifest": manifest(), "user": "{user}"},
        "autoUpdates": {"project": "{project}", "deployment": "{deployment}", "interval": "1h", "user": "{user}"},
        "blueprints": {"name": "created", "manifest": manifest(), "owner": "{user}"},
    }


def _record_rows() -> list[Row]:
    rows: list[Row] = []
    creations = _creations()
    base = "/api/collections/{collection}/records"
    for collection in RECORD_COLLECTIONS:
        key = ID_KEY[collection]
        records = f"/api/collections/{collection}/records"
        record = f"{records}/{{{key}}}"
        rows += [
            Row("GET", base, records + "?perPage=500", roles(401, BLIND, SEES, SEES), marker=key),
            Row("GET", base + "/{record_id}", record, PRIVATE, marker=key),
            Row("POST", base, records, roles(401, 400, 200, 200), json=creations[collection]),
            Row(
                "PATCH",
                base + "/{record_id}",
                record,
                roles(401, 404, 200, 200),
                json=PATCHES[collection],
                survives=record,
            ),
            Row(
                "DELETE",
                base + "/{record_id}",
                f"{records}/{{target}}",
                roles(401, 404, 204, 204),
                fresh=fresh_record(collection),
                survives=f"{records}/{{target}}",
            ),
        ]
    rows.append(
        Row(
            "GET",
            "/api/files/{collection}/{record_id}/{filename}",
            "/api/files/projects/{project}/{project_avatar}",
            roles(401, 404, 200, 200),
        )
    )
    return rows


def _users_rows() -> list[Row]:
    rows: list[Row] = []
    for name in ("users", "_pb_users_auth_"):
        records = f"/api/collections/{name}/records"
        patch = Row(
            "PATCH",
            records + "/{record_id}",
            records + "/{user}",
            roles(401, 404, 200, 200),
            json={"name": "intruder-{nonce}"},
            survives=records + "/{user}",
        )
        if name == "_pb_users_auth_":
            # The alias takes an upload instead (multipart, as the SDK sends files). It targets a fresh user,
            # whom the owner plays: replacing the owner's own avatar would break the file rows' probe of it.
            patch = Row(
                "PATCH",
                records + "/{record_id}",
                records + "/{target}",
                roles(401, 404, 200, 200),
                json={"name": "intruder-{nonce}"},
                files={"avatar": ("intruder.png", PIXEL, "image/png")},
                fresh=fresh_user,
                acting=frozenset({OWNER}),
                survives=records + "/{target}",
            )
        rows += [
            # Sign-up is open to anyone; a token sent with it is ignored.
            Row(
                "POST",
                records,
                records,
                everyone(200),
                json={"email": "signup-{nonce}@example.com", "password": "{password}", "passwordConfirm": "{password}"},
            ),
            Row("GET", records + "/{record_id}", records + "/{user}", PRIVATE, marker="user"),
            patch,
            Row(
                "DELETE",
                records + "/{record_id}",
                records + "/{target}",
                roles(401, 404, 204, 204),
                fresh=fresh_user,
                acting=frozenset({OWNER}),
                survives=records + "/{target}",
            ),
            Row(
                "GET",
                f"/api/files/{name}/{{record_id}}/{{filename}}",
                f"/api/files/{name}/{{user}}/{{user_avatar}}",
                roles(401, 404, 200, 200),
            ),
        ]
    return rows


def _auth_rows() -> list[Row]:
    template = "/api/collections/{collection}/"
    wrong_password = {"identity": "{email}", "password": "not the password"}
    rows = [
        Row(
            "POST",
            template + "auth-with-password",
            "/api/collections/users/auth-with-password",
            everyone(400),
            json=wrong_password,
        ),
        Row(
            "POST",
            template + "auth-with-password",
            "/api/collections/_superusers/auth-with-password",
            everyone(400),
            json=wrong_password,
        ),
        Row(
            "POST",
            "/api/admins/auth-with-password",
            "/api/admins/auth-with-password",
            everyone(400),
            json=wrong_password,
        ),
        # A refresh answers the caller's own record; a superuser's token is not one of the users collection's.
        Row(
            "POST",
            template + "auth-refresh",
            "/api/collections/users/auth-refresh",
            roles(401, BLIND, SEES, 401),
            marker="user",
        ),
        Row("GET", template + "auth-methods", "/api/collections/users/auth-methods", everyone(200)),
        Row(
            "POST",
            template + "auth-with-oauth2",
            "/api/collections/users/auth-with-oauth2",
            everyone(400),
            json={"provider": "github", "code": "x", "codeVerifier": "y", "redirectURL": "http://127.0.0.1/"},
        ),
        Row(
            "POST",
            template + "request-password-reset",
            "/api/collections/users/request-password-reset",
            everyone(204),
            json={"email": "{email}"},
        ),
        Row(
            "POST",
            template + "confirm-password-reset",
            "/api/collections/users/confirm-password-reset",
            everyone(400),
            json={"token": "forged", "password": "{password}", "passwordConfirm": "{password}"},
        ),
        Row(
            "POST",
            template + "request-verification",
            "/api/collections/users/request-verification",
            everyone(204),
            json={"email": "{email}"},
        ),
        Row(
            "POST",
            template + "confirm-verification",
            "/api/collections/users/confirm-verification",
            everyone(400),
            json={"token": "forged"},
        ),
        # Revokes the caller's own tokens: a user of its own plays the owner (see fresh_user).
        Row(
            "POST",
            template + "auth-logout-all",
            "/api/collections/users/auth-logout-all",
            roles(401, 204, 204, 404),
            fresh=fresh_user,
            acting=frozenset({OTHER, OWNER}),
        ),
        Row("GET", "/api/.well-known/jwks.json", "/api/.well-known/jwks.json", everyone(200)),
    ]
    return rows


def _platform_rows() -> list[Row]:
    rows = [
        Row("GET", "/api/health", "/api/health", everyone(200)),
        Row("GET", "/api/openapi.json", "/api/openapi.json", everyone(200)),
        # The SSE connection is anonymous as in PocketBase; what it delivers is decided per subscription
        # (test_realtime_topics).
        Row("GET", "/api/realtime", "/api/realtime", everyone(200)),
        Row(
            "POST",
            "/api/realtime",
            "/api/realtime",
            everyone(204),
            fresh=fresh_realtime_client,
            json={"clientId": "{client_id}", "subscriptions": ["projects/*"]},
        ),
        Row("GET", "/api/oauth2-redirect", "/api/oauth2-redirect?code=x", everyone(400)),
        Row("POST", "/api/oauth2-redirect", "/api/oauth2-redirect", everyone(400)),
        Row("GET", "/cluster-info", "/cluster-info", roles(401, 200, 200, 200)),
        Row("GET", "/pb/cluster-info", "/pb/cluster-info", roles(401, 200, 200, 200)),
        # The tenancy policy in force names every user's projects with limits of their own: superusers only.
        Row("GET", "/api/tenancy", "/api/tenancy", roles(401, 403, 403, 200)),
    ]
    for prefix in ("/pb", ""):
        rows += [
            Row(
                "GET",
                f"{prefix}/blueprints/{{blueprint_id}}",
                f"{prefix}/blueprints/{{blueprint}}",
                PRIVATE,
                marker="blueprint",
            ),
            # The link is the invitation (One-Click): whoever has a blueprint's id may add themselves to it;
            # a superuser is no user to share with (and sees every blueprint anyway).
            Row(
                "POST",
                f"{prefix}/blueprints/shared/{{blueprint_id}}",
                f"{prefix}/blueprints/shared/{{target}}",
                roles(401, 200, 200, 400),
                fresh=fresh_record("blueprints"),
            ),
            # Leaving one: another user cannot see the owner's private blueprint (404, never its data); the
            # owner is no subscriber of its own, so nothing changes for it.
            Row(
                "DELETE",
                f"{prefix}/blueprints/shared/{{blueprint_id}}",
                f"{prefix}/blueprints/shared/{{target}}",
                roles(401, 404, 200, 400),
                fresh=fresh_record("blueprints"),
            ),
            Row(
                "POST",
                f"{prefix}/auto-update/{{auto_update_id}}",
                f"{prefix}/auto-update/{{autoUpdate}}",
                PRIVATE,
                marker="autoUpdate",
            ),
            Row(
                "GET",
                f"{prefix}/auto-update/{{auto_update_id}}/webhook-secret",
                f"{prefix}/auto-update/{{autoUpdate}}/webhook-secret",
                PRIVATE,
                marker="autoUpdate",
            ),
            Row(
                "POST",
                f"{prefix}/auto-update/{{auto_update_id}}/webhook-secret",
                f"{prefix}/auto-update/{{target}}/webhook-secret",
                PRIVATE,
                marker="target",
                fresh=fresh_record("autoUpdates"),
            ),
        ]
    return rows


def _cluster_rows() -> list[Row]:
    rows: list[Row] = []
    private = roles(401, 404, 200, 200)
    for read in ("status", "metrics", "events"):
        for prefix in ("/rollouts", "/pb"):
            template = f"{prefix}/{{project_id}}/{{ref_id}}/{read}"
            rows.append(Row("GET", template, f"{prefix}/{{project}}/{{deployment}}/{read}", private))
        # The id may also be one of the deployment's rollouts'.
        rows.append(
            Row(
                "GET",
                f"/rollouts/{{project_id}}/{{ref_id}}/{read}",
                f"/rollouts/{{project}}/{{rollout}}/{read}",
                private,
            )
        )
    for prefix in ("/rollouts", "/pb"):
        rows.append(
            Row(
                "GET",
                f"{prefix}/{{project_id}}/{{pod_name}}/logs",
                f"{prefix}/{{project}}/{{pod}}/logs",
                roles(401, 404, 200, 200),
                fresh=fresh_pod,
            )
        )
    rows += [
        Row(
            "DELETE",
            "/rollouts/{project_id}/{pod_name}",
            "/rollouts/{project}/{pod}",
            roles(401, 404, 200, 200),
            fresh=fresh_pod,
        ),
        Row(
            "DELETE",
            "/pb/{project_id}/pod/{pod_name}",
            "/pb/{project}/pod/{pod}",
            roles(401, 404, 200, 200),
            fresh=fresh_pod,
        ),
        Row(
            "DELETE",
            "/pb/{project_id}/job/{job_name}",
            "/pb/{project}/job/{job}",
            roles(401, 404, 200, 200),
            fresh=fresh_job,
        ),
    ]
    return rows


# WebSockets: the first message is One-Click's request; a refusal is a close with 4000 + status.
WS_REQUESTS: dict[str, Json] = {
    "/ws/k8s/rollouts": {"projectId": "{project}", "deploymentId": "{deployment}"},
    "/ws/k8s/deployments": {"projectId": "{project}"},
    "/ws/k8s/logs": {"rolloutId": "{project}", "podName": "{pod}"},
    "/ws/k8s/events": {"rolloutId": "{project}", "kind": "Pod", "name": "{pod}"},
}


def _socket_rows() -> list[Row]:
    return [
        Row(
            "WS",
            path,
            path,
            roles(401, 403, 200, 200),
            json=request,
            fresh=fresh_pod if "{pod}" in str(request) else None,
        )
        for path, request in WS_REQUESTS.items()
    ]


# Rows that delete pods come last: the ones before them find the owner's pod running without waiting.
ROWS: list[Row] = [*_record_rows(), *_users_rows(), *_auth_rows(), *_platform_rows(), *_socket_rows(), *_cluster_rows()]

__all__ = ["BLIND", "ROWS", "SEES", "WS_REQUESTS", "Row"]
