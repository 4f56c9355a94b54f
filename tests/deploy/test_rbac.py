"""The RBAC of each ServiceAccount equals a table of the Kubernetes calls that service makes, and that table
covers what the code derives (the kinds libs/manifest renders and prunes, the kinds streaming watches) while
naming only kinds the code knows — so a missing or an excess permission fails.

Server-side apply of an object that may not exist yet needs ``create`` as well as ``patch``.
"""

from __future__ import annotations

import importlib
import pkgutil
from itertools import product

import pytest

import oneclick_k8s_executor
from oneclick_core.contracts.streaming import LIVE_KINDS
from oneclick_core.kinds import ROLLOUT, SERVICE_ACCOUNT, ObjectType
from oneclick_manifest.rendering import owned_types, project_types

from .kustomize import KUBERNETES, Json, find, one, render, render_with_components

Permission = tuple[str, str, str]  # (API group, resource, verb)


def rows(*entries: tuple[str, str, str]) -> set[Permission]:
    """("apps", "deployments", "create patch get") → one permission per verb."""
    return {(group, resource, verb) for group, resource, verbs in entries for verb in verbs.split()}


# k8s-executor, native mode. Where each verb comes from (services/k8s-executor):
#   create patch: native.py apply (server-side apply of every rendered object)
#   list delete:  native.py _owned/_delete (prune by deployment selector); namespaces: reconciling.py delete_project
#   list:         resyncing.py _project_namespaces (orphan sweep), native.py present (cluster-wide, by label)
#   get:          native.py _grow_only (claims), status (deployment); handlers.py delete_pod/delete_job;
#                 applying.py apply_project (the namespace and its guardrails, read back to tell drift)
#   list:         native.py status (pods, services, ingresses, claims); handlers.py metrics, events, cluster_info
GUARDRAILS = (
    ("", "resourcequotas", "create patch get"),
    ("", "limitranges", "create patch get"),
    ("networking.k8s.io", "networkpolicies", "create patch get"),
)
EXECUTOR_NATIVE = rows(
    ("", "namespaces", "create patch get list delete"),
    *GUARDRAILS,
    ("", "serviceaccounts", "create patch"),
    ("", "secrets", "create patch list delete"),
    ("", "services", "create patch list delete"),
    ("", "persistentvolumeclaims", "create patch get list delete"),
    ("", "pods", "get list delete"),
    ("", "events", "list"),
    ("apps", "deployments", "create patch get list delete"),
    ("networking.k8s.io", "ingresses", "create patch list delete"),
    ("networking.k8s.io", "ingressclasses", "list"),
    ("autoscaling", "horizontalpodautoscalers", "create patch list delete"),
    ("batch", "cronjobs", "create patch list delete"),
    ("batch", "jobs", "get delete"),
    ("metrics.k8s.io", "pods", "list"),
    ("storage.k8s.io", "storageclasses", "list"),
)
# k8s-executor, operator mode (operator_mode.py): namespace apply and delete, the Rollout CR get → create or
# update, delete; the resync lists namespaces and Rollouts (resyncing.py, operator_mode.py present); the same
# reads and pod/job actions of handlers.py.
EXECUTOR_OPERATOR = rows(
    ("", "namespaces", "create patch get list delete"),
    *GUARDRAILS,
    ("one-click.dev", "rollouts", "get list create update delete"),
    ("", "pods", "get list delete"),
    ("", "events", "list"),
    ("batch", "jobs", "get delete"),
    ("metrics.k8s.io", "pods", "list"),
    ("storage.k8s.io", "storageclasses", "list"),
    ("networking.k8s.io", "ingressclasses", "list"),
)
# streaming (informer.py list + watch of every live kind, logs.py get pod and follow its log).
STREAMING = rows(
    ("", "pods", "get list watch"),
    ("", "pods/log", "get"),
    ("", "services", "list watch"),
    ("", "configmaps", "list watch"),
    ("", "secrets", "list watch"),
    ("", "persistentvolumeclaims", "list watch"),
    ("", "serviceaccounts", "list watch"),
    ("", "events", "list watch"),
    ("apps", "deployments", "list watch"),
    ("apps", "replicasets", "list watch"),
    ("networking.k8s.io", "ingresses", "list watch"),
    ("batch", "jobs", "list watch"),
    ("batch", "cronjobs", "list watch"),
    ("autoscaling", "horizontalpodautoscalers", "list watch"),
)


def _group_resource(kind: ObjectType) -> tuple[str, str]:
    return kind.group, kind.plural


def _executor_kinds() -> set[ObjectType]:
    """Every kind a module of the executor names (imports or builds), so a grant for anything else stands out."""
    kinds: set[ObjectType] = set()
    for module in pkgutil.iter_modules(oneclick_k8s_executor.__path__, f"{oneclick_k8s_executor.__name__}."):
        namespace = vars(importlib.import_module(module.name))
        kinds |= {value for value in namespace.values() if isinstance(value, ObjectType)}
        kinds |= {
            kind
            for value in namespace.values()
            if isinstance(value, dict)
            for kind in value.values()
            if isinstance(kind, ObjectType)
        }
    return kinds


def granted(objects: list[Json], service_account: str) -> set[Permission]:
    """What the ClusterRoles and Roles bound to the ServiceAccount allow."""
    permissions: set[Permission] = set()
    for binding in find(objects, "ClusterRoleBinding") + find(objects, "RoleBinding"):
        if not any(
            subject["kind"] == "ServiceAccount" and subject["name"] == service_account
            for subject in binding["subjects"]
        ):
            continue
        role = one(objects, binding["roleRef"]["kind"], binding["roleRef"]["name"])
        for rule in role["rules"]:
            assert "*" not in rule["verbs"] + rule["resources"] + rule["apiGroups"], f"wildcard in {role}"
            permissions |= set(product(rule["apiGroups"], rule["resources"], rule["verbs"]))
    return permissions


@pytest.fixture(scope="module")
def installs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Json]]:
    return {
        "dev": render(KUBERNETES / "overlays" / "dev"),
        "prod": render(KUBERNETES / "overlays" / "prod"),
        "operator": render_with_components(tmp_path_factory.mktemp("operator"), "prod", ["operator-mode"]),
    }


@pytest.mark.parametrize("install", ["dev", "prod"])
def test_rules_equal_the_tables(installs: dict[str, list[Json]], install: str) -> None:
    objects = installs[install]
    assert granted(objects, "oneclick-k8s-executor") == EXECUTOR_NATIVE
    assert granted(objects, "oneclick-streaming") == STREAMING
    for name in ("edge", "auth", "records", "updater"):
        assert granted(objects, f"oneclick-{name}") == set(), f"{name} talks to no Kubernetes API"


def test_operator_mode_grants_exactly_its_table(installs: dict[str, list[Json]]) -> None:
    assert granted(installs["operator"], "oneclick-k8s-executor") == EXECUTOR_OPERATOR
    assert granted(installs["operator"], "oneclick-streaming") == STREAMING


def test_executor_table_covers_what_the_manifest_renders_and_prunes() -> None:
    for kind in (*project_types(), SERVICE_ACCOUNT, *owned_types()):
        group, resource = _group_resource(kind)
        assert {(group, resource, "create"), (group, resource, "patch")} <= EXECUTOR_NATIVE, kind
    for kind in owned_types():
        group, resource = _group_resource(kind)
        assert {(group, resource, "list"), (group, resource, "delete")} <= EXECUTOR_NATIVE, kind
    group, resource = _group_resource(ROLLOUT)
    assert {(group, resource, verb) for verb in ("get", "create", "update", "delete")} <= EXECUTOR_OPERATOR
    assert ("", "namespaces", "delete") in EXECUTOR_NATIVE & EXECUTOR_OPERATOR, "project deletion"
    for kind in project_types():
        group, resource = _group_resource(kind)
        assert {(group, resource, verb) for verb in ("create", "patch", "get")} <= EXECUTOR_OPERATOR, kind


def test_executor_table_names_only_kinds_the_executor_knows() -> None:
    known = {_group_resource(kind) for kind in _executor_kinds()}
    for group, resource, _ in EXECUTOR_NATIVE | EXECUTOR_OPERATOR:
        assert (group, resource) in known, f"the executor has no {group}/{resource}"


def test_streaming_table_is_list_and_watch_of_the_live_kinds_plus_pod_logs() -> None:
    expected = {
        (kind.object_type.group, kind.object_type.plural, verb) for kind in LIVE_KINDS for verb in ("list", "watch")
    }
    expected |= {("", "pods", "get"), ("", "pods/log", "get")}
    assert expected == STREAMING
