"""Server-side printing: ``meta.k8s.io/v1`` Tables with the columns ``kubectl get`` shows for each kind."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from kubesim import clock
from kubesim.resources import ResourceType
from kubesim.selectors import to_string

JSON = dict[str, Any]
Column = tuple[str, str, int, str]  # name, type, priority, format
RowFn = Callable[[JSON, float], list[Any]]

NAME: Column = ("Name", "string", 0, "name")
AGE: Column = ("Age", "string", 0, "")


def _meta(obj: JSON) -> JSON:
    return obj.get("metadata") or {}


def _age(obj: JSON, now: float) -> str:
    return clock.age(_meta(obj).get("creationTimestamp"), now)


def _none(value: Any) -> Any:
    return "<none>" if value in (None, "", [], {}) else value


# --- pods ----------------------------------------------------------------------------------------------------------


def pod_status_reason(pod: JSON) -> str:
    """The STATUS column of ``kubectl get pods`` (ContainerCreating, CrashLoopBackOff, Completed, Terminating, ...)."""
    status = pod.get("status") or {}
    spec = pod.get("spec") or {}
    reason = status.get("reason") or status.get("phase") or "Unknown"
    initializing = False
    init_statuses = status.get("initContainerStatuses") or []
    init_total = len(spec.get("initContainers") or [])
    for i, cs in enumerate(init_statuses):
        state = cs.get("state") or {}
        terminated = state.get("terminated")
        waiting = state.get("waiting")
        if terminated and terminated.get("exitCode") == 0:
            continue
        if terminated:
            reason = "Init:" + (terminated.get("reason") or f"ExitCode:{terminated.get('exitCode')}")
            initializing = True
        elif waiting and waiting.get("reason") and waiting["reason"] != "PodInitializing":
            reason = "Init:" + waiting["reason"]
            initializing = True
        else:
            reason = f"Init:{i}/{init_total}"
            initializing = True
        break
    if not initializing:
        has_running = False
        for cs in reversed(status.get("containerStatuses") or []):
            state = cs.get("state") or {}
            waiting, terminated, running = state.get("waiting"), state.get("terminated"), state.get("running")
            if waiting and waiting.get("reason"):
                reason = waiting["reason"]
            elif terminated and terminated.get("reason"):
                reason = terminated["reason"]
            elif terminated:
                reason = (
                    f"Signal:{terminated['signal']}"
                    if terminated.get("signal")
                    else f"ExitCode:{terminated.get('exitCode')}"
                )
            elif running and cs.get("ready"):
                has_running = True
        if reason == "Completed" and has_running:
            ready = any(c.get("type") == "Ready" and c.get("status") == "True" for c in status.get("conditions") or [])
            reason = "Running" if ready else "NotReady"
    if _meta(pod).get("deletionTimestamp"):
        reason = "Unknown" if status.get("reason") == "NodeLost" else "Terminating"
    return str(reason)


def _pod_row(pod: JSON, now: float) -> list[Any]:
    status = pod.get("status") or {}
    spec = pod.get("spec") or {}
    statuses = status.get("containerStatuses") or []
    total = len(spec.get("containers") or [])
    ready = sum(1 for cs in statuses if cs.get("ready"))
    restarts = sum(int(cs.get("restartCount") or 0) for cs in statuses)
    last_restart = None
    for cs in statuses:
        finished = clock.parse_time(((cs.get("lastState") or {}).get("terminated") or {}).get("finishedAt"))
        if finished is not None and (last_restart is None or finished > last_restart):
            last_restart = finished
    restarts_cell = str(restarts)
    if restarts and last_restart is not None:
        restarts_cell = f"{restarts} ({clock.human_duration(now - last_restart)} ago)"
    gates = spec.get("readinessGates") or []
    gates_cell = "<none>"
    if gates:
        true_types = {c.get("type") for c in status.get("conditions") or [] if c.get("status") == "True"}
        gates_cell = f"{sum(1 for g in gates if g.get('conditionType') in true_types)}/{len(gates)}"
    return [
        _meta(pod).get("name"),
        f"{ready}/{total}",
        pod_status_reason(pod),
        restarts_cell,
        _age(pod, now),
        status.get("podIP") or "<none>",
        spec.get("nodeName") or "<none>",
        status.get("nominatedNodeName") or "<none>",
        gates_cell,
    ]


POD_COLUMNS: tuple[Column, ...] = (
    NAME,
    ("Ready", "string", 0, ""),
    ("Status", "string", 0, ""),
    ("Restarts", "string", 0, ""),
    AGE,
    ("IP", "string", 1, ""),
    ("Node", "string", 1, ""),
    ("Nominated Node", "string", 1, ""),
    ("Readiness Gates", "string", 1, ""),
)


# --- workloads -----------------------------------------------------------------------------------------------------


def _containers_images(template: JSON) -> tuple[str, str]:
    containers = ((template or {}).get("spec") or {}).get("containers") or []
    return (
        ",".join(c.get("name", "") for c in containers) or "<none>",
        ",".join(c.get("image", "") for c in containers) or "<none>",
    )


def _deployment_row(obj: JSON, now: float) -> list[Any]:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    names, images = _containers_images(spec.get("template") or {})
    return [
        _meta(obj).get("name"),
        f"{status.get('readyReplicas', 0)}/{spec.get('replicas', 0)}",
        int(status.get("updatedReplicas") or 0),
        int(status.get("availableReplicas") or 0),
        _age(obj, now),
        names,
        images,
        _none(to_string(spec.get("selector"))),
    ]


def _replicaset_row(obj: JSON, now: float) -> list[Any]:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    names, images = _containers_images(spec.get("template") or {})
    return [
        _meta(obj).get("name"),
        int(spec.get("replicas") or 0),
        int(status.get("replicas") or 0),
        int(status.get("readyReplicas") or 0),
        _age(obj, now),
        names,
        images,
        _none(to_string(spec.get("selector"))),
    ]


def _statefulset_row(obj: JSON, now: float) -> list[Any]:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    names, images = _containers_images(spec.get("template") or {})
    return [
        _meta(obj).get("name"),
        f"{status.get('readyReplicas', 0)}/{spec.get('replicas', 0)}",
        _age(obj, now),
        names,
        images,
    ]


def _daemonset_row(obj: JSON, now: float) -> list[Any]:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    names, images = _containers_images(spec.get("template") or {})
    node_selector = ",".join(
        f"{k}={v}" for k, v in (((spec.get("template") or {}).get("spec") or {}).get("nodeSelector") or {}).items()
    )
    return [
        _meta(obj).get("name"),
        int(status.get("desiredNumberScheduled") or 0),
        int(status.get("currentNumberScheduled") or 0),
        int(status.get("numberReady") or 0),
        int(status.get("updatedNumberScheduled") or 0),
        int(status.get("numberAvailable") or 0),
        _none(node_selector),
        _age(obj, now),
        names,
        images,
        _none(to_string(spec.get("selector"))),
    ]


def _job_row(obj: JSON, now: float) -> list[Any]:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    conditions = {c.get("type"): c.get("status") for c in status.get("conditions") or []}
    if conditions.get("Complete") == "True":
        state = "Complete"
    elif conditions.get("Failed") == "True":
        state = "Failed"
    elif conditions.get("FailureTarget") == "True" or conditions.get("SuccessCriteriaMet") == "True":
        state = "Terminating" if status.get("active") else "Running"
    elif spec.get("suspend"):
        state = "Suspended"
    else:
        state = "Running"
    completions = spec.get("completions")
    completions_cell = (
        f"{status.get('succeeded', 0)}/{completions}"
        if completions is not None
        else f"{status.get('succeeded', 0)}/1 of {spec.get('parallelism', 1)}"
    )
    start = clock.parse_time(status.get("startTime"))
    end = clock.parse_time(status.get("completionTime"))
    duration = clock.human_duration((end or now) - start) if start is not None else ""
    names, images = _containers_images(spec.get("template") or {})
    return [
        _meta(obj).get("name"),
        state,
        completions_cell,
        duration,
        _age(obj, now),
        names,
        images,
        _none(to_string(spec.get("selector"))),
    ]


def _cronjob_row(obj: JSON, now: float) -> list[Any]:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    last = status.get("lastScheduleTime")
    template = ((spec.get("jobTemplate") or {}).get("spec") or {}).get("template") or {}
    names, images = _containers_images(template)
    return [
        _meta(obj).get("name"),
        spec.get("schedule"),
        spec.get("timeZone") or "<none>",
        "True" if spec.get("suspend") else "False",
        len(status.get("active") or []),
        clock.age(last, now) if last else "<none>",
        _age(obj, now),
        names,
        images,
        "<none>",
    ]


def _hpa_row(obj: JSON, now: float) -> list[Any]:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    ref = spec.get("scaleTargetRef") or {}
    targets = []
    if "targetCPUUtilizationPercentage" in spec:
        utilization = status.get("currentCPUUtilizationPercentage")
        shown = f"{utilization}%" if utilization is not None else "<unknown>"
        targets.append(f"cpu: {shown}/{spec['targetCPUUtilizationPercentage']}%")
    current = {
        (m.get("resource") or {}).get("name"): m
        for m in status.get("currentMetrics") or []
        if m.get("type") == "Resource"
    }
    for metric in spec.get("metrics") or []:
        if metric.get("type") != "Resource":
            targets.append("<unknown>")
            continue
        resource = metric.get("resource") or {}
        target = resource.get("target") or {}
        got = (current.get(resource.get("name")) or {}).get("resource", {}).get("current", {})
        if target.get("type") == "Utilization":
            have = got.get("averageUtilization")
            have_text = f"{have}%" if have is not None else "<unknown>"
            targets.append(f"{resource.get('name')}: {have_text}/{target.get('averageUtilization')}%")
        else:
            targets.append(
                f"{resource.get('name')}: {got.get('averageValue', '<unknown>')}/"
                f"{target.get('averageValue') or target.get('value')}"
            )
    return [
        _meta(obj).get("name"),
        f"{ref.get('kind')}/{ref.get('name')}",
        ", ".join(targets) or "<none>",
        spec.get("minReplicas", 1),
        spec.get("maxReplicas"),
        int(status.get("currentReplicas") or 0),
        _age(obj, now),
    ]


# --- networking and config ----------------------------------------------------------------------------------------


def _service_row(obj: JSON, now: float) -> list[Any]:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    kind = spec.get("type", "ClusterIP")
    external = "<none>"
    ingress = (status.get("loadBalancer") or {}).get("ingress") or []
    if kind == "ExternalName":
        external = spec.get("externalName") or "<none>"
    elif kind == "LoadBalancer":
        addresses = [i.get("ip") or i.get("hostname") for i in ingress]
        external = ",".join(a for a in addresses if a) or "<pending>"
    elif spec.get("externalIPs"):
        external = ",".join(spec["externalIPs"])
    ports = []
    for port in spec.get("ports") or []:
        text = f"{port.get('port')}"
        if port.get("nodePort"):
            text += f":{port['nodePort']}"
        ports.append(f"{text}/{port.get('protocol', 'TCP')}")
    selector = ",".join(f"{k}={v}" for k, v in (spec.get("selector") or {}).items())
    return [
        _meta(obj).get("name"),
        kind,
        spec.get("clusterIP") or "<none>",
        external,
        ",".join(ports) or "<none>",
        _age(obj, now),
        _none(selector),
    ]


def _endpoints_row(obj: JSON, now: float) -> list[Any]:
    addresses = []
    for subset in obj.get("subsets") or []:
        for address in subset.get("addresses") or []:
            for port in subset.get("ports") or [{}]:
                addresses.append(f"{address.get('ip')}:{port.get('port')}" if port else address.get("ip"))
    text = ",".join(addresses[:3])
    if len(addresses) > 3:
        text += f" + {len(addresses) - 3} more..."
    return [_meta(obj).get("name"), text or "<none>", _age(obj, now)]


def _ingress_row(obj: JSON, now: float) -> list[Any]:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    hosts = [r.get("host") for r in spec.get("rules") or [] if r.get("host")]
    address = ",".join(
        i.get("ip") or i.get("hostname") or "" for i in (status.get("loadBalancer") or {}).get("ingress") or []
    )
    ports = "80, 443" if spec.get("tls") else "80"
    return [
        _meta(obj).get("name"),
        spec.get("ingressClassName") or "<none>",
        ",".join(hosts) or "*",
        address,
        ports,
        _age(obj, now),
    ]


def _configmap_row(obj: JSON, now: float) -> list[Any]:
    return [_meta(obj).get("name"), len(obj.get("data") or {}) + len(obj.get("binaryData") or {}), _age(obj, now)]


def _secret_row(obj: JSON, now: float) -> list[Any]:
    return [_meta(obj).get("name"), obj.get("type", "Opaque"), len(obj.get("data") or {}), _age(obj, now)]


def _serviceaccount_row(obj: JSON, now: float) -> list[Any]:
    return [_meta(obj).get("name"), len(obj.get("secrets") or []), _age(obj, now)]


def _namespace_row(obj: JSON, now: float) -> list[Any]:
    return [_meta(obj).get("name"), (obj.get("status") or {}).get("phase", "Active"), _age(obj, now)]


def _node_row(obj: JSON, now: float) -> list[Any]:
    status = obj.get("status") or {}
    ready = next((c for c in status.get("conditions") or [] if c.get("type") == "Ready"), None)
    state = "Ready" if ready and ready.get("status") == "True" else "NotReady"
    if (obj.get("spec") or {}).get("unschedulable"):
        state += ",SchedulingDisabled"
    roles = sorted(
        k.split("/", 1)[1] for k in (_meta(obj).get("labels") or {}) if k.startswith("node-role.kubernetes.io/")
    )
    info = status.get("nodeInfo") or {}
    internal = next(
        (a.get("address") for a in status.get("addresses") or [] if a.get("type") == "InternalIP"), "<none>"
    )
    return [
        _meta(obj).get("name"),
        state,
        ",".join(roles) or "<none>",
        _age(obj, now),
        info.get("kubeletVersion"),
        internal,
        "<none>",
        info.get("osImage"),
        info.get("kernelVersion"),
        info.get("containerRuntimeVersion"),
    ]


def _pvc_row(obj: JSON, now: float) -> list[Any]:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    return [
        _meta(obj).get("name"),
        status.get("phase", "Pending"),
        spec.get("volumeName") or "",
        (status.get("capacity") or {}).get("storage", ""),
        _access_modes(status.get("accessModes")),
        spec.get("storageClassName") or "<unset>",
        spec.get("volumeAttributesClassName") or "<unset>",
        _age(obj, now),
        spec.get("volumeMode", "Filesystem"),
    ]


def _access_modes(modes: list[str] | None) -> str:
    short = {"ReadWriteOnce": "RWO", "ReadOnlyMany": "ROX", "ReadWriteMany": "RWX", "ReadWriteOncePod": "RWOP"}
    return ",".join(short.get(m, m) for m in modes or [])


def _pv_row(obj: JSON, now: float) -> list[Any]:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    claim = spec.get("claimRef") or {}
    claim_text = f"{claim.get('namespace')}/{claim.get('name')}" if claim else ""
    return [
        _meta(obj).get("name"),
        (spec.get("capacity") or {}).get("storage", ""),
        _access_modes(spec.get("accessModes")),
        spec.get("persistentVolumeReclaimPolicy", "Retain"),
        status.get("phase", "Pending"),
        claim_text,
        spec.get("storageClassName") or "",
        spec.get("volumeAttributesClassName") or "<unset>",
        status.get("reason") or "",
        _age(obj, now),
        spec.get("volumeMode", "Filesystem"),
    ]


def _storageclass_row(obj: JSON, now: float) -> list[Any]:
    name = _meta(obj).get("name")
    annotations = _meta(obj).get("annotations") or {}
    if annotations.get("storageclass.kubernetes.io/is-default-class") == "true":
        name = f"{name} (default)"
    return [
        name,
        obj.get("provisioner"),
        obj.get("reclaimPolicy", "Delete"),
        obj.get("volumeBindingMode", "Immediate"),
        "true" if obj.get("allowVolumeExpansion") else "false",
        _age(obj, now),
    ]


def _ingressclass_row(obj: JSON, now: float) -> list[Any]:
    spec = obj.get("spec") or {}
    params = spec.get("parameters")
    params_text = f"{params.get('kind')}/{params.get('name')}" if params else "<none>"
    return [_meta(obj).get("name"), spec.get("controller"), params_text, _age(obj, now)]


def _event_row(obj: JSON, now: float) -> list[Any]:
    involved = obj.get("involvedObject") or {}
    last = obj.get("lastTimestamp") or obj.get("eventTime") or _meta(obj).get("creationTimestamp")
    first = obj.get("firstTimestamp") or obj.get("eventTime")
    source = obj.get("source") or {}
    source_text = (
        ", ".join(x for x in (source.get("component"), source.get("host")) if x) or obj.get("reportingComponent") or ""
    )
    return [
        clock.age(last, now),
        obj.get("type"),
        obj.get("reason"),
        f"{str(involved.get('kind', '')).lower()}/{involved.get('name', '')}",
        obj.get("message", "").strip(),
        involved.get("fieldPath") or "",
        source_text,
        clock.age(first, now) if first else "",
        int(obj.get("count") or 1),
        _meta(obj).get("name"),
    ]


def _crd_row(obj: JSON, now: float) -> list[Any]:
    return [_meta(obj).get("name"), _meta(obj).get("creationTimestamp")]


def _quota_row(obj: JSON, now: float) -> list[Any]:
    status = obj.get("status") or {}
    hard, used = status.get("hard") or {}, status.get("used") or {}
    requests: list[str] = []
    limits: list[str] = []
    for name in sorted(hard):
        entry = f"{name}: {used.get(name, '0')}/{hard[name]}"
        (limits if name.startswith("limits.") else requests).append(entry)
    return [_meta(obj).get("name"), _age(obj, now), ", ".join(requests), ", ".join(limits)]


def _limitrange_row(obj: JSON, now: float) -> list[Any]:
    return [_meta(obj).get("name"), _meta(obj).get("creationTimestamp")]


def _networkpolicy_row(obj: JSON, now: float) -> list[Any]:
    selector = to_string((obj.get("spec") or {}).get("podSelector") or {})
    return [_meta(obj).get("name"), selector or "<none>", _age(obj, now)]


def _metrics_pod_row(obj: JSON, now: float) -> list[Any]:
    return [_meta(obj).get("name"), obj.get("timestamp"), obj.get("window")]


PRINTERS: Mapping[str, tuple[list[Column], RowFn]] = MappingProxyType(
    {
        "/pods": (list(POD_COLUMNS), _pod_row),
        "apps/deployments": (
            [
                NAME,
                ("Ready", "string", 0, ""),
                ("Up-to-date", "integer", 0, ""),
                ("Available", "integer", 0, ""),
                AGE,
                ("Containers", "string", 1, ""),
                ("Images", "string", 1, ""),
                ("Selector", "string", 1, ""),
            ],
            _deployment_row,
        ),
        "apps/replicasets": (
            [
                NAME,
                ("Desired", "integer", 0, ""),
                ("Current", "integer", 0, ""),
                ("Ready", "integer", 0, ""),
                AGE,
                ("Containers", "string", 1, ""),
                ("Images", "string", 1, ""),
                ("Selector", "string", 1, ""),
            ],
            _replicaset_row,
        ),
        "apps/statefulsets": (
            [NAME, ("Ready", "string", 0, ""), AGE, ("Containers", "string", 1, ""), ("Images", "string", 1, "")],
            _statefulset_row,
        ),
        "apps/daemonsets": (
            [
                NAME,
                ("Desired", "integer", 0, ""),
                ("Current", "integer", 0, ""),
                ("Ready", "integer", 0, ""),
                ("Up-to-date", "integer", 0, ""),
                ("Available", "integer", 0, ""),
                ("Node Selector", "string", 0, ""),
                AGE,
                ("Containers", "string", 1, ""),
                ("Images", "string", 1, ""),
                ("Selector", "string", 1, ""),
            ],
            _daemonset_row,
        ),
        "batch/jobs": (
            [
                NAME,
                ("Status", "string", 0, ""),
                ("Completions", "string", 0, ""),
                ("Duration", "string", 0, ""),
                AGE,
                ("Containers", "string", 1, ""),
                ("Images", "string", 1, ""),
                ("Selector", "string", 1, ""),
            ],
            _job_row,
        ),
        "batch/cronjobs": (
            [
                NAME,
                ("Schedule", "string", 0, ""),
                ("Timezone", "string", 0, ""),
                ("Suspend", "boolean", 0, ""),
                ("Active", "integer", 0, ""),
                ("Last Schedule", "string", 0, ""),
                AGE,
                ("Containers", "string", 1, ""),
                ("Images", "string", 1, ""),
                ("Selector", "string", 1, ""),
            ],
            _cronjob_row,
        ),
        "autoscaling/horizontalpodautoscalers": (
            [
                NAME,
                ("Reference", "string", 0, ""),
                ("Targets", "string", 0, ""),
                ("MinPods", "string", 0, ""),
                ("MaxPods", "string", 0, ""),
                ("Replicas", "string", 0, ""),
                AGE,
            ],
            _hpa_row,
        ),
        "/services": (
            [
                NAME,
                ("Type", "string", 0, ""),
                ("Cluster-IP", "string", 0, ""),
                ("External-IP", "string", 0, ""),
                ("Port(s)", "string", 0, ""),
                AGE,
                ("Selector", "string", 1, ""),
            ],
            _service_row,
        ),
        "/endpoints": ([NAME, ("Endpoints", "string", 0, ""), AGE], _endpoints_row),
        "networking.k8s.io/ingresses": (
            [
                NAME,
                ("Class", "string", 0, ""),
                ("Hosts", "string", 0, ""),
                ("Address", "string", 0, ""),
                ("Ports", "string", 0, ""),
                AGE,
            ],
            _ingress_row,
        ),
        "networking.k8s.io/ingressclasses": (
            [NAME, ("Controller", "string", 0, ""), ("Parameters", "string", 0, ""), AGE],
            _ingressclass_row,
        ),
        "/configmaps": ([NAME, ("Data", "string", 0, ""), AGE], _configmap_row),
        "/secrets": ([NAME, ("Type", "string", 0, ""), ("Data", "string", 0, ""), AGE], _secret_row),
        "/serviceaccounts": ([NAME, ("Secrets", "string", 0, ""), AGE], _serviceaccount_row),
        "/namespaces": ([NAME, ("Status", "string", 0, ""), AGE], _namespace_row),
        "/nodes": (
            [
                NAME,
                ("Status", "string", 0, ""),
                ("Roles", "string", 0, ""),
                AGE,
                ("Version", "string", 0, ""),
                ("Internal-IP", "string", 1, ""),
                ("External-IP", "string", 1, ""),
                ("OS-Image", "string", 1, ""),
                ("Kernel-Version", "string", 1, ""),
                ("Container-Runtime", "string", 1, ""),
            ],
            _node_row,
        ),
        "/persistentvolumeclaims": (
            [
                NAME,
                ("Status", "string", 0, ""),
                ("Volume", "string", 0, ""),
                ("Capacity", "string", 0, ""),
                ("Access Modes", "string", 0, ""),
                ("StorageClass", "string", 0, ""),
                ("VolumeAttributesClass", "string", 0, ""),
                AGE,
                ("VolumeMode", "string", 1, ""),
            ],
            _pvc_row,
        ),
        "/persistentvolumes": (
            [
                NAME,
                ("Capacity", "string", 0, ""),
                ("Access Modes", "string", 0, ""),
                ("Reclaim Policy", "string", 0, ""),
                ("Status", "string", 0, ""),
                ("Claim", "string", 0, ""),
                ("StorageClass", "string", 0, ""),
                ("VolumeAttributesClass", "string", 0, ""),
                ("Reason", "string", 0, ""),
                AGE,
                ("VolumeMode", "string", 1, ""),
            ],
            _pv_row,
        ),
        "storage.k8s.io/storageclasses": (
            [
                NAME,
                ("Provisioner", "string", 0, ""),
                ("ReclaimPolicy", "string", 0, ""),
                ("VolumeBindingMode", "string", 0, ""),
                ("AllowVolumeExpansion", "string", 0, ""),
                AGE,
            ],
            _storageclass_row,
        ),
        "/events": (
            [
                ("Last Seen", "string", 0, ""),
                ("Type", "string", 0, ""),
                ("Reason", "string", 0, ""),
                ("Object", "string", 0, ""),
                ("Message", "string", 0, ""),
                ("Subobject", "string", 1, ""),
                ("Source", "string", 1, ""),
                ("First Seen", "string", 1, ""),
                ("Count", "string", 1, ""),
                ("Name", "string", 1, ""),
            ],
            _event_row,
        ),
        "apiextensions.k8s.io/customresourcedefinitions": ([NAME, ("Created At", "date", 0, "")], _crd_row),
        "/resourcequotas": ([NAME, AGE, ("Request", "string", 0, ""), ("Limit", "string", 0, "")], _quota_row),
        "/limitranges": ([NAME, ("Created At", "date", 0, "")], _limitrange_row),
        "networking.k8s.io/networkpolicies": ([NAME, ("Pod-Selector", "string", 0, ""), AGE], _networkpolicy_row),
    }
)


def _generic_row(obj: JSON, now: float) -> list[Any]:
    return [_meta(obj).get("name"), _age(obj, now)]


def _json_path(obj: Any, path: str) -> Any:
    """The small JSONPath subset printer columns use: ``.a.b``, ``.a[0].b``, ``.a[?(@.type=="Ready")].status``."""
    tokens = re.findall(
        r"\.([A-Za-z0-9_\-]+)|\[(\d+)\]|\[\?\(@\.([A-Za-z0-9_\-]+)==[\"']([^\"']*)[\"']\)\]",
        path.strip().lstrip("{").rstrip("}"),
    )
    current: Any = obj
    for key, index, filter_key, filter_value in tokens:
        if current is None:
            return None
        if key:
            current = current.get(key) if isinstance(current, dict) else None
        elif index:
            current = current[int(index)] if isinstance(current, list) and int(index) < len(current) else None
        elif filter_key:
            matches = (
                [item for item in current or [] if isinstance(item, dict) and str(item.get(filter_key)) == filter_value]
                if isinstance(current, list)
                else []
            )
            current = matches[0] if matches else None
    return current


def _custom_printer(rt: ResourceType) -> tuple[list[Column], RowFn]:
    columns: list[Column] = [NAME]
    getters: list[tuple[str, str]] = []
    for col in rt.printer_columns:
        columns.append((col.name, "string" if col.type == "date" else col.type, col.priority, col.format))
        getters.append((col.json_path, col.type))
    has_age = any(c.json_path.strip() == ".metadata.creationTimestamp" for c in rt.printer_columns)
    if not has_age:
        columns.append(AGE)

    def row(obj: JSON, now: float) -> list[Any]:
        cells: list[Any] = [_meta(obj).get("name")]
        for path, kind in getters:
            value = _json_path(obj, path)
            if kind == "date" and isinstance(value, str):
                value = clock.age(value, now)
            cells.append(value)
        if not has_age:
            cells.append(_age(obj, now))
        return cells

    return columns, row


def printer(rt: ResourceType) -> tuple[list[Column], RowFn]:
    if rt.custom:
        return _custom_printer(rt)
    if rt.virtual:
        return ([NAME, ("Timestamp", "string", 0, ""), ("Window", "string", 0, "")], _metrics_pod_row)
    return PRINTERS.get(rt.key, ([NAME, AGE], _generic_row))


def _row_object(obj: JSON, rt: ResourceType, include: str) -> JSON | None:
    if include == "None":
        return None
    if include == "Object":
        return {**obj, "kind": rt.kind, "apiVersion": rt.api_version}
    return {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": obj.get("metadata") or {}}


def table(
    rt: ResourceType,
    objects: list[JSON],
    list_meta: JSON,
    include: str = "Metadata",
    with_columns: bool = True,
    api_version: str = "meta.k8s.io/v1",
) -> JSON:
    columns, row_fn = printer(rt)
    now = clock.now()
    rows = []
    for obj in objects:
        row: JSON = {"cells": row_fn(obj, now)}
        embedded = _row_object(obj, rt, include)
        if embedded is not None:
            row["object"] = embedded
        rows.append(row)
    out: JSON = {"kind": "Table", "apiVersion": api_version, "metadata": list_meta}
    if with_columns:
        out["columnDefinitions"] = [
            {"name": name, "type": kind, "format": fmt, "description": _describe(name), "priority": priority}
            for name, kind, priority, fmt in columns
        ]
    out["rows"] = rows
    return out


def _describe(column: str) -> str:
    if column == "Name":
        return "Name must be unique within a namespace."
    if column == "Age":
        return "CreationTimestamp is a timestamp representing the server time when this object was created."
    return column
