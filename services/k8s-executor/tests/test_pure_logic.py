"""The executor's pure pieces: REST paths, how API failures are classified, what a failure message may show,
and which events cause a reconciliation at all."""

from __future__ import annotations

import base64
import json

import pytest
from kubernetes_asyncio import client

from oneclick_core.contracts.records import Owner
from oneclick_core.tenancy import TenancyPolicy
from oneclick_k8s_executor.applying import RolloutTarget, object_path, object_ref
from oneclick_k8s_executor.kube import KubeError, resource_path
from oneclick_k8s_executor.reconciling import RECONCILING_EVENTS, blank_secrets
from oneclick_manifest.model import validate_manifest
from oneclick_manifest.rendering import render

PROJECT, DEPLOYMENT, ROLLOUT = "projectid000001", "deploymentid001", "rolloutid000001"


def manifest(**spec: object) -> dict[str, object]:
    base: dict[str, object] = {
        "image": {"registry": "ghcr.io", "repository": "acme/web", "tag": "1.0", "username": "robot",
                  "password": "pull-password"},
        "horizontalScale": {"minReplicas": 1, "maxReplicas": 1},
        "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"cpu": "200m", "memory": "128Mi"}},
        "secrets": [{"name": "TOKEN", "value": "env-secret-value"}],
    }
    return {"apiVersion": "one-click.dev/v1alpha1", "kind": "Rollout", "spec": base | spec}


def target() -> RolloutTarget:
    return RolloutTarget(project=PROJECT, deployment=DEPLOYMENT, rollout=ROLLOUT, owner=Owner(id="user00000000001"),
                         manifest=validate_manifest(manifest()), policy=TenancyPolicy())


@pytest.mark.parametrize(("args", "path"), [
    (("v1", "namespaces", None, "p"), "/api/v1/namespaces/p"),
    (("v1", "pods", "p"), "/api/v1/namespaces/p/pods"),
    (("apps/v1", "deployments", "p", "d"), "/apis/apps/v1/namespaces/p/deployments/d"),
    (("storage.k8s.io/v1", "storageclasses"), "/apis/storage.k8s.io/v1/storageclasses"),
    (("metrics.k8s.io/v1beta1", "pods", "p"), "/apis/metrics.k8s.io/v1beta1/namespaces/p/pods"),
])
def test_resource_paths(args: tuple[str, ...], path: str) -> None:
    assert resource_path(*args) == path


def test_every_rendered_object_has_a_path_and_a_ref() -> None:
    t = target()
    objects = render(t.manifest, project_id=PROJECT, deployment_id=DEPLOYMENT, rollout_id=ROLLOUT,
                     user_id="user00000000001", username="u", display_name="U", policy=TenancyPolicy())
    assert object_path(objects[0]) == f"/api/v1/namespaces/{PROJECT}"
    refs = {object_ref(obj): object_path(obj) for obj in objects}
    assert refs[f"Deployment/{DEPLOYMENT}"] == f"/apis/apps/v1/namespaces/{PROJECT}/deployments/{DEPLOYMENT}"
    assert refs[f"Secret/{DEPLOYMENT}-imagepullsecret"] == (
        f"/api/v1/namespaces/{PROJECT}/secrets/{DEPLOYMENT}-imagepullsecret")


def _api_exception(status: int, body: object) -> client.ApiException:
    exc = client.ApiException(status=status, reason="Reason")
    exc.body = json.dumps(body)
    return exc


@pytest.mark.parametrize(("status", "reason", "message", "transient"), [
    (422, "Invalid", 'PersistentVolumeClaim "x" is invalid: spec: Forbidden: spec is immutable', False),
    (403, "Forbidden", "quota exceeded", False),
    (403, "Forbidden", "unable to create new content in namespace p because it is being terminated", True),
    (409, "Conflict", "the object has been modified", True),
    (429, "TooManyRequests", "slow down", True),
    (500, "InternalError", "etcd leader changed", True),
    (503, "ServiceUnavailable", "webhook unavailable", True),
])
def test_api_failures_are_classified_from_the_status_body(status: int, reason: str, message: str,
                                                          transient: bool) -> None:
    error = KubeError.from_api_exception(_api_exception(status, {
        "kind": "Status", "apiVersion": "v1", "status": "Failure", "message": message, "reason": reason,
        "code": status}))
    assert (error.status, error.reason, error.message) == (status, reason, message)
    assert error.transient is transient


def test_a_terminating_namespace_is_recognised_by_its_cause_too() -> None:
    error = KubeError.from_api_exception(_api_exception(403, {
        "kind": "Status", "reason": "Forbidden", "message": "forbidden", "code": 403,
        "details": {"causes": [{"reason": "NamespaceTerminating", "message": "namespace p is terminating"}]}}))
    assert error.causes == ["NamespaceTerminating"]
    assert error.transient


def test_an_unreadable_body_keeps_the_http_reason() -> None:
    exc = client.ApiException(status=502, reason="Bad Gateway")
    exc.body = "<html>proxy error</html>"
    error = KubeError.from_api_exception(exc)
    assert (error.status, error.reason) == (502, "Bad Gateway")
    assert error.transient


def test_failure_messages_lose_every_secret_value_plain_or_encoded() -> None:
    docker_config = render(target().manifest, project_id=PROJECT, deployment_id=DEPLOYMENT, rollout_id=ROLLOUT,
                           user_id="u", username="u", display_name="u", policy=TenancyPolicy())
    pull = next(obj for obj in docker_config if obj["metadata"]["name"].endswith("imagepullsecret"))
    encoded_config = pull["data"][".dockerconfigjson"]
    message = (f'Secret "x" is invalid: data[TOKEN]: Invalid value: "env-secret-value" '
               f'({base64.b64encode(b"env-secret-value").decode()}), password pull-password, '
               f"auth {base64.b64encode(b'robot:pull-password').decode()}, config {encoded_config}")
    blanked = blank_secrets(message, target())
    for leaked in ("env-secret-value", "pull-password", base64.b64encode(b"env-secret-value").decode(),
                   base64.b64encode(b"robot:pull-password").decode(), encoded_config):
        assert leaked not in blanked
    assert blanked.startswith('Secret "x" is invalid: data[TOKEN]: Invalid value: "[redacted]"')


def test_only_rollout_deployment_and_project_changes_reconcile() -> None:
    subjects = {spec.subject for spec in RECONCILING_EVENTS}
    assert subjects == {
        "oneclick.events.rollout.created", "oneclick.events.rollout.updated", "oneclick.events.rollout.deleted",
        "oneclick.events.deployment.deleted", "oneclick.events.project.updated", "oneclick.events.project.deleted"}


def test_the_resync_refuses_to_sweep_when_records_knows_no_project_at_all() -> None:
    from oneclick_k8s_executor.resyncing import implausibly_empty

    assert implausibly_empty(set(), {"p1", "p2"})  # an empty or wrong database, not a world without projects
    assert not implausibly_empty({"p1"}, {"p1", "p2"})  # one orphan among known projects: swept
    assert not implausibly_empty(set(), set())  # nothing to sweep anyway
