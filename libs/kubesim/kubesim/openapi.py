"""A minimal OpenAPI v3: enough for kubectl to see that every resource's PATCH takes ``fieldValidation``
(so it validates server-side instead of downloading schemas). No schemas are served (``kubectl explain`` does
not work); OpenAPI v2 is a 404."""

from __future__ import annotations

import hashlib
from typing import Any

import orjson

from kubesim.resources import Registry, ResourceType

JSON = dict[str, Any]

# Strategic merge is left out on purpose: kubectl apply would then want schemas from this document; without it,
# kubectl computes strategic merge patches from its compiled-in types (built-ins) or merge patches (CRDs).
PATCH_CONTENT = ("application/json-patch+json", "application/merge-patch+json", "application/apply-patch+yaml")
WRITE_PARAMETERS = ("dryRun", "fieldManager", "fieldValidation", "force", "pretty")


def _group_versions(registry: Registry) -> list[tuple[str, str]]:
    seen: list[tuple[str, str]] = []
    for rt in registry:
        if (rt.group, rt.version) not in seen:
            seen.append((rt.group, rt.version))
    return seen


def _prefix(group: str, version: str) -> str:
    return f"api/{version}" if not group else f"apis/{group}/{version}"


def document(registry: Registry, group: str, version: str) -> JSON | None:
    types = registry.in_group_version(group, version)
    if not types:
        return None
    paths: JSON = {}
    for rt in types:
        if rt.virtual:
            continue
        paths[_item_path(rt)] = {"patch": _patch_operation(rt)}
    return {
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": "v1.32.0"},
        "paths": paths,
        "components": {"schemas": {}},
    }


def _item_path(rt: ResourceType) -> str:
    base = "/" + _prefix(rt.group, rt.version)
    if rt.namespaced:
        return f"{base}/namespaces/{{namespace}}/{rt.plural}/{{name}}"
    return f"{base}/{rt.plural}/{{name}}"


def _patch_operation(rt: ResourceType) -> JSON:
    content = {media: {"schema": {"type": "object"}} for media in PATCH_CONTENT}
    return {
        "operationId": f"patch{rt.kind}",
        "x-kubernetes-action": "patch",
        "x-kubernetes-group-version-kind": {"group": rt.group, "version": rt.version, "kind": rt.kind},
        "parameters": [
            {"name": name, "in": "query", "schema": {"type": "string", "uniqueItems": True}}
            for name in WRITE_PARAMETERS
        ],
        "requestBody": {"content": content, "required": True},
        "responses": {"200": {"description": "OK"}},
    }


def index(registry: Registry) -> JSON:
    paths = {}
    for group, version in _group_versions(registry):
        doc = document(registry, group, version)
        digest = hashlib.sha512(orjson.dumps(doc, option=orjson.OPT_SORT_KEYS)).hexdigest()[:64].upper()
        prefix = _prefix(group, version)
        paths[prefix] = {"serverRelativeURL": f"/openapi/v3/{prefix}?hash={digest}"}
    return {"paths": paths}
