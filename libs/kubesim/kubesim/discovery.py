"""Discovery documents: /version, legacy /api and /apis lists, and aggregated discovery (apidiscovery.k8s.io/v2)."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from kubesim.resources import Registry, ResourceType

JSON = dict[str, Any]

KUBERNETES_VERSION: Mapping[str, str] = MappingProxyType(
    {
        "major": "1",
        "minor": "32",
        "gitVersion": "v1.32.0",
        "gitCommit": "kubesim",
        "gitTreeState": "clean",
        "buildDate": "2024-12-11T00:00:00Z",
        "goVersion": "go1.23.3",
        "compiler": "gc",
        "platform": "linux/amd64",
    }
)

AGGREGATED_MEDIA = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"


def version() -> JSON:
    return dict(KUBERNETES_VERSION)


def _hash(rt: ResourceType) -> str:
    digest = hashlib.sha256(f"{rt.group}/{rt.version}/{rt.kind}".encode()).digest()[:8]
    return base64.b64encode(digest).decode()


def api_versions(server_address: str) -> JSON:
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}],
    }


def _group_entry(group: str, versions: list[str]) -> JSON:
    return {
        "name": group,
        "versions": [{"groupVersion": f"{group}/{v}", "version": v} for v in versions],
        "preferredVersion": {"groupVersion": f"{group}/{versions[0]}", "version": versions[0]},
    }


def api_groups(registry: Registry) -> JSON:
    return {
        "kind": "APIGroupList",
        "apiVersion": "v1",
        "groups": [_group_entry(group, versions) for group, versions in registry.groups()],
    }


def api_group(registry: Registry, group: str) -> JSON | None:
    for name, versions in registry.groups():
        if name == group:
            return {"kind": "APIGroup", "apiVersion": "v1", **_group_entry(group, versions)}
    return None


def resource_list(registry: Registry, group: str, version: str) -> JSON | None:
    types = registry.in_group_version(group, version)
    if not types:
        return None
    resources: list[JSON] = []
    for rt in types:
        entry: JSON = {
            "name": rt.plural,
            "singularName": rt.singular,
            "namespaced": rt.namespaced,
            "kind": rt.kind,
            "verbs": list(rt.verbs),
        }
        if rt.short_names:
            entry["shortNames"] = list(rt.short_names)
        if rt.categories:
            entry["categories"] = list(rt.categories)
        if not rt.virtual:
            entry["storageVersionHash"] = _hash(rt)
        resources.append(entry)
        for sub in rt.subresources:
            sub_entry: JSON = {
                "name": f"{rt.plural}/{sub.name}",
                "singularName": "",
                "namespaced": rt.namespaced,
                "kind": sub.kind or rt.kind,
                "verbs": list(sub.verbs),
            }
            if sub.group is not None:
                sub_entry["group"] = sub.group
                sub_entry["version"] = sub.version
            resources.append(sub_entry)
    group_version = f"{group}/{version}" if group else version
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version, "resources": resources}


def _aggregated_resource(rt: ResourceType) -> JSON:
    entry: JSON = {
        "resource": rt.plural,
        "responseKind": {"group": rt.group, "version": rt.version, "kind": rt.kind},
        "scope": "Namespaced" if rt.namespaced else "Cluster",
        "singularResource": rt.singular,
        "verbs": list(rt.verbs),
    }
    if rt.short_names:
        entry["shortNames"] = list(rt.short_names)
    if rt.categories:
        entry["categories"] = list(rt.categories)
    subs = []
    for sub in rt.subresources:
        sub_entry: JSON = {
            "subresource": sub.name,
            "verbs": list(sub.verbs),
            "responseKind": {
                "group": sub.group if sub.group is not None else rt.group,
                "version": sub.version if sub.version is not None else rt.version,
                "kind": sub.kind or rt.kind,
            },
        }
        subs.append(sub_entry)
    if subs:
        entry["subresources"] = subs
    return entry


def aggregated(registry: Registry, legacy: bool) -> JSON:
    """``/api`` (legacy=True) or ``/apis`` as an APIGroupDiscoveryList."""
    items: list[JSON] = []
    if legacy:
        items.append(
            {
                "metadata": {"creationTimestamp": None},
                "versions": [
                    {
                        "version": "v1",
                        "freshness": "Current",
                        "resources": [_aggregated_resource(rt) for rt in registry.in_group_version("", "v1")],
                    }
                ],
            }
        )
    else:
        for group, versions in registry.groups():
            items.append(
                {
                    "metadata": {"name": group, "creationTimestamp": None},
                    "versions": [
                        {
                            "version": v,
                            "freshness": "Current",
                            "resources": [_aggregated_resource(rt) for rt in registry.in_group_version(group, v)],
                        }
                        for v in versions
                    ],
                }
            )
    return {"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2", "metadata": {}, "items": items}
