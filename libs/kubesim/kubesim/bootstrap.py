"""What a fresh cluster contains: system namespaces, the node, storage and ingress classes, the One-Click CRD."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from kubesim import clock

JSON = dict[str, Any]

NODE_NAME = "kubesim-node"
NODE_IP = "172.18.0.2"
NODE_CAPACITY: Mapping[str, str] = MappingProxyType(
    {
        "cpu": "8",
        "memory": "32Gi",
        "pods": "110",
        "ephemeral-storage": "100Gi",
        "hugepages-1Gi": "0",
        "hugepages-2Mi": "0",
    }
)
NODE_ALLOCATABLE: Mapping[str, str] = MappingProxyType(
    {
        "cpu": "7800m",
        "memory": "31Gi",
        "pods": "110",
        "ephemeral-storage": "95Gi",
        "hugepages-1Gi": "0",
        "hugepages-2Mi": "0",
    }
)

SYSTEM_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")


def one_click_crd() -> JSON:
    """The One-Click Rollout CRD, preinstalled."""
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "rollouts.one-click.dev"},
        "spec": {
            "group": "one-click.dev",
            "names": {"kind": "Rollout", "listKind": "RolloutList", "plural": "rollouts", "singular": "rollout"},
            "scope": "Namespaced",
            "versions": [
                {
                    "name": "v1alpha1",
                    "served": True,
                    "storage": True,
                    "subresources": {"status": {}},
                    "additionalPrinterColumns": [
                        {"name": "Image", "type": "string", "jsonPath": ".spec.image.repository"},
                        {"name": "Tag", "type": "string", "jsonPath": ".spec.image.tag"},
                        {"name": "Replicas", "type": "integer", "jsonPath": ".spec.horizontalScale.minReplicas"},
                        {"name": "Status", "type": "string", "jsonPath": ".status.deployment.status"},
                        {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
                    ],
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "description": "A One-Click rollout: the desired state of one deployment.",
                            "properties": {
                                "apiVersion": {"type": "string"},
                                "kind": {"type": "string"},
                                "metadata": {"type": "object"},
                                "spec": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
                                "status": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
                            },
                        }
                    },
                }
            ],
        },
    }


def node(created: float) -> JSON:
    ts = clock.rfc3339(created)
    condition_defs = [
        ("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
        ("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
        ("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
        ("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
    ]
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": NODE_NAME,
            "labels": {
                "beta.kubernetes.io/arch": "amd64",
                "beta.kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
                "kubernetes.io/hostname": NODE_NAME,
                "kubernetes.io/os": "linux",
                "node-role.kubernetes.io/control-plane": "",
                "node.kubernetes.io/exclude-from-external-load-balancers": "",
            },
            "annotations": {
                "node.alpha.kubernetes.io/ttl": "0",
                "volumes.kubernetes.io/controller-managed-attach-detach": "true",
            },
        },
        "spec": {"podCIDR": "10.244.0.0/24", "podCIDRs": ["10.244.0.0/24"], "providerID": f"kubesim://{NODE_NAME}"},
        "status": {
            "capacity": dict(NODE_CAPACITY),
            "allocatable": dict(NODE_ALLOCATABLE),
            "conditions": [
                {"type": t, "status": s, "reason": r, "message": m, "lastHeartbeatTime": ts, "lastTransitionTime": ts}
                for t, s, r, m in condition_defs
            ],
            "addresses": [{"type": "InternalIP", "address": NODE_IP}, {"type": "Hostname", "address": NODE_NAME}],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "nodeInfo": {
                "machineID": "6b1f0c2d9a4e4f4f8e0d2b3c4a5f6e7d",
                "systemUUID": "6b1f0c2d-9a4e-4f4f-8e0d-2b3c4a5f6e7d",
                "bootID": "0f6c8a9e-1d2b-4c3d-9e8f-7a6b5c4d3e2f",
                "kernelVersion": "6.1.0-kubesim",
                "osImage": "Debian GNU/Linux 12 (bookworm)",
                "containerRuntimeVersion": "containerd://1.7.24",
                "kubeletVersion": "v1.32.0",
                "kubeProxyVersion": "v1.32.0",
                "operatingSystem": "linux",
                "architecture": "amd64",
            },
            "images": [],
        },
    }


def storage_classes() -> list[JSON]:
    return [
        {
            "apiVersion": "storage.k8s.io/v1",
            "kind": "StorageClass",
            "metadata": {"name": "standard", "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
            "provisioner": "rancher.io/local-path",
            "reclaimPolicy": "Delete",
            "volumeBindingMode": "Immediate",
            "allowVolumeExpansion": True,
        },
        {
            "apiVersion": "storage.k8s.io/v1",
            "kind": "StorageClass",
            "metadata": {"name": "local-path"},
            "provisioner": "rancher.io/local-path",
            "reclaimPolicy": "Delete",
            "volumeBindingMode": "WaitForFirstConsumer",
            "allowVolumeExpansion": False,
        },
    ]


def ingress_classes() -> list[JSON]:
    return [
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "IngressClass",
            "metadata": {
                "name": "nginx",
                "annotations": {"ingressclass.kubernetes.io/is-default-class": "true"},
                "labels": {"app.kubernetes.io/component": "controller", "app.kubernetes.io/name": "ingress-nginx"},
            },
            "spec": {"controller": "k8s.io/ingress-nginx"},
        }
    ]


def kubernetes_service() -> JSON:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": "kubernetes",
            "namespace": "default",
            "labels": {"component": "apiserver", "provider": "kubernetes"},
        },
        "spec": {
            "type": "ClusterIP",
            "clusterIP": "10.96.0.1",
            "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": 6443}],
        },
    }
