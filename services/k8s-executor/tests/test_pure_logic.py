"""The executor's pure pieces: the paths of rendered objects, what a failure message may show, and which events
cause a reconciliation at all (the client's own paths and errors: libs/kube/tests)."""

from __future__ import annotations

import base64

from oneclick_core.contracts.records import Owner
from oneclick_core.tenancy import TenancyPolicy
from oneclick_k8s_executor.applying import RolloutTarget, object_path, object_ref
from oneclick_k8s_executor.reconciling import RECONCILING_EVENTS, blank_secrets
from oneclick_manifest.model import validate_manifest
from oneclick_manifest.rendering import render

PROJECT, DEPLOYMENT, ROLLOUT = "projectid000001", "deploymentid001", "rolloutid000001"


def manifest(**spec: object) -> dict[str, object]:
    base: dict[str, object] = {
        "image": {
            "registry": "ghcr.io",
            "repository": "acme/web",
            "tag": "1.0",
            "username": "robot",
            "password": "pull-password",
        },
        "horizontalScale": {"minReplicas": 1, "maxReplicas": 1},
        "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"cpu": "200m", "memory": "128Mi"}},
        "secrets": [{"name": "TOKEN", "value": "env-secret-value"}],
    }
    return {"apiVersion": "one-click.dev/v1alpha1", "kind": "Rollout", "spec": base | spec}


def target() -> RolloutTarget:
    return RolloutTarget(
        project=PROJECT,
        deployment=DEPLOYMENT,
        rollout=ROLLOUT,
        owner=Owner(id="user00000000001"),
        manifest=validate_manifest(manifest()),
        policy=TenancyPolicy(),
    )


def test_every_rendered_object_has_a_path_and_a_ref() -> None:
    t = target()
    objects = render(
        t.manifest,
        project_id=PROJECT,
        deployment_id=DEPLOYMENT,
        rollout_id=ROLLOUT,
        user_id="user00000000001",
        username="u",
        display_name="U",
        policy=TenancyPolicy(),
    )
    assert object_path(objects[0]) == f"/api/v1/namespaces/{PROJECT}"
    refs = {object_ref(obj): object_path(obj) for obj in objects}
    assert refs[f"Deployment/{DEPLOYMENT}"] == f"/apis/apps/v1/namespaces/{PROJECT}/deployments/{DEPLOYMENT}"
    assert refs[f"Secret/{DEPLOYMENT}-imagepullsecret"] == (
        f"/api/v1/namespaces/{PROJECT}/secrets/{DEPLOYMENT}-imagepullsecret"
    )


def test_failure_messages_lose_every_secret_value_plain_or_encoded() -> None:
    docker_config = render(
        target().manifest,
        project_id=PROJECT,
        deployment_id=DEPLOYMENT,
        rollout_id=ROLLOUT,
        user_id="u",
        username="u",
        display_name="u",
        policy=TenancyPolicy(),
    )
    pull = next(obj for obj in docker_config if obj["metadata"]["name"].endswith("imagepullsecret"))
    encoded_config = pull["data"][".dockerconfigjson"]
    message = (
        f'Secret "x" is invalid: data[TOKEN]: Invalid value: "env-secret-value" '
        f"({base64.b64encode(b'env-secret-value').decode()}), password pull-password, "
        f"auth {base64.b64encode(b'robot:pull-password').decode()}, config {encoded_config}"
    )
    blanked = blank_secrets(message, target())
    for leaked in (
        "env-secret-value",
        "pull-password",
        base64.b64encode(b"env-secret-value").decode(),
        base64.b64encode(b"robot:pull-password").decode(),
        encoded_config,
    ):
        assert leaked not in blanked
    assert blanked.startswith('Secret "x" is invalid: data[TOKEN]: Invalid value: "[redacted]"')


def test_only_rollout_deployment_and_project_changes_reconcile() -> None:
    subjects = {spec.subject for spec in RECONCILING_EVENTS}
    assert subjects == {
        "oneclick.events.rollout.created",
        "oneclick.events.rollout.updated",
        "oneclick.events.rollout.deleted",
        "oneclick.events.deployment.deleted",
        "oneclick.events.project.updated",
        "oneclick.events.project.deleted",
    }


def test_the_resync_refuses_to_sweep_when_records_knows_no_project_at_all() -> None:
    from oneclick_k8s_executor.resyncing import implausibly_empty

    assert implausibly_empty(set(), {"p1", "p2"})  # an empty or wrong database, not a world without projects
    assert not implausibly_empty({"p1"}, {"p1", "p2"})  # one orphan among known projects: swept
    assert not implausibly_empty(set(), set())  # nothing to sweep anyway
