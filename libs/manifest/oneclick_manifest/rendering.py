"""A rollout's manifest rendered into the native Kubernetes objects the One-Click operator created, in a
project namespace that carries the tenancy policy's guardrails.

Pure functions: the same manifest, ids and policy always give the same objects in the same order, the
order to apply them in (the project's Namespace, ResourceQuota, LimitRange and NetworkPolicy, then
ServiceAccount, Secrets, PersistentVolumeClaims, Deployment, Services, Ingresses, HorizontalPodAutoscaler,
CronJobs). The executor applies them with server-side apply and prunes what :func:`owned_types` and
:func:`deployment_selector` find but this rendering no longer contains.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
from collections.abc import Mapping
from typing import Any

from oneclick_core.ids import is_record_id
from oneclick_core.kinds import (
    CRONJOB,
    DEPLOYMENT,
    HORIZONTAL_POD_AUTOSCALER,
    INGRESS,
    LIMIT_RANGE,
    NAMESPACE,
    NETWORK_POLICY,
    PERSISTENT_VOLUME_CLAIM,
    RESOURCE_QUOTA,
    ROLLOUT,
    SECRET,
    SERVICE,
    SERVICE_ACCOUNT,
    ObjectType,
)
from oneclick_core.tenancy import PodSecurityLevel, TenancyPolicy
from oneclick_manifest import naming
from oneclick_manifest.model import (
    CronJobSpec,
    EnvVar,
    ImageSpec,
    IngressSpec,
    InterfaceSpec,
    ResourceRequirements,
    RolloutManifest,
    RolloutSpec,
    SecretItem,
    SecurityContextSpec,
    VolumeSpec,
)

Object = dict[str, Any]

# The project's guardrail objects, one of each per namespace.
QUOTA_NAME = "one-click-quota"
LIMIT_RANGE_NAME = "one-click-limits"
NETWORK_POLICY_NAME = "one-click-default"
# Pod Security admission's namespace labels (the level, and the policy version it is checked against).
POD_SECURITY_MODES = ("enforce", "warn", "audit")
POD_SECURITY_VERSION = "latest"
# What the platform never renders and a tenant must not get by hand either: services outside the cluster.
_NO_EXTERNAL_SERVICES = {"services.nodeports": "0", "services.loadbalancers": "0"}

# The HPA behaviour the operator set (controllers/hpa.go): scale up at once, down after 5 minutes.
_HPA_BEHAVIOR: Mapping[str, Any] = {
    "scaleUp": {"stabilizationWindowSeconds": 0, "policies": [{"type": "Percent", "value": 100, "periodSeconds": 15}]},
    "scaleDown": {
        "stabilizationWindowSeconds": 300,
        "policies": [{"type": "Percent", "value": 100, "periodSeconds": 60}],
    },
}


def owned_types() -> tuple[ObjectType, ...]:
    """The kinds a deployment owns, in apply order: what the executor lists (with
    :func:`deployment_selector`) to prune objects a new rollout no longer renders.

    The Namespace and ServiceAccount are not here: both are shared by every deployment of the
    project (blueprints all name the ServiceAccount ``one-click``), so pruning one deployment's
    must not remove them.
    """
    return (SECRET, PERSISTENT_VOLUME_CLAIM, DEPLOYMENT, SERVICE, INGRESS, HORIZONTAL_POD_AUTOSCALER, CRONJOB)


def project_types() -> tuple[ObjectType, ...]:
    """The kinds of a project's namespace and its tenancy guardrails (:func:`render_project`), in apply order:
    shared by the project's deployments, never pruned with one of them."""
    return (NAMESPACE, RESOURCE_QUOTA, LIMIT_RANGE, NETWORK_POLICY)


def object_labels(project_id: str, deployment_id: str, rollout_id: str) -> dict[str, str]:
    """The labels of every object a deployment owns."""
    return {
        naming.PROJECT_ID_LABEL: project_id,
        naming.DEPLOYMENT_ID_LABEL: deployment_id,
        naming.ROLLOUT_ID_LABEL: rollout_id,
        naming.MANAGED_BY_LABEL: naming.MANAGED_BY,
    }


def deployment_selector(project_id: str, deployment_id: str) -> str:
    """Label selector for "the objects of this deployment" (any rollout), for listing and pruning.

    It requires the managed-by label, so objects the operator created are never pruned by it.
    """
    return selector(
        {
            naming.PROJECT_ID_LABEL: project_id,
            naming.DEPLOYMENT_ID_LABEL: deployment_id,
            naming.MANAGED_BY_LABEL: naming.MANAGED_BY,
        }
    )


def pod_selector(project_id: str, deployment_id: str) -> str:
    """Label selector for the pods of the deployment itself (not of its cron jobs): for status and metrics."""
    return selector(_service_selector(project_id, deployment_id))


def selector(labels: Mapping[str, str]) -> str:
    """``key=value,...`` as the Kubernetes API takes it in ``labelSelector``."""
    return ",".join(f"{key}={value}" for key, value in labels.items())


def render(
    manifest: RolloutManifest,
    *,
    project_id: str,
    deployment_id: str,
    rollout_id: str,
    user_id: str,
    username: str,
    display_name: str,
    policy: TenancyPolicy,
) -> list[Object]:
    """Every Kubernetes object of a rollout in its project's namespace under ``policy``, in apply order."""
    for name, value in (("project_id", project_id), ("deployment_id", deployment_id), ("rollout_id", rollout_id)):
        if not is_record_id(value):
            raise ValueError(f"{name} must be a record id (15 characters of [a-z0-9]), got {value!r}")
    spec = manifest.spec
    labels = object_labels(project_id, deployment_id, rollout_id)

    def meta(name: str, annotations: Mapping[str, str] | None = None) -> Object:
        return _metadata(name, project_id, labels, annotations)

    objects = render_project(project_id, user_id=user_id, username=username, display_name=display_name, policy=policy)
    hardened = policy.pod_security == "restricted"
    if spec.service_account_name:
        objects.append(_service_account(spec.service_account_name, project_id))
    if spec.secrets:
        objects.append(_env_secret(meta(naming.secrets_name(deployment_id)), spec.secrets))
    if spec.image.has_credentials:
        objects.append(_pull_secret(meta(naming.image_pull_secret_name(deployment_id)), spec.image))
    for cronjob in spec.cronjobs:
        if cronjob.image.has_credentials:
            pull_secret = naming.image_pull_secret_name(naming.cronjob_name(cronjob.name, deployment_id))
            objects.append(_pull_secret(meta(pull_secret), cronjob.image))
    objects.extend(
        _claim(meta(naming.volume_claim_name(volume.name, deployment_id)), volume) for volume in spec.volumes
    )
    objects.append(_deployment(meta(deployment_id), spec, project_id, deployment_id, hardened=hardened))
    objects.extend(
        _service(meta(naming.service_name(interface.name, deployment_id)), interface, project_id, deployment_id)
        for interface in spec.interfaces
    )
    objects.extend(
        _ingress(
            meta(naming.ingress_name(interface.name, deployment_id), interface.ingress.annotations),
            interface,
            interface.ingress,
            deployment_id,
        )
        for interface in spec.interfaces
        if interface.ingress is not None and interface.ingress.enabled
    )
    if spec.horizontal_scale.autoscaled:
        objects.append(_autoscaler(meta(deployment_id), spec, deployment_id))
    objects.extend(
        _cronjob(
            meta(naming.cronjob_name(cronjob.name, deployment_id)),
            cronjob,
            project_id,
            deployment_id,
            spec.security_context,
            hardened=hardened,
        )
        for cronjob in spec.cronjobs
    )
    return objects


def render_project(
    project_id: str, *, user_id: str, username: str, display_name: str, policy: TenancyPolicy
) -> list[Object]:
    """The project's namespace and its guardrails, in apply order: the Namespace labelled for Pod Security
    admission, a ResourceQuota, a LimitRange with defaults for containers that name no resources, and a
    NetworkPolicy that admits traffic only from the namespace itself and the ingress controller's."""
    return [
        render_namespace(
            project_id, user_id=user_id, username=username, display_name=display_name, pod_security=policy.pod_security
        ),
        _resource_quota(project_id, policy),
        _limit_range(project_id, policy),
        _network_policy(project_id, policy),
    ]


def render_namespace(
    project_id: str, *, user_id: str, username: str, display_name: str, pod_security: PodSecurityLevel
) -> Object:
    """The project's Namespace, labelled with its owner as the original backend did (pkg/k8s/namespace.go) and
    with the Pod Security level the cluster enforces on its pods (and warns and audits about)."""
    labels = {
        naming.PROJECT_ID_LABEL: project_id,
        naming.USER_ID_LABEL: naming.label_value(user_id),
        naming.USERNAME_LABEL: naming.label_value(username),
        naming.DISPLAY_NAME_LABEL: naming.display_name_label_value(display_name),
        naming.MANAGED_BY_LABEL: naming.MANAGED_BY,
    }
    for mode in POD_SECURITY_MODES:
        labels[f"pod-security.kubernetes.io/{mode}"] = pod_security
        labels[f"pod-security.kubernetes.io/{mode}-version"] = POD_SECURITY_VERSION
    return {
        "apiVersion": NAMESPACE.api_version,
        "kind": NAMESPACE.kind,
        "metadata": {"name": project_id, "labels": labels, "annotations": {}},
    }


def _project_metadata(name: str, project_id: str) -> Object:
    # Shared by the project's deployments, so project labels only (see owned_types): never pruned.
    labels = {naming.PROJECT_ID_LABEL: project_id, naming.MANAGED_BY_LABEL: naming.MANAGED_BY}
    return _metadata(name, project_id, labels, None)


def _resource_quota(project_id: str, policy: TenancyPolicy) -> Object:
    hard = {str(resource): amount for resource, amount in policy.quota.items()} | _NO_EXTERNAL_SERVICES
    return _typed(RESOURCE_QUOTA, _project_metadata(QUOTA_NAME, project_id), spec={"hard": hard})


def _limit_range(project_id: str, policy: TenancyPolicy) -> Object:
    defaults = policy.limit_defaults
    limits = {
        "type": "Container",
        "default": {"cpu": defaults.default_limit_cpu, "memory": defaults.default_limit_memory},
        "defaultRequest": {"cpu": defaults.default_request_cpu, "memory": defaults.default_request_memory},
    }
    return _typed(LIMIT_RANGE, _project_metadata(LIMIT_RANGE_NAME, project_id), spec={"limits": [limits]})


def _network_policy(project_id: str, policy: TenancyPolicy) -> Object:
    sources: list[Object] = [{"podSelector": {}}]
    if policy.ingress_namespace:
        sources.append(
            {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": policy.ingress_namespace}}}
        )
    return _typed(
        NETWORK_POLICY,
        _project_metadata(NETWORK_POLICY_NAME, project_id),
        spec={"podSelector": {}, "policyTypes": ["Ingress"], "ingress": [{"from": sources}]},
    )


def render_rollout_resource(
    manifest: RolloutManifest, *, project_id: str, deployment_id: str, rollout_id: str
) -> Object:
    """The ``one-click.dev/v1alpha1`` Rollout for operator mode, as the original backend created it
    (pkg/k8s/rollout.go ``CreateOrUpdateRollout``): named after the deployment, in the project's
    namespace, with exactly its three labels replacing any the manifest had, other metadata kept.

    It carries secret values, as the operator needs them: never log or publish it.
    """
    document = manifest.to_json()
    metadata = {
        key: value for key, value in (manifest.metadata or {}).items() if key not in ("name", "namespace", "labels")
    }
    metadata |= {
        "name": deployment_id,
        "namespace": project_id,
        "labels": {
            naming.PROJECT_ID_LABEL: project_id,
            naming.DEPLOYMENT_ID_LABEL: deployment_id,
            naming.ROLLOUT_ID_LABEL: rollout_id,
        },
    }
    return {"apiVersion": ROLLOUT.api_version, "kind": ROLLOUT.kind, "metadata": metadata, "spec": document["spec"]}


def secrets_checksum(secrets: list[SecretItem]) -> str:
    """SHA-256 over ``name=value`` of every secret, in order (the operator's pod annotation), so
    changing a secret restarts the pods that read it through ``envFrom``."""
    digest = hashlib.sha256()
    for secret in secrets:
        digest.update(f"{secret.name}={secret.value}".encode())
    return digest.hexdigest()


def _metadata(name: str, namespace: str, labels: Mapping[str, str], annotations: Mapping[str, str] | None) -> Object:
    return {"name": name, "namespace": namespace, "labels": dict(labels), "annotations": dict(annotations or {})}


def _typed(object_type: ObjectType, metadata: Object, **body: Any) -> Object:
    return {"apiVersion": object_type.api_version, "kind": object_type.kind, "metadata": metadata, **body}


def _service_account(name: str, project_id: str) -> Object:
    return _typed(SERVICE_ACCOUNT, _project_metadata(name, project_id))


def _b64(text: str | bytes) -> str:
    return base64.b64encode(text.encode() if isinstance(text, str) else text).decode()


def _env_secret(metadata: Object, secrets: list[SecretItem]) -> Object:
    # ``data`` rather than the operator's write-only ``stringData``: with server-side apply a key
    # removed from stringData would otherwise stay in the Secret.
    return _typed(SECRET, metadata, type="Opaque", data={secret.name: _b64(secret.value) for secret in secrets})


def _docker_config_json(image: ImageSpec) -> str:
    """``.dockerconfigjson`` as Go's ``json.Marshal`` wrote it for the operator: sorted keys, no
    spaces, ``<``, ``>``, ``&`` escaped."""
    auth = _b64(f"{image.username}:{image.password}")
    config = {"auths": {image.registry: {"auth": auth, "password": image.password, "username": image.username}}}
    text = json.dumps(config, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    for char, escaped in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(char, escaped)
    return text


def _pull_secret(metadata: Object, image: ImageSpec) -> Object:
    return _typed(
        SECRET,
        metadata,
        type="kubernetes.io/dockerconfigjson",
        data={".dockerconfigjson": _b64(_docker_config_json(image))},
    )


def _claim(metadata: Object, volume: VolumeSpec) -> Object:
    spec: Object = {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": volume.size}}}
    # The operator always set storageClassName, "" included, which turns off dynamic provisioning;
    # leaving it out instead gives the cluster's default class.
    if volume.storage_class:
        spec["storageClassName"] = volume.storage_class
    return _typed(PERSISTENT_VOLUME_CLAIM, metadata, spec=spec)


def _selector_labels(project_id: str, deployment_id: str) -> dict[str, str]:
    """The Deployment's selector, exactly the operator's so it stays valid (selectors are immutable)."""
    return {naming.PROJECT_ID_LABEL: project_id, naming.DEPLOYMENT_ID_LABEL: deployment_id}


def _service_selector(project_id: str, deployment_id: str) -> dict[str, str]:
    return _selector_labels(project_id, deployment_id) | {naming.COMPONENT_LABEL: naming.DEPLOYMENT_COMPONENT}


def _pod_labels(project_id: str, deployment_id: str) -> dict[str, str]:
    # No rollout id: a new rollout that changes nothing in the pod must not restart it.
    return _service_selector(project_id, deployment_id) | {naming.MANAGED_BY_LABEL: naming.MANAGED_BY}


def _resources(resources: ResourceRequirements) -> Object:
    return {
        "requests": {"cpu": resources.requests.cpu, "memory": resources.requests.memory},
        "limits": {"cpu": resources.limits.cpu, "memory": resources.limits.memory},
    }


def _env(env: list[EnvVar]) -> list[Object]:
    return [{"name": item.name, "value": item.value} for item in env]


def _container_security_context(context: SecurityContextSpec) -> Object:
    rendered: Object = {
        "privileged": context.privileged,
        "readOnlyRootFilesystem": context.read_only_root_filesystem,
        "runAsNonRoot": context.run_as_non_root,
        "allowPrivilegeEscalation": context.allow_privilege_escalation,
    }
    capabilities = {
        key: values
        for key, values in (("add", context.capabilities.add), ("drop", context.capabilities.drop))
        if values
    }
    if capabilities:
        rendered["capabilities"] = capabilities
    return rendered


def _pod_security_context(context: SecurityContextSpec) -> Object:
    # Only what the manifest sets: the operator wrote 0 for unset ids, i.e. root.
    ids = (("fsGroup", context.fs_group), ("runAsUser", context.run_as_user), ("runAsGroup", context.run_as_group))
    return {key: value for key, value in ids if value is not None}


def _pod_security_contexts(context: SecurityContextSpec | None, *, hardened: bool) -> tuple[Object, Object]:
    """(pod, container) securityContext. The operator left an all-default securityContext out entirely; under the
    "restricted" level every container states its context and the pod uses the runtime's seccomp profile, which
    that level requires and nothing in the manifest can express."""
    if hardened:
        stated = context or SecurityContextSpec()
        return {
            **_pod_security_context(stated),
            "seccompProfile": {"type": "RuntimeDefault"},
        }, _container_security_context(stated)
    if context is None or context == SecurityContextSpec():
        return {}, {}
    return _pod_security_context(context), _container_security_context(context)


def _deployment(metadata: Object, spec: RolloutSpec, project_id: str, deployment_id: str, *, hardened: bool) -> Object:
    container: Object = {"name": deployment_id, "image": spec.image.reference, "resources": _resources(spec.resources)}
    if spec.env:
        container["env"] = _env(spec.env)
    if spec.secrets:
        container["envFrom"] = [{"secretRef": {"name": naming.secrets_name(deployment_id)}}]
    if spec.command:
        container["command"] = list(spec.command)
    if spec.args:
        container["args"] = list(spec.args)
    if spec.volumes:
        container["volumeMounts"] = [
            {"name": naming.volume_claim_name(volume.name, deployment_id), "mountPath": volume.mount_path}
            for volume in spec.volumes
        ]
    pod: Object = {"containers": [container]}
    pod_context, container_context = _pod_security_contexts(spec.security_context, hardened=hardened)
    if container_context:
        container["securityContext"] = container_context
    if pod_context:
        pod["securityContext"] = pod_context
    if spec.service_account_name:
        pod["serviceAccountName"] = spec.service_account_name
    if spec.image.has_credentials:
        pod["imagePullSecrets"] = [{"name": naming.image_pull_secret_name(deployment_id)}]
    if spec.node_selector:
        pod["nodeSelector"] = dict(spec.node_selector)
    if spec.tolerations:
        pod["tolerations"] = [
            toleration.model_dump(by_alias=True, exclude_defaults=True) for toleration in spec.tolerations
        ]
    if spec.host_aliases:
        pod["hostAliases"] = [{"ip": alias.ip, "hostnames": list(alias.hostnames)} for alias in spec.host_aliases]
    if spec.volumes:
        pod["volumes"] = [
            {
                "name": naming.volume_claim_name(volume.name, deployment_id),
                "persistentVolumeClaim": {"claimName": naming.volume_claim_name(volume.name, deployment_id)},
            }
            for volume in spec.volumes
        ]
    body: Object = {}
    # With autoscaling the HPA owns the replica count; applying one here would fight it.
    if not spec.horizontal_scale.autoscaled:
        body["replicas"] = spec.horizontal_scale.min_replicas
    body |= {
        "selector": {"matchLabels": _selector_labels(project_id, deployment_id)},
        "strategy": {"type": "Recreate" if spec.rollout_strategy == "recreate" else "RollingUpdate"},
        "template": {
            "metadata": {
                "labels": _pod_labels(project_id, deployment_id),
                "annotations": {naming.SECRETS_CHECKSUM_ANNOTATION: secrets_checksum(spec.secrets)},
            },
            "spec": pod,
        },
    }
    return _typed(DEPLOYMENT, metadata, spec=body)


def _service(metadata: Object, interface: InterfaceSpec, project_id: str, deployment_id: str) -> Object:
    port = {"name": interface.name, "port": interface.port, "targetPort": interface.port, "protocol": "TCP"}
    selector_labels = _service_selector(project_id, deployment_id)
    return _typed(SERVICE, metadata, spec={"type": "ClusterIP", "selector": selector_labels, "ports": [port]})


def _ingress(metadata: Object, interface: InterfaceSpec, ingress: IngressSpec, deployment_id: str) -> Object:
    backend = {
        "service": {"name": naming.service_name(interface.name, deployment_id), "port": {"number": interface.port}}
    }
    rules: list[Object] = []
    tls: list[Object] = []
    for rule in ingress.rules:
        path = {"path": rule.path, "pathType": "ImplementationSpecific", "backend": backend}
        rendered: Object = {"host": rule.host} if rule.host else {}
        rendered["http"] = {"paths": [path]}
        rules.append(rendered)
        if rule.tls:
            # The operator listed the host only for its own secret name; with a named secret the
            # TLS entry had no hosts, which ingress controllers read as "every host".
            entry: Object = {"hosts": [rule.host]} if rule.host else {}
            entry["secretName"] = rule.tls_secret_name or naming.tls_secret_name(interface.name, deployment_id)
            tls.append(entry)
    spec: Object = {}
    if ingress.ingress_class:
        spec["ingressClassName"] = ingress.ingress_class
    spec["rules"] = rules
    if tls:
        spec["tls"] = tls
    return _typed(INGRESS, metadata, spec=spec)


def _autoscaler(metadata: Object, spec: RolloutSpec, deployment_id: str) -> Object:
    scale = spec.horizontal_scale
    return _typed(
        HORIZONTAL_POD_AUTOSCALER,
        metadata,
        spec={
            "scaleTargetRef": {"apiVersion": DEPLOYMENT.api_version, "kind": DEPLOYMENT.kind, "name": deployment_id},
            "minReplicas": scale.min_replicas,
            "maxReplicas": scale.max_replicas,
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {
                        "name": "cpu",
                        "target": {
                            "type": "Utilization",
                            "averageUtilization": scale.target_cpu_utilization_percentage,
                        },
                    },
                }
            ],
            "behavior": copy.deepcopy(dict(_HPA_BEHAVIOR)),
        },
    )


def _cronjob(
    metadata: Object,
    cronjob: CronJobSpec,
    project_id: str,
    deployment_id: str,
    context: SecurityContextSpec | None,
    *,
    hardened: bool,
) -> Object:
    """Under the "restricted" level the cron job's pods run with the rollout's securityContext (the operator gave
    them none, which that level refuses); otherwise as the operator rendered them."""
    name = naming.cronjob_name(cronjob.name, deployment_id)
    labels = _selector_labels(project_id, deployment_id) | {
        naming.COMPONENT_LABEL: naming.CRONJOB_COMPONENT,
        naming.CRONJOB_LABEL: cronjob.name,
        naming.MANAGED_BY_LABEL: naming.MANAGED_BY,
    }
    container: Object = {"name": cronjob.name, "image": cronjob.image.reference}
    if cronjob.command:
        container["command"] = list(cronjob.command)
    if cronjob.args:
        container["args"] = list(cronjob.args)
    if cronjob.env:
        container["env"] = _env(cronjob.env)
    container["resources"] = _resources(cronjob.resources)
    pod: Object = {"containers": [container], "restartPolicy": "Never"}
    if hardened:
        pod_context, container_context = _pod_security_contexts(context, hardened=True)
        container["securityContext"] = container_context
        pod["securityContext"] = pod_context
    if cronjob.image.has_credentials:
        pod["imagePullSecrets"] = [{"name": naming.image_pull_secret_name(name)}]
    return _typed(
        CRONJOB,
        metadata,
        spec={
            "schedule": cronjob.schedule,
            "suspend": cronjob.suspend,
            "jobTemplate": {
                "metadata": {"labels": dict(labels)},
                "spec": {
                    "backoffLimit": cronjob.backoff_limit,
                    "template": {"metadata": {"labels": dict(labels)}, "spec": pod},
                },
            },
        },
    )
