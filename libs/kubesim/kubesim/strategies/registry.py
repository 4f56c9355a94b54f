"""Which strategy handles which resource."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from kubesim.resources import ResourceType
from kubesim.strategies.apiextensions import CustomResourceDefinitionStrategy, CustomResourceStrategy
from kubesim.strategies.apps import DaemonSetStrategy, DeploymentStrategy, ReplicaSetStrategy, StatefulSetStrategy
from kubesim.strategies.autoscaling import HorizontalPodAutoscalerStrategy
from kubesim.strategies.base import Strategy
from kubesim.strategies.batch import CronJobStrategy, JobStrategy
from kubesim.strategies.core import (
    ConfigMapStrategy,
    EventStrategy,
    LimitRangeStrategy,
    NamespaceStrategy,
    NodeStrategy,
    ResourceQuotaStrategy,
    SecretStrategy,
    ServiceAccountStrategy,
)
from kubesim.strategies.networking import IngressStrategy, NetworkPolicyStrategy
from kubesim.strategies.pods import PodStrategy
from kubesim.strategies.services import ServiceStrategy
from kubesim.strategies.storage import (
    PersistentVolumeClaimStrategy,
    PersistentVolumeStrategy,
    StorageClassStrategy,
)

STRATEGIES: Mapping[str, type[Strategy]] = MappingProxyType(
    {
        "/pods": PodStrategy,
        "/services": ServiceStrategy,
        "/namespaces": NamespaceStrategy,
        "/configmaps": ConfigMapStrategy,
        "/secrets": SecretStrategy,
        "/persistentvolumeclaims": PersistentVolumeClaimStrategy,
        "/persistentvolumes": PersistentVolumeStrategy,
        "/events": EventStrategy,
        "/nodes": NodeStrategy,
        "/serviceaccounts": ServiceAccountStrategy,
        "/resourcequotas": ResourceQuotaStrategy,
        "/limitranges": LimitRangeStrategy,
        "networking.k8s.io/networkpolicies": NetworkPolicyStrategy,
        "apps/deployments": DeploymentStrategy,
        "apps/replicasets": ReplicaSetStrategy,
        "apps/statefulsets": StatefulSetStrategy,
        "apps/daemonsets": DaemonSetStrategy,
        "batch/jobs": JobStrategy,
        "batch/cronjobs": CronJobStrategy,
        "networking.k8s.io/ingresses": IngressStrategy,
        "autoscaling/horizontalpodautoscalers": HorizontalPodAutoscalerStrategy,
        "storage.k8s.io/storageclasses": StorageClassStrategy,
        "apiextensions.k8s.io/customresourcedefinitions": CustomResourceDefinitionStrategy,
    }
)


def strategy_for(rt: ResourceType) -> Strategy:
    if rt.custom:
        return CustomResourceStrategy()
    return STRATEGIES.get(rt.key, Strategy)()
