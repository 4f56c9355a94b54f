"""The edge's OpenAPI document (``/api/openapi.json``): FastAPI's, completed with what handlers do by hand.

Most handlers read their form themselves (JSON or multipart, as PocketBase accepts both) and pass the
services' answers through as raw JSON, so FastAPI alone documents little of them. This fills in, per
operation: the errors it can answer, all in PocketBase's shape (FastAPI's 422 is never sent: validation
errors are 400s); the request bodies handlers parse; and the success shapes — a record, One-Click's
status/metrics/events views, files and log streams. schemathesis (``tests/fuzz/test_openapi.py``) holds
every answer to this document.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

from oneclick_core.contracts.executor import ClusterInfo
from oneclick_core.contracts.records import TenancyView
from oneclick_manifest.status import EventsView, MetricsView, RolloutStatus

Schema = dict[str, Any]

ERROR: Schema = {
    "type": "object",
    "required": ["status", "message", "data"],
    "additionalProperties": False,
    "description": "PocketBase's error shape; `data` holds per-field errors as {code, message}.",
    "properties": {
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "message": {"type": "string", "minLength": 1},
        "data": {"type": "object", "additionalProperties": True},
    },
}
# Nothing is required: `fields` may select any subset (even none) of a record, as in PocketBase.
RECORD: Schema = {
    "type": "object",
    "additionalProperties": True,
    "description": "A record of a One-Click collection, with `expand` when asked for.",
    "properties": {
        "id": {"type": "string"},
        "collectionId": {"type": "string"},
        "collectionName": {"type": "string"},
        "created": {"type": "string"},
        "updated": {"type": "string"},
        "expand": {"type": "object", "additionalProperties": True},
    },
}
# The fields of the One-Click collections a client sends (docs/records.md); others are refused per field.
RECORD_FORM: Schema = {
    "type": "object",
    "additionalProperties": True,
    "properties": {
        name: {}
        for name in (
            "name",
            "description",
            "tags",
            "avatar",
            "project",
            "deployment",
            "blueprint",
            "manifest",
            "hide",
            "startDate",
            "endDate",
            "interval",
            "pattern",
            "policy",
            "private",
            "owner",
            "user",
            "users",
            "users+",
            "users-",
            "limits",
        )
    },
}
HEALTH: Schema = {
    "type": "object",
    "required": ["code", "message", "data"],
    "properties": {
        "code": {"type": "integer"},
        "message": {"type": "string"},
        "data": {"type": "object", "properties": {"services": {"type": "object"}}},
    },
}
JWKS: Schema = {
    "type": "object",
    "required": ["keys"],
    "properties": {"keys": {"type": "array", "items": {"type": "object"}}},
}
WEBHOOK_SECRET: Schema = {"type": "object", "additionalProperties": True}
TEXT_MESSAGE: Schema = {"type": "string", "description": 'One-Click\'s answer, e.g. "Pod deleted".'}


def _ref(schema: str) -> Schema:
    return {"$ref": f"#/components/schemas/{schema}"}


def _form(*required: str, optional: tuple[str, ...] = ()) -> Schema:
    return {
        "type": "object",
        "required": list(required),
        "properties": {name: {"type": "string"} for name in (*required, *optional)},
    }


# The bodies handlers read themselves, keyed by (method, path): JSON or a form, as PocketBase takes both.
BODIES: dict[tuple[str, str], Schema] = {
    ("post", "/api/collections/{collection}/auth-with-password"): _form("identity", "password"),
    ("post", "/api/collections/{collection}/auth-with-oauth2"): _form(
        "provider", "code", "codeVerifier", "redirectURL"
    ),
    ("post", "/api/collections/{collection}/request-password-reset"): _form("email"),
    ("post", "/api/collections/{collection}/confirm-password-reset"): _form("token", "password", "passwordConfirm"),
    ("post", "/api/collections/{collection}/request-verification"): _form("email"),
    ("post", "/api/collections/{collection}/confirm-verification"): _form("token"),
    ("post", "/api/collections/users/records"): _form(
        "email", "password", "passwordConfirm", optional=("name", "username", "emailVisibility", "avatar")
    ),
    ("patch", "/api/collections/users/records/{record_id}"): _form(
        optional=("name", "username", "emailVisibility", "avatar", "oldPassword", "password", "passwordConfirm")
    ),
    ("post", "/api/collections/{collection}/records"): RECORD_FORM,
    ("patch", "/api/collections/{collection}/records/{record_id}"): RECORD_FORM,
}
# Success answers FastAPI cannot see (handlers return raw JSON or bytes): (content type, schema).
ANSWERS: dict[tuple[str, str], tuple[str, Schema]] = {
    ("get", "/api/health"): ("application/json", HEALTH),
    ("get", "/api/.well-known/jwks.json"): ("application/json", JWKS),
    ("post", "/api/collections/{collection}/records"): ("application/json", RECORD),
    ("get", "/api/collections/{collection}/records/{record_id}"): ("application/json", RECORD),
    ("patch", "/api/collections/{collection}/records/{record_id}"): ("application/json", RECORD),
    ("get", "/pb/blueprints/{blueprint_id}"): ("application/json", RECORD),
    ("post", "/pb/blueprints/shared/{blueprint_id}"): ("application/json", RECORD),
    ("delete", "/pb/blueprints/shared/{blueprint_id}"): ("application/json", RECORD),
    ("post", "/auto-update/{auto_update_id}"): ("application/json", RECORD),
    ("get", "/auto-update/{auto_update_id}/webhook-secret"): ("application/json", WEBHOOK_SECRET),
    ("post", "/auto-update/{auto_update_id}/webhook-secret"): ("application/json", WEBHOOK_SECRET),
    ("get", "/rollouts/{project_id}/{ref_id}/status"): ("application/json", _ref("RolloutStatus")),
    ("get", "/rollouts/{project_id}/{ref_id}/metrics"): ("application/json", _ref("MetricsView")),
    ("get", "/rollouts/{project_id}/{ref_id}/events"): ("application/json", _ref("EventsView")),
    ("get", "/cluster-info"): ("application/json", _ref("ClusterInfo")),
    ("get", "/api/tenancy"): ("application/json", _ref("TenancyView")),
    ("delete", "/rollouts/{project_id}/{pod_name}"): ("application/json", TEXT_MESSAGE),
    ("delete", "/pb/{project_id}/job/{job_name}"): ("application/json", TEXT_MESSAGE),
    ("get", "/api/files/{collection}/{record_id}/{filename}"): ("*/*", {"type": "string", "format": "binary"}),
    ("get", "/api/files/users/{record_id}/{filename}"): ("*/*", {"type": "string", "format": "binary"}),
    ("get", "/rollouts/{project_id}/{pod_name}/logs"): ("text/plain", {"type": "string"}),
    ("get", "/pb/{project_id}/{pod_name}/logs"): ("text/plain", {"type": "string"}),
    ("get", "/api/realtime"): ("text/event-stream", {"type": "string"}),
}
# Browser pages: their failures are pages too, as PocketBase's OAuth2 redirect page is.
HTML_PAGES = frozenset({("get", "/api/oauth2-redirect"), ("post", "/api/oauth2-redirect")})
# Models whose schemas the answers above refer to, in One-Click's JSON (camelCase, as the views send it).
VIEW_MODELS: tuple[type[BaseModel], ...] = (RolloutStatus, MetricsView, EventsView, ClusterInfo, TenancyView)

ERROR_DESCRIPTIONS = {
    "400": "Invalid request, with per-field errors.",
    "401": "Not signed in, or the token is invalid or revoked.",
    "403": "Signed in, but not allowed.",
    "404": "Not found, or not yours.",
    "413": "Body or upload too large.",
    "429": "Too many attempts.",
    "503": "A service or the database is unavailable; retry.",
}


def complete(document: Schema) -> Schema:
    """FastAPI's document with the edge's errors, bodies and answers filled in (pure; used by tests too)."""
    schemas: Schema = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    schemas["PocketBaseError"] = ERROR
    for model in VIEW_MODELS:
        schema = model.model_json_schema(by_alias=True, ref_template="#/components/schemas/{model}")
        schemas.update(schema.pop("$defs", {}))
        schemas[model.__name__] = schema
    error_ref = _ref("PocketBaseError")
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            responses: Schema = operation.setdefault("responses", {})
            responses.pop("422", None)
            for status, description in ERROR_DESCRIPTIONS.items():
                responses.setdefault(
                    status, {"description": description, "content": {"application/json": {"schema": error_ref}}}
                )
            if (method, path) in HTML_PAGES:
                responses["400"] = {
                    "description": "The page saying the sign-in failed.",
                    "content": {"text/html": {"schema": {"type": "string"}}},
                }
            if (method, path) in BODIES and "requestBody" not in operation:
                body = BODIES[(method, path)]
                operation["requestBody"] = {
                    "content": {"application/json": {"schema": body}, "multipart/form-data": {"schema": body}}
                }
            if (method, path) in ANSWERS:
                media_type, schema = ANSWERS[(method, path)]
                success = next(code for code in responses if code.startswith("2"))
                responses[success]["content"] = {media_type: {"schema": schema}}
    return document


def install(app: FastAPI) -> None:
    def openapi() -> Schema:
        if app.openapi_schema is None:
            app.openapi_schema = complete(get_openapi(title=app.title, version=app.version, routes=app.routes))
        return app.openapi_schema

    replacement: Callable[[], Schema] = openapi
    app.openapi = replacement  # type: ignore[method-assign]
