"""The resource type table: every group/version/resource kubesim serves, and the CRD-backed ones added at run time."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

STANDARD_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")
NAMESPACE_VERBS = ("create", "delete", "get", "list", "patch", "update", "watch")
READ_VERBS = ("get", "list")


@dataclass(frozen=True)
class Subresource:
    name: str
    verbs: tuple[str, ...]
    kind: str = ""  # empty: the parent's kind
    group: str | None = None  # None: the parent's group and version
    version: str | None = None


STATUS = Subresource("status", ("get", "patch", "update"))
SCALE = Subresource("scale", ("get", "patch", "update"), kind="Scale", group="autoscaling", version="v1")


@dataclass(frozen=True)
class PrinterColumn:
    name: str
    type: str
    json_path: str
    description: str = ""
    priority: int = 0
    format: str = ""


@dataclass(frozen=True)
class ScalePaths:
    spec_replicas: str
    status_replicas: str
    label_selector: str | None = None


@dataclass(frozen=True)
class ResourceType:
    group: str
    version: str
    plural: str
    singular: str
    kind: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    verbs: tuple[str, ...] = STANDARD_VERBS
    subresources: tuple[Subresource, ...] = ()
    # metadata.generation is maintained (bumped on spec changes) only for these.
    has_generation: bool = False
    # DELETE answers with the object (pods, namespaces, ...) instead of a success Status.
    return_deleted_object: bool = False
    # Custom resources: no strategic-merge patch, resourceVersion required on update.
    custom: bool = False
    # What propagationPolicy a DELETE without one uses (batch/v1 Jobs still orphan their pods).
    default_propagation: str = "Background"
    printer_columns: tuple[PrinterColumn, ...] = ()
    scale_paths: ScalePaths | None = None
    # Served but not stored: computed on every read (metrics.k8s.io).
    virtual: bool = False
    # The storage shared by all versions of one resource (CRDs with several versions).
    storage_version: str = ""
    extra: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def key(self) -> str:
        """Storage key shared by every version of the resource: ``apps/deployments``, ``/pods``."""
        return f"{self.group}/{self.plural}"

    @property
    def qualified(self) -> str:
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def list_kind(self) -> str:
        return f"{self.kind}List"

    def subresource(self, name: str) -> Subresource | None:
        for sub in self.subresources:
            if sub.name == name:
                return sub
        return None

    def has_status(self) -> bool:
        return self.subresource("status") is not None


def _t(
    group: str,
    version: str,
    plural: str,
    kind: str,
    namespaced: bool = True,
    *,
    short: tuple[str, ...] = (),
    categories: tuple[str, ...] = (),
    singular: str = "",
    subresources: tuple[Subresource, ...] = (),
    generation: bool = False,
    returns_object: bool = False,
    verbs: tuple[str, ...] = STANDARD_VERBS,
    propagation: str = "Background",
    virtual: bool = False,
    storage: str = "",
) -> ResourceType:
    return ResourceType(
        group=group,
        version=version,
        plural=plural,
        singular=singular or kind.lower(),
        kind=kind,
        namespaced=namespaced,
        short_names=short,
        categories=categories,
        verbs=verbs,
        subresources=subresources,
        has_generation=generation,
        return_deleted_object=returns_object,
        default_propagation=propagation,
        virtual=virtual,
        storage_version=storage,
    )


ALL = ("all",)


def builtin_types() -> list[ResourceType]:
    """Every built-in resource kubesim serves. Long because it is a table, one entry a resource type, read top to
    bottom like the API server's discovery; splitting it would only scatter the table."""
    return [
        _t(
            "",
            "v1",
            "namespaces",
            "Namespace",
            False,
            short=("ns",),
            returns_object=True,
            verbs=NAMESPACE_VERBS,
            subresources=(STATUS, Subresource("finalize", ("update",))),
        ),
        _t(
            "",
            "v1",
            "pods",
            "Pod",
            short=("po",),
            categories=ALL,
            returns_object=True,
            subresources=(
                STATUS,
                Subresource("log", ("get",)),
                Subresource("eviction", ("create",), kind="Eviction", group="policy", version="v1"),
                Subresource("binding", ("create",), kind="Binding"),
            ),
        ),
        _t(
            "", "v1", "services", "Service", short=("svc",), categories=ALL, returns_object=True, subresources=(STATUS,)
        ),
        _t("", "v1", "endpoints", "Endpoints", short=("ep",), singular="endpoints"),
        _t("", "v1", "configmaps", "ConfigMap", short=("cm",)),
        _t("", "v1", "secrets", "Secret"),
        _t("", "v1", "serviceaccounts", "ServiceAccount", short=("sa",)),
        _t("", "v1", "persistentvolumeclaims", "PersistentVolumeClaim", short=("pvc",), subresources=(STATUS,)),
        _t("", "v1", "persistentvolumes", "PersistentVolume", False, short=("pv",), subresources=(STATUS,)),
        _t("", "v1", "events", "Event", short=("ev",)),
        _t("", "v1", "nodes", "Node", False, short=("no",), subresources=(STATUS,)),
        _t("", "v1", "resourcequotas", "ResourceQuota", short=("quota",), subresources=(STATUS,)),
        _t("", "v1", "limitranges", "LimitRange", short=("limits",)),
        _t(
            "apps",
            "v1",
            "deployments",
            "Deployment",
            short=("deploy",),
            categories=ALL,
            generation=True,
            subresources=(STATUS, SCALE),
        ),
        _t(
            "apps",
            "v1",
            "replicasets",
            "ReplicaSet",
            short=("rs",),
            categories=ALL,
            generation=True,
            subresources=(STATUS, SCALE),
        ),
        _t(
            "apps",
            "v1",
            "statefulsets",
            "StatefulSet",
            short=("sts",),
            categories=ALL,
            generation=True,
            subresources=(STATUS, SCALE),
        ),
        _t(
            "apps",
            "v1",
            "daemonsets",
            "DaemonSet",
            short=("ds",),
            categories=ALL,
            generation=True,
            subresources=(STATUS,),
        ),
        _t("apps", "v1", "controllerrevisions", "ControllerRevision"),
        _t("batch", "v1", "jobs", "Job", categories=ALL, generation=True, subresources=(STATUS,), propagation="Orphan"),
        _t(
            "batch", "v1", "cronjobs", "CronJob", short=("cj",), categories=ALL, generation=True, subresources=(STATUS,)
        ),
        _t(
            "autoscaling",
            "v2",
            "horizontalpodautoscalers",
            "HorizontalPodAutoscaler",
            short=("hpa",),
            categories=ALL,
            generation=True,
            subresources=(STATUS,),
        ),
        # Served for clients that still speak v1 (kubectl autoscale); stored as v2.
        _t(
            "autoscaling",
            "v1",
            "horizontalpodautoscalers",
            "HorizontalPodAutoscaler",
            short=("hpa",),
            categories=ALL,
            generation=True,
            subresources=(STATUS,),
            storage="v2",
        ),
        _t("networking.k8s.io", "v1", "ingresses", "Ingress", short=("ing",), generation=True, subresources=(STATUS,)),
        _t("networking.k8s.io", "v1", "ingressclasses", "IngressClass", False, generation=True),
        _t("networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy", short=("netpol",), generation=True),
        _t("storage.k8s.io", "v1", "storageclasses", "StorageClass", False, short=("sc",)),
        _t(
            "policy",
            "v1",
            "poddisruptionbudgets",
            "PodDisruptionBudget",
            short=("pdb",),
            generation=True,
            subresources=(STATUS,),
        ),
        _t("discovery.k8s.io", "v1", "endpointslices", "EndpointSlice"),
        _t("coordination.k8s.io", "v1", "leases", "Lease"),
        _t("rbac.authorization.k8s.io", "v1", "roles", "Role"),
        _t("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding"),
        _t("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", False),
        _t("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding", False),
        _t("scheduling.k8s.io", "v1", "priorityclasses", "PriorityClass", False, short=("pc",)),
        _t(
            "apiextensions.k8s.io",
            "v1",
            "customresourcedefinitions",
            "CustomResourceDefinition",
            False,
            short=("crd", "crds"),
            subresources=(STATUS,),
            generation=True,
        ),
        _t("metrics.k8s.io", "v1beta1", "pods", "PodMetrics", verbs=READ_VERBS, virtual=True),
        _t("metrics.k8s.io", "v1beta1", "nodes", "NodeMetrics", False, verbs=READ_VERBS, virtual=True),
    ]


class Registry:
    """Lookup of resource types by group/version/plural, kind, and (for kubectl-ish needs) short name."""

    def __init__(self, types: Iterable[ResourceType] = ()) -> None:
        self._by_gvr: dict[tuple[str, str, str], ResourceType] = {}
        self._order: list[ResourceType] = []
        for rt in types:
            self.add(rt)

    def add(self, rt: ResourceType) -> None:
        gvr = (rt.group, rt.version, rt.plural)
        if gvr in self._by_gvr:
            self._order = [t for t in self._order if (t.group, t.version, t.plural) != gvr]
        self._by_gvr[gvr] = rt
        self._order.append(rt)

    def remove(self, group: str, plural: str) -> None:
        for gvr in [k for k in self._by_gvr if k[0] == group and k[2] == plural]:
            del self._by_gvr[gvr]
        self._order = [t for t in self._order if not (t.group == group and t.plural == plural)]

    def get(self, group: str, version: str, plural: str) -> ResourceType | None:
        return self._by_gvr.get((group, version, plural))

    def by_kind(self, api_version: str, kind: str) -> ResourceType | None:
        group, _, version = api_version.rpartition("/")
        for rt in self._order:
            if rt.group == group and rt.version == version and rt.kind == kind:
                return rt
        return None

    def storage_type(self, group: str, plural: str) -> ResourceType | None:
        """The version objects of this resource are stored in (the first registered one for built-ins)."""
        for rt in self._order:
            if (
                rt.group == group
                and rt.plural == plural
                and (not rt.storage_version or rt.storage_version == rt.version)
            ):
                return rt
        return None

    def versions_of(self, group: str, plural: str) -> list[ResourceType]:
        return [rt for rt in self._order if rt.group == group and rt.plural == plural]

    def __iter__(self) -> Iterator[ResourceType]:
        return iter(list(self._order))

    def groups(self) -> list[tuple[str, list[str]]]:
        """Groups (legacy core excluded) in registration order with their versions, preferred first."""
        out: dict[str, list[str]] = {}
        for rt in self._order:
            if rt.group:
                versions = out.setdefault(rt.group, [])
                if rt.version not in versions:
                    versions.append(rt.version)
        return [(group, _sort_versions(versions)) for group, versions in out.items()]

    def in_group_version(self, group: str, version: str) -> list[ResourceType]:
        return [rt for rt in self._order if rt.group == group and rt.version == version]


def _version_priority(version: str) -> tuple[int, int, int]:
    """Kubernetes version ordering: GA > beta > alpha, higher numbers first."""
    import re

    match = re.fullmatch(r"v(\d+)(?:(alpha|beta)(\d+))?", version)
    if match is None:
        return (3, 0, 0)
    major = int(match.group(1))
    stage = {"alpha": 2, "beta": 1, None: 0}[match.group(2)]
    minor = int(match.group(3) or 0)
    return (stage, -major, -minor)


def _sort_versions(versions: list[str]) -> list[str]:
    return sorted(versions, key=_version_priority)
