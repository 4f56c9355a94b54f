"""deploy/kubernetes: every overlay renders, every object is valid for its kind (Kubernetes 1.32 schemas), the
services are configured only with settings they read, and the dev overlay installs on kubesim with every
Deployment becoming available.
"""

from __future__ import annotations

import asyncio
import copy
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from kubesim.testing import KubesimProcess
from oneclick_cli.discovery import load_service
from oneclick_cli.processes import venv_binary
from oneclick_core.contracts.rpc import SERVICES
from oneclick_testing.waiting import eventually

from .dockerfile import load as load_dockerfile
from .kustomize import KUBERNETES, OVERLAYS, Json, by_generated_name, find, kubectl, one, render, render_with_components
from .nats_config import load_users
from .settings_env import unknown_variables

KUBERNETES_VERSION = "1.32.0"
KUBE_SERVICES = {"k8s-executor", "streaming"}
SHARED_POD = KUBERNETES / "base" / "service-pod.yaml"
ADMIN_PORT = int(load_dockerfile().stage("runtime").env()["ONECLICK_ADMIN_PORT"])


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Json]]:
    overlays = {name: render(KUBERNETES / "overlays" / name) for name in OVERLAYS}
    overlays["prod+operator-mode"] = render_with_components(
        tmp_path_factory.mktemp("operator"), "prod", ["operator-mode"]
    )
    return overlays


def test_every_object_is_valid_for_its_kind(rendered: dict[str, list[Json]]) -> None:
    broken = copy.deepcopy(one(rendered["dev"], "Deployment", "edge"))
    broken["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {}  # a typo must not pass
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)
    for overlay, objects in rendered.items():
        assert objects, overlay
        for obj in objects:
            try:
                kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
            except kubernetes_validate.ValidationError as exc:
                raise AssertionError(f"{overlay}: {obj['kind']}/{obj['metadata']['name']}: {exc}") from None


def test_everything_lives_in_the_oneclick_namespace(rendered: dict[str, list[Json]]) -> None:
    cluster_scoped = {"Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition"}
    for overlay, objects in rendered.items():
        for obj in objects:
            namespace = obj["metadata"].get("namespace")
            assert namespace == (None if obj["kind"] in cluster_scoped else "oneclick"), (overlay, obj["kind"])


def _container(deployment: Json) -> Json:
    containers = deployment["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    return containers[0]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_each_service_is_a_hardened_replicated_deployment(rendered: dict[str, list[Json]], overlay: str) -> None:
    objects = rendered[overlay]
    for name in SERVICES:
        deployment = one(objects, "Deployment", name)
        spec = deployment["spec"]
        pod = spec["template"]["spec"]
        container = _container(deployment)
        autoscalers = [
            obj
            for obj in objects
            if obj["kind"] == "HorizontalPodAutoscaler"
            and obj["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}
        ]
        if autoscalers:
            # The autoscaler owns the count; a replicas field would reset it on every apply.
            assert "replicas" not in spec, f"{name} is autoscaled"
            replicas = autoscalers[0]["spec"]["minReplicas"]
        else:
            replicas = spec["replicas"]
        assert replicas >= 2, f"{name} runs several replicas"
        assert container["args"] == [name], "the image's entrypoint is `oneclick service`"
        assert pod["serviceAccountName"] == f"oneclick-{name}"
        one(objects, "ServiceAccount", f"oneclick-{name}")
        assert pod["automountServiceAccountToken"] is (name in KUBE_SERVICES), f"{name} needs no API token"
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["runAsUser"] == int(
            load_dockerfile().stage("runtime").one("USER").value.split(":")[0]
        )
        hardening = container["securityContext"]
        assert hardening["readOnlyRootFilesystem"] is True
        assert hardening["allowPrivilegeEscalation"] is False
        assert hardening["capabilities"]["drop"] == ["ALL"]
        assert {"requests", "limits"} <= set(container["resources"])
        assert pod["topologySpreadConstraints"], f"{name}'s replicas spread over nodes and zones"
        ports = {port["name"]: port["containerPort"] for port in container["ports"]}
        assert ports["admin"] == ADMIN_PORT
        for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz"), ("startupProbe", "/healthz")):
            assert container[probe]["httpGet"] == {"path": path, "port": "admin"}, (name, probe)
        budget = one(objects, "PodDisruptionBudget", name)
        assert budget["spec"]["selector"]["matchLabels"] == spec["selector"]["matchLabels"]
        assert budget["spec"]["minAvailable"] < replicas


def _at(obj: Any, pointer: str) -> Any:
    """The value at a JSON pointer; None where there is none."""
    for step in pointer.strip("/").split("/"):
        try:
            obj = obj[int(step)] if isinstance(obj, list) else obj[step]
        except (KeyError, IndexError):
            return None
    return obj


def test_every_deployment_is_a_service_carrying_the_shared_pod() -> None:
    """base/service-pod.yaml, stated once, patches every Deployment of the base: each is a service's, and each
    comes out with all of the patch (hardening, probes, shared settings, /tmp)."""
    base = KUBERNETES / "base"
    objects = render(base)
    deployments = find(objects, "Deployment")
    assert sorted(obj["metadata"]["name"] for obj in deployments) == sorted(SERVICES), (
        "the patch targets kind Deployment: a Deployment that is no service's would get the services' pod"
    )
    images = {
        image["name"]: f"{image['newName']}:{image['newTag']}"
        for image in yaml.safe_load((base / "kustomization.yaml").read_text())["images"]
    }
    operations = yaml.safe_load(SHARED_POD.read_text())
    assert operations
    for operation in operations:
        assert operation["op"] == "add", operation
        expected = operation["value"]
        if operation["path"].endswith("/image"):
            expected = images[expected]  # the base's images transformer runs after the patch
        for deployment in deployments:
            assert _at(deployment, operation["path"]) == expected, (deployment["metadata"]["name"], operation["path"])


def _environment_names(objects: list[Json], container: Json) -> set[str]:
    names = {entry["name"] for entry in container.get("env", [])}
    for source in container.get("envFrom", []):
        kind, ref = (
            ("ConfigMap", source["configMapRef"]) if "configMapRef" in source else ("Secret", source["secretRef"])
        )
        found = [obj for obj in objects if obj["kind"] == kind and obj["metadata"]["name"] == ref["name"]]
        for obj in found:
            names |= set(obj.get("data") or {}) | set(obj.get("stringData") or {})
    return names


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_services_get_only_settings_they_read(rendered: dict[str, list[Json]], overlay: str) -> None:
    objects = rendered[overlay]
    for name in SERVICES:
        container = _container(one(objects, "Deployment", name))
        names = _environment_names(objects, container)
        assert not unknown_variables(name, names), f"{overlay}: {name} reads none of {unknown_variables(name, names)}"
        refs = [source.get("secretRef", {}).get("name", "") for source in container["envFrom"]]
        assert any(ref.startswith(f"oneclick-{name}") for ref in refs), f"{name} reads its own Secret"
        assert not any(ref.startswith("oneclick-") and not ref.startswith(f"oneclick-{name}") for ref in refs), (
            f"{name} must not read another service's Secret"
        )


def test_dev_secrets_give_each_service_its_nats_user_and_database_role(rendered: dict[str, list[Json]]) -> None:
    import base64

    objects = rendered["dev"]

    def data(name: str) -> dict[str, str]:
        secret = by_generated_name(objects, "Secret", name)
        return {key: base64.b64decode(value).decode() for key, value in secret["data"].items()}

    nats_passwords = data("oneclick-nats-users")
    users = load_users()
    assert set(nats_passwords) == {user.password_variable for user in users.values()}
    roles = (KUBERNETES / "components" / "postgres" / "roles.sql").read_text()
    for name in SERVICES:
        secret = data(f"oneclick-{name}")
        assert secret["ONECLICK_NATS_USER"] == name
        assert secret["ONECLICK_NATS_PASSWORD"] == nats_passwords[users[name].password_variable]
        schema = load_service(name).schema
        assert ("ONECLICK_DATABASE_URL" in secret) == (schema is not None)
        if schema is not None:
            role = f"oneclick_{schema}"
            assert secret["ONECLICK_DATABASE_URL"].split("://", 1)[1].startswith(f"{role}:"), name
            assert f"CREATE SCHEMA {schema} AUTHORIZATION {role};" in roles


def test_the_edge_is_public_through_service_ingress_and_autoscaled(rendered: dict[str, list[Json]]) -> None:
    for overlay in OVERLAYS:
        objects = rendered[overlay]
        edge = _container(one(objects, "Deployment", "edge"))
        http_port = int(by_generated_name(objects, "ConfigMap", "oneclick-edge")["data"]["ONECLICK_HTTP_PORT"])
        assert {port["name"]: port["containerPort"] for port in edge["ports"]}["http"] == http_port
        service = one(objects, "Service", "edge")
        assert service["spec"]["ports"][0]["targetPort"] == "http"
        assert service["spec"]["selector"] == one(objects, "Deployment", "edge")["spec"]["selector"]["matchLabels"]
        backend = one(objects, "Ingress", "edge")["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
        assert backend == {"name": "edge", "port": {"name": "http"}}
        autoscaler = one(objects, "HorizontalPodAutoscaler", "edge")
        assert autoscaler["spec"]["scaleTargetRef"]["name"] == "edge"
        assert autoscaler["spec"]["minReplicas"] >= 2
        assert [
            obj["metadata"]["name"]
            for obj in find(objects, "Service")
            if obj["metadata"]["name"] not in {"nats", "nats-headless", "postgres"}
        ] == ["edge"]


def test_nats_and_postgres_are_components_of_dev_only(rendered: dict[str, list[Json]]) -> None:
    dev, prod = rendered["dev"], rendered["prod"]
    assert one(dev, "StatefulSet", "nats")["spec"]["replicas"] == 3
    assert one(dev, "StatefulSet", "postgres")
    assert not find(prod, "StatefulSet"), "prod uses external NATS and PostgreSQL"
    config = by_generated_name(prod, "ConfigMap", "oneclick-config")["data"]
    assert config["ONECLICK_NATS_URL"].startswith("tls://")
    assert config["ONECLICK_NATS_TLS_CA_FILE"].startswith("/etc/oneclick/nats-ca/")
    for name in SERVICES:
        mounts = _container(one(prod, "Deployment", name))["volumeMounts"]
        assert "/etc/oneclick/nats-ca" in {mount["mountPath"] for mount in mounts}


def test_the_crd_comes_only_with_operator_mode(rendered: dict[str, list[Json]]) -> None:
    for overlay in OVERLAYS:
        assert not find(rendered[overlay], "CustomResourceDefinition"), overlay
        mode = by_generated_name(rendered[overlay], "ConfigMap", "oneclick-k8s-executor")["data"]
        assert mode["ONECLICK_EXECUTOR_MODE"] == "native"
    operator = rendered["prod+operator-mode"]
    assert one(operator, "CustomResourceDefinition", "rollouts.one-click.dev")["spec"]["group"] == "one-click.dev"
    mode = by_generated_name(operator, "ConfigMap", "oneclick-k8s-executor")["data"]
    assert mode["ONECLICK_EXECUTOR_MODE"] == "operator"


def test_the_rendered_nats_configuration_is_accepted_by_nats_server(
    rendered: dict[str, list[Json]], tmp_path: Path
) -> None:
    config = by_generated_name(rendered["dev"], "ConfigMap", "nats-config")["data"]
    for filename, text in config.items():
        (tmp_path / filename).write_text(text)
    env = {"POD_NAME": "nats-0", **{user.password_variable: "pwcheck" for user in load_users().values()}}
    checked = subprocess.run(
        [str(venv_binary("nats-server")), "-c", str(tmp_path / "nats.conf"), "-t"],
        capture_output=True,
        text=True,
        env=env,
        timeout=30,
    )
    assert checked.returncode == 0, checked.stderr
    statefulset = one(rendered["dev"], "StatefulSet", "nats")
    container = statefulset["spec"]["template"]["spec"]["containers"][0]
    assert container["args"] == ["--config", "/etc/nats/nats.conf"]
    assert {
        "secretRef": {"name": by_generated_name(rendered["dev"], "Secret", "oneclick-nats-users")["metadata"]["name"]}
    } in container["envFrom"]


# -- installing the dev overlay on kubesim ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def cluster() -> Iterator[KubesimProcess]:
    with KubesimProcess(timings="fast") as process:
        yield process


def _available(cluster: KubesimProcess, kind: str, namespace: str) -> dict[str, bool]:
    path = {"Deployment": "deployments", "StatefulSet": "statefulsets"}[kind]
    code, body = cluster.request("GET", f"/apis/apps/v1/namespaces/{namespace}/{path}")
    assert code == 200, body
    ready: dict[str, bool] = {}
    for item in body["items"]:
        status: dict[str, Any] = item.get("status") or {}
        wanted = item["spec"]["replicas"]
        field = "availableReplicas" if kind == "Deployment" else "readyReplicas"
        ready[item["metadata"]["name"]] = status.get(field, 0) == wanted
    return ready


def _apply_dev(cluster: KubesimProcess) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [kubectl(), "--kubeconfig", str(cluster.kubeconfig), "apply", "-k", str(KUBERNETES / "overlays" / "dev")],
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.kubectl
async def test_dev_overlay_applies_to_a_cluster_and_every_deployment_becomes_available(
    cluster: KubesimProcess, rendered: dict[str, list[Json]]
) -> None:
    applied = await asyncio.to_thread(_apply_dev, cluster)
    assert applied.returncode == 0, applied.stderr
    assert len(applied.stdout.strip().splitlines()) == len(rendered["dev"])

    def all_available() -> bool:
        deployments = _available(cluster, "Deployment", "oneclick")
        statefulsets = _available(cluster, "StatefulSet", "oneclick")
        return (
            set(deployments) == set(SERVICES)
            and all(deployments.values())
            and set(statefulsets) == {"nats", "postgres"}
            and all(statefulsets.values())
        )

    await eventually(all_available, timeout=60, interval=0.2, message="every Deployment and StatefulSet available")
    # Applying again succeeds (an upgrade is a re-apply) and leaves the Deployments as they were.
    again = await asyncio.to_thread(_apply_dev, cluster)
    assert again.returncode == 0, again.stderr
    assert {f"deployment.apps/{name} unchanged" for name in SERVICES} <= set(again.stdout.strip().splitlines())
