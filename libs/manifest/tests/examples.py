"""Example manifests for the tests: One-Click's nginx blueprint and one that uses every field."""

from __future__ import annotations

import copy
from typing import Any

from oneclick_core.tenancy import TenancyPolicy

PROJECT = "p1k2x9q0z7a2b4c"
DEPLOYMENT = "d3x9q1m0z7a2b4c"
ROLLOUT = "r5x9q1m0z7a2b4c"
USER = "u7x9q1m0z7a2b4c"
IDENTITY = {
    "project_id": PROJECT,
    "deployment_id": DEPLOYMENT,
    "rollout_id": ROLLOUT,
    "user_id": USER,
    "username": "jane",
    "display_name": "Jane Doe",
    "policy": TenancyPolicy(),
}

# docs/blueprints/nginx.yaml of janlauber/one-click, as JSON.
NGINX: dict[str, Any] = {
    "apiVersion": "one-click.dev/v1alpha1",
    "kind": "Rollout",
    "spec": {
        "env": [],
        "horizontalScale": {"maxReplicas": 1, "minReplicas": 1, "targetCPUUtilizationPercentage": 80},
        "image": {
            "password": "",
            "registry": "docker.io",
            "repository": "library/nginx",
            "tag": "latest",
            "username": "",
        },
        "interfaces": [{"name": "http", "port": 80}],
        "resources": {"limits": {"cpu": "500m", "memory": "512Mi"}, "requests": {"cpu": "100m", "memory": "256Mi"}},
        "secrets": [],
        "serviceAccountName": "one-click",
        "volumes": [],
    },
}

FULL: dict[str, Any] = {
    "apiVersion": "one-click.dev/v1alpha1",
    "kind": "Rollout",
    "metadata": {"name": "replaced", "labels": {"replaced": "too"}, "annotations": {"team": "shop"}},
    "spec": {
        "image": {
            "registry": "ghcr.io",
            "repository": "acme/shop",
            "tag": "1.4.2",
            "username": "bot",
            "password": "s3cr3t",
        },
        "securityContext": {
            "runAsUser": 1000,
            "runAsGroup": 1000,
            "fsGroup": 2000,
            "allowPrivilegeEscalation": False,
            "runAsNonRoot": True,
            "readOnlyRootFilesystem": True,
            "privileged": False,
            "capabilities": {"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]},
        },
        "horizontalScale": {"minReplicas": 2, "maxReplicas": 5, "targetCPUUtilizationPercentage": 70},
        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "500m", "memory": "256Mi"}},
        "env": [{"name": "MODE", "value": "production"}],
        "secrets": [{"name": "DB_PASSWORD", "value": "hunter2"}, {"name": "API_KEY", "value": "k-123"}],
        "volumes": [
            {"name": "data", "mountPath": "/data", "size": "2Gi", "storageClass": "standard"},
            {"name": "cache", "mountPath": "/cache", "size": "500Mi"},
        ],
        "interfaces": [
            {
                "name": "http",
                "port": 8080,
                "ingress": {
                    "ingressClass": "nginx",
                    "annotations": {"nginx.ingress.kubernetes.io/ssl-redirect": "false"},
                    "rules": [
                        {"host": "shop.example.com", "path": "/", "tls": True},
                        {"host": "api.example.com", "path": "/v1", "tls": True, "tlsSecretName": "api-cert"},
                    ],
                },
            },
            {"name": "metrics", "port": 9090},
        ],
        "serviceAccountName": "shop",
        "cronjobs": [
            {
                "name": "cleanup",
                "suspend": False,
                "schedule": "0 3 * * *",
                "image": {"registry": "docker.io", "repository": "library/busybox", "tag": "1.36"},
                "command": ["sh", "-c"],
                "args": ["echo cleanup"],
                "backoffLimit": 2,
                "env": [{"name": "DRY_RUN", "value": "false"}],
                "resources": {
                    "requests": {"cpu": "50m", "memory": "32Mi"},
                    "limits": {"cpu": "100m", "memory": "64Mi"},
                },
            },
            {
                "name": "report",
                "suspend": True,
                "schedule": "@daily",
                "image": {
                    "registry": "registry.example.com:5000",
                    "repository": "acme/report",
                    "tag": "2",
                    "username": "robot",
                    "password": "pa55",
                },
                "resources": {"requests": {"cpu": "1", "memory": "1Gi"}, "limits": {"cpu": "1", "memory": "1Gi"}},
            },
        ],
        "command": ["/app/server"],
        "args": ["--port", "8080"],
        "nodeSelector": {"kubernetes.io/os": "linux"},
        "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "shop", "effect": "NoSchedule"}],
        "hostAliases": [{"ip": "10.0.0.5", "hostnames": ["db.internal"]}],
        "rolloutStrategy": "recreate",
    },
}


def manifest(base: dict[str, Any], **spec_changes: Any) -> dict[str, Any]:
    """A deep copy of ``base`` with top-level spec fields replaced (``None`` removes one)."""
    result = copy.deepcopy(base)
    for key, value in spec_changes.items():
        if value is None:
            result["spec"].pop(key, None)
        else:
            result["spec"][key] = value
    return result
