"""Every kind of Kubernetes object One-Click names, each defined once: what the renderer produces, what the
executor reads or acts on, and what the live views watch.

Pure (standard library only). It lives in ``oneclick_core`` rather than beside the Kubernetes client
(``oneclick_kube``) because the code that names kinds is wider than the code that calls the API:

- ``oneclick_manifest`` renders objects of these kinds and is a pure library that records, the edge and the
  updater use; it must not bring kubernetes-asyncio into those services, as a dependency on ``oneclick_kube``
  would (the package, even if this module did not import it);
- ``oneclick_core.contracts.streaming`` describes the live views' kinds with this same type, and
  ``oneclick_kube`` depends on ``oneclick_core``, so the contract could not import a type defined there.

REST paths of these kinds are built by the client (``oneclick_kube.paths.resource_path``).
"""

from __future__ import annotations

from typing import NamedTuple


class ObjectType(NamedTuple):
    """A kind of object, with the plural its REST path uses."""

    api_version: str
    kind: str
    plural: str

    @property
    def group(self) -> str:
        """The API group, ``""`` for the core group (``v1``): how RBAC rules and watch URLs name it."""
        return self.api_version.rpartition("/")[0]


# The core group.
NAMESPACE = ObjectType("v1", "Namespace", "namespaces")
SERVICE_ACCOUNT = ObjectType("v1", "ServiceAccount", "serviceaccounts")
SECRET = ObjectType("v1", "Secret", "secrets")
CONFIG_MAP = ObjectType("v1", "ConfigMap", "configmaps")
PERSISTENT_VOLUME_CLAIM = ObjectType("v1", "PersistentVolumeClaim", "persistentvolumeclaims")
POD = ObjectType("v1", "Pod", "pods")
SERVICE = ObjectType("v1", "Service", "services")
EVENT = ObjectType("v1", "Event", "events")
RESOURCE_QUOTA = ObjectType("v1", "ResourceQuota", "resourcequotas")
LIMIT_RANGE = ObjectType("v1", "LimitRange", "limitranges")

# Workloads.
DEPLOYMENT = ObjectType("apps/v1", "Deployment", "deployments")
REPLICA_SET = ObjectType("apps/v1", "ReplicaSet", "replicasets")
JOB = ObjectType("batch/v1", "Job", "jobs")
CRONJOB = ObjectType("batch/v1", "CronJob", "cronjobs")
HORIZONTAL_POD_AUTOSCALER = ObjectType("autoscaling/v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers")

# Networking, storage, metrics.
INGRESS = ObjectType("networking.k8s.io/v1", "Ingress", "ingresses")
INGRESS_CLASS = ObjectType("networking.k8s.io/v1", "IngressClass", "ingressclasses")
NETWORK_POLICY = ObjectType("networking.k8s.io/v1", "NetworkPolicy", "networkpolicies")
STORAGE_CLASS = ObjectType("storage.k8s.io/v1", "StorageClass", "storageclasses")
POD_METRICS = ObjectType("metrics.k8s.io/v1beta1", "PodMetrics", "pods")

# One-Click's own custom resource, written in operator mode.
ROLLOUT = ObjectType("one-click.dev/v1alpha1", "Rollout", "rollouts")
