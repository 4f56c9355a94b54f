"""Per-kind behaviour of the API server on writes: defaulting, validation, what create and update may change."""

from __future__ import annotations

import base64
import binascii
import copy
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Protocol

from croniter import croniter

from kubesim import clock, limit_ranger, network_policy, quantity, quota, validation
from kubesim.resources import ResourceType
from kubesim.selectors import SelectorError, from_object
from kubesim.status import Cause

JSON = dict[str, Any]


class Admission(Protocol):
    """What strategies may ask of the server while admitting a write."""

    def lookup(self, resource: str, namespace: str, name: str) -> JSON | None: ...

    def list_objects(self, resource: str, namespace: str | None = None) -> list[JSON]: ...

    def allocate_cluster_ip(self) -> str: ...

    def allocate_node_port(self) -> int: ...

    def release_service(self, service: JSON) -> None: ...

    def new_uid(self) -> str: ...


class Strategy:
    name_rule = "subdomain"

    def default(self, obj: JSON, admission: Admission) -> None:
        """Fill in defaults (applied to every create and update, like the API server's decoding defaults)."""

    def prepare_create(self, obj: JSON, admission: Admission) -> None:
        """Reset what a client may not set on create (usually status); allocate what the server owns."""

    def prepare_update(self, new: JSON, old: JSON, admission: Admission) -> None:
        """Carry over what the server owns (allocations) from ``old``."""

    def validate(self, obj: JSON, old: JSON | None, admission: Admission) -> list[Cause]:
        return []

    def initial_status(self, obj: JSON) -> JSON | None:
        """The status an object starts with when it has a status subresource; None keeps the client's."""
        return {}

    def on_removed(self, obj: JSON, admission: Admission) -> None:
        """Release what the server allocated for the object."""


# --- pods and pod templates ------------------------------------------------------------------------------------


def image_tag(image: str) -> str:
    name = image.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else ""


def default_container(container: JSON) -> None:
    image = str(container.get("image") or "")
    if "imagePullPolicy" not in container:
        digest = "@" in image
        tag = image_tag(image)
        container["imagePullPolicy"] = "Always" if (not digest and tag in ("", "latest")) else "IfNotPresent"
    container.setdefault("terminationMessagePath", "/dev/termination-log")
    container.setdefault("terminationMessagePolicy", "File")
    container.setdefault("resources", {})
    for port in container.get("ports") or []:
        port.setdefault("protocol", "TCP")
    res = container.get("resources") or {}
    if isinstance(res.get("limits"), dict) and res["limits"]:
        # A resource with a limit and no request is requested at its limit (per resource, as the API server does).
        requests: JSON = res["requests"] if isinstance(res.get("requests"), dict) else {}
        for name, value in res["limits"].items():
            requests.setdefault(name, value)
        res["requests"] = requests
    for probe_name in ("livenessProbe", "readinessProbe", "startupProbe"):
        probe = container.get(probe_name)
        if isinstance(probe, dict):
            probe.setdefault("timeoutSeconds", 1)
            probe.setdefault("periodSeconds", 10)
            probe.setdefault("successThreshold", 1)
            probe.setdefault("failureThreshold", 3)
            http = probe.get("httpGet")
            if isinstance(http, dict):
                http.setdefault("scheme", "HTTP")
                http.setdefault("path", "/")


def default_pod_spec(spec: JSON, *, restart: str = "Always") -> None:
    spec.setdefault("restartPolicy", restart)
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("securityContext", {})
    spec.setdefault("schedulerName", "default-scheduler")
    for list_name in ("initContainers", "containers"):
        for container in spec.get(list_name) or []:
            if isinstance(container, dict):
                default_container(container)
    for volume in spec.get("volumes") or []:
        if isinstance(volume, dict):
            if all(key == "name" or value is None for key, value in volume.items()):
                volume["emptyDir"] = {}  # a volume without a source is an emptyDir
            for source in ("configMap", "secret"):
                if isinstance(volume.get(source), dict):
                    volume[source].setdefault("defaultMode", 420)
            if "emptyDir" in volume and volume["emptyDir"] is None:
                volume["emptyDir"] = {}


def default_template(template: Any, *, restart: str = "Always") -> None:
    if not isinstance(template, dict):
        return
    template.setdefault("metadata", {})
    spec = template.get("spec")
    if isinstance(spec, dict):
        default_pod_spec(spec, restart=restart)


def qos_class(spec: JSON) -> str:
    containers = [c for c in (spec.get("containers") or []) + (spec.get("initContainers") or [])
                  if isinstance(c, dict)]
    any_set = False
    guaranteed = True
    for c in containers:
        res = c.get("resources") or {}
        limits, requests = res.get("limits") or {}, res.get("requests") or {}
        if limits or requests:
            any_set = True
        for name in ("cpu", "memory"):
            if name not in limits or requests.get(name, limits.get(name)) != limits.get(name):
                guaranteed = False
    if not any_set:
        return "BestEffort"
    return "Guaranteed" if guaranteed else "Burstable"


APPARMOR_ANNOTATION_PREFIX = "container.apparmor.security.beta.kubernetes.io/"


def _app_armor_annotation(profile: Any) -> str:
    kind = profile.get("type") if isinstance(profile, dict) else None
    if kind == "Unconfined":
        return "unconfined"
    if kind == "RuntimeDefault":
        return "runtime/default"
    if kind == "Localhost" and profile.get("localhostProfile"):
        return f"localhost/{profile['localhostProfile']}"
    return ""


def _app_armor_field(annotation: str) -> JSON | None:
    if annotation == "unconfined":
        return {"type": "Unconfined"}
    if annotation == "runtime/default":
        return {"type": "RuntimeDefault"}
    if annotation.startswith("localhost/") and annotation != "localhost/":
        return {"type": "Localhost", "localhostProfile": annotation[len("localhost/"):]}
    return None


def sync_app_armor(pod: JSON) -> None:
    """Since 1.30 the API server keeps a new pod's AppArmor annotations and fields in step (each container's
    annotation from its field or the pod's, its field from an annotation), so a kubelet of either kind enforces it;
    Pod Security then sees both."""
    spec = pod.get("spec") or {}
    if (spec.get("os") or {}).get("name") == "windows":
        return
    pod_profile = (spec.get("securityContext") or {}).get("appArmorProfile")
    meta = pod.setdefault("metadata", {})
    for list_name in ("initContainers", "containers", "ephemeralContainers"):
        for container in spec.get(list_name) or []:
            if not isinstance(container, dict):
                continue
            key = APPARMOR_ANNOTATION_PREFIX + str(container.get("name"))
            annotations = meta.get("annotations") or {}
            own = (container.get("securityContext") or {}).get("appArmorProfile")
            if key not in annotations:
                value = _app_armor_annotation(own) if own is not None else _app_armor_annotation(pod_profile)
                if value:
                    meta.setdefault("annotations", {})[key] = value
            elif own is None:
                derived = _app_armor_field(str(annotations[key]))
                if derived is not None and derived != pod_profile:
                    container.setdefault("securityContext", {})["appArmorProfile"] = derived


_POD_MUTABLE = ("activeDeadlineSeconds", "tolerations", "terminationGracePeriodSeconds")


class PodStrategy(Strategy):
    def default(self, obj: JSON, admission: Admission) -> None:
        spec = obj.setdefault("spec", {})
        default_pod_spec(spec)
        spec.setdefault("serviceAccountName", spec.get("serviceAccount") or "default")
        spec.setdefault("serviceAccount", spec["serviceAccountName"])
        spec.setdefault("enableServiceLinks", True)
        spec.setdefault("priority", 0)
        spec.setdefault("preemptionPolicy", "PreemptLowerPriority")
        tolerations = spec.setdefault("tolerations", [])
        keys = {t.get("key") for t in tolerations if isinstance(t, dict)}
        for taint in ("node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"):
            if taint not in keys:
                tolerations.append({"key": taint, "operator": "Exists", "effect": "NoExecute",
                                    "tolerationSeconds": 300})

    def prepare_create(self, obj: JSON, admission: Admission) -> None:
        sync_app_armor(obj)
        obj["status"] = {"phase": "Pending", "qosClass": qos_class(obj.get("spec") or {})}

    def initial_status(self, obj: JSON) -> JSON | None:
        return {"phase": "Pending", "qosClass": qos_class(obj.get("spec") or {})}

    def prepare_update(self, new: JSON, old: JSON, admission: Admission) -> None:
        old_spec = old.get("spec") or {}
        new_spec = new.setdefault("spec", {})
        # The binding subresource, not an update, sets the node.
        if old_spec.get("nodeName") and not new_spec.get("nodeName"):
            new_spec["nodeName"] = old_spec["nodeName"]

    def validate(self, obj: JSON, old: JSON | None, admission: Admission) -> list[Cause]:
        causes = validation.pod_spec(obj.get("spec"), "spec")
        if old is not None:
            causes += self._immutable(obj.get("spec") or {}, old.get("spec") or {})
        return causes

    @staticmethod
    def _immutable(new: JSON, old: JSON) -> list[Cause]:
        def comparable(spec: JSON) -> JSON:
            spec = copy.deepcopy(spec)
            for name in _POD_MUTABLE:
                spec.pop(name, None)
            for list_name in ("containers", "initContainers"):
                for c in spec.get(list_name) or []:
                    c.pop("image", None)
            return spec

        if comparable(new) != comparable(old):
            return [validation.forbidden("spec", "pod updates may not change fields other than "
                                         "`spec.containers[*].image`,`spec.initContainers[*].image`,"
                                         "`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to "
                                         "existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to "
                                         "be set to 1 if it was previously negative)")]
        return []


def _selector_causes(obj: JSON, field: str = "spec.selector") -> list[Cause]:
    spec = obj.get("spec") or {}
    selector = spec.get("selector")
    if not selector:
        return [validation.required(field)]
    try:
        parsed = from_object(selector)
    except SelectorError as exc:
        return [validation.invalid_value(field, selector, str(exc))]
    if parsed.empty:
        return [validation.invalid_value(field, selector, "empty selector is invalid for deployment")]
    labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
    if not parsed.matches(labels):
        return [validation.invalid_value("spec.template.metadata.labels", labels,
                                         "`selector` does not match template `labels`")]
    return []


def _replicas_causes(spec: JSON, field: str = "spec.replicas") -> list[Cause]:
    replicas = spec.get("replicas")
    if replicas is not None and (not isinstance(replicas, int) or replicas < 0):
        return [validation.invalid_value(field, replicas, "must be greater than or equal to 0")]
    return []


def _int_or_percent(value: Any, total: int, round_up: bool) -> int:
    if isinstance(value, int):
        return value
    text = str(value)
    if text.endswith("%"):
        import math

        fraction = int(text[:-1]) * total / 100
        return math.ceil(fraction) if round_up else math.floor(fraction)
    return int(text)


class DeploymentStrategy(Strategy):
    def default(self, obj: JSON, admission: Admission) -> None:
        spec = obj.setdefault("spec", {})
        spec.setdefault("replicas", 1)
        strategy = spec.setdefault("strategy", {})
        strategy.setdefault("type", "RollingUpdate")
        if strategy["type"] == "RollingUpdate":
            rolling = strategy.setdefault("rollingUpdate", {})
            rolling.setdefault("maxUnavailable", "25%")
            rolling.setdefault("maxSurge", "25%")
        spec.setdefault("revisionHistoryLimit", 10)
        spec.setdefault("progressDeadlineSeconds", 600)
        default_template(spec.get("template"))

    def validate(self, obj: JSON, old: JSON | None, admission: Admission) -> list[Cause]:
        spec = obj.get("spec") or {}
        causes = _selector_causes(obj) + _replicas_causes(spec)
        template = spec.get("template") or {}
        causes += validation.pod_spec(template.get("spec"), "spec.template.spec", allowed_restart=("Always",))
        strategy = spec.get("strategy") or {}
        if strategy.get("type") not in ("RollingUpdate", "Recreate"):
            causes.append(validation.not_supported("spec.strategy.type", strategy.get("type"),
                                                   ["Recreate", "RollingUpdate"]))
        if strategy.get("type") == "Recreate" and strategy.get("rollingUpdate"):
            causes.append(validation.forbidden("spec.strategy.rollingUpdate",
                                               "may not be specified when strategy `type` is 'Recreate'"))
        rolling = strategy.get("rollingUpdate") or {}
        if strategy.get("type") == "RollingUpdate":
            try:
                surge = _int_or_percent(rolling.get("maxSurge", "25%"), 100, True)
                unavailable = _int_or_percent(rolling.get("maxUnavailable", "25%"), 100, False)
            except ValueError:
                causes.append(validation.invalid_value("spec.strategy.rollingUpdate", rolling,
                                                       "must be an integer or percentage (e.g '5%')"))
            else:
                if surge == 0 and unavailable == 0:
                    causes.append(validation.invalid_value("spec.strategy.rollingUpdate.maxUnavailable", 0,
                                                           "may not be 0 when `maxSurge` is 0"))
        if old is not None and (old.get("spec") or {}).get("selector") != spec.get("selector"):
            causes.append(validation.immutable("spec.selector", spec.get("selector")))
        return causes


class ReplicaSetStrategy(Strategy):
    def default(self, obj: JSON, admission: Admission) -> None:
        spec = obj.setdefault("spec", {})
        spec.setdefault("replicas", 1)
        default_template(spec.get("template"))

    def initial_status(self, obj: JSON) -> JSON | None:
        return {"replicas": 0}

    def validate(self, obj: JSON, old: JSON | None, admission: Admission) -> list[Cause]:
        spec = obj.get("spec") or {}
        causes = _selector_causes(obj) + _replicas_causes(spec)
        causes += validation.pod_spec((spec.get("template") or {}).get("spec"), "spec.template.spec",
                                      allowed_restart=("Always",))
        if old is not None and (old.get("spec") or {}).get("selector") != spec.get("selector"):
            causes.append(validation.immutable("spec.selector", spec.get("selector")))
        return causes


class StatefulSetStrategy(Strategy):
    def default(self, obj: JSON, admission: Admission) -> None:
        spec = obj.setdefault("spec", {})
        spec.setdefault("replicas", 1)
        spec.setdefault("podManagementPolicy", "OrderedReady")
        update = spec.setdefault("updateStrategy", {"type": "RollingUpdate"})
        if update.get("type", "RollingUpdate") == "RollingUpdate":
            update.setdefault("type", "RollingUpdate")
            update.setdefault("rollingUpdate", {"partition": 0})
        spec.setdefault("revisionHistoryLimit", 10)
        spec.setdefault("persistentVolumeClaimRetentionPolicy", {"whenDeleted": "Retain", "whenScaled": "Retain"})
        default_template(spec.get("template"))
        for claim in spec.get("volumeClaimTemplates") or []:
            claim.setdefault("apiVersion", "v1")
            claim.setdefault("kind", "PersistentVolumeClaim")
            claim.setdefault("metadata", {})
            claim.setdefault("spec", {}).setdefault("volumeMode", "Filesystem")
            claim.setdefault("status", {"phase": "Pending"})

    def initial_status(self, obj: JSON) -> JSON | None:
        return {"replicas": 0, "availableReplicas": 0}

    def validate(self, obj: JSON, old: JSON | None, admission: Admission) -> list[Cause]:
        spec = obj.get("spec") or {}
        causes = _selector_causes(obj) + _replicas_causes(spec)
        claims = tuple(str((c.get("metadata") or {}).get("name")) for c in spec.get("volumeClaimTemplates") or [])
        causes += validation.pod_spec((spec.get("template") or {}).get("spec"), "spec.template.spec",
                                      allowed_restart=("Always",), claim_templates=claims)
        if old is not None:
            old_spec = old.get("spec") or {}
            allowed = ("replicas", "ordinals", "template", "updateStrategy", "persistentVolumeClaimRetentionPolicy",
                       "minReadySeconds")
            if {k: v for k, v in spec.items() if k not in allowed} != \
                    {k: v for k, v in old_spec.items() if k not in allowed}:
                causes.append(validation.forbidden("spec", "updates to statefulset spec for fields other than "
                                                   "'replicas', 'ordinals', 'template', 'updateStrategy', "
                                                   "'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' "
                                                   "are forbidden"))
        return causes


class DaemonSetStrategy(Strategy):
    def default(self, obj: JSON, admission: Admission) -> None:
        spec = obj.setdefault("spec", {})
        update = spec.setdefault("updateStrategy", {"type": "RollingUpdate"})
        if update.get("type") == "RollingUpdate":
            update.setdefault("rollingUpdate", {"maxUnavailable": 1, "maxSurge": 0})
        spec.setdefault("revisionHistoryLimit", 10)
        default_template(spec.get("template"))

    def initial_status(self, obj: JSON) -> JSON | None:
        return {"currentNumberScheduled": 0, "numberMisscheduled": 0, "desiredNumberScheduled": 0,
                "numberReady": 0}

    def validate(self, obj: JSON, old: JSON | None, admission: Admission) -> list[Cause]:
        spec = obj.get("spec") or {}
        return _selector_causes(obj) + validation.pod_spec((spec.get("template") or {}).get("spec"),
                                                           "spec.template.spec", allowed_restart=("Always",))


JOB_UID_LABEL = "batch.kubernetes.io/controller-uid"
JOB_NAME_LABEL = "batch.kubernetes.io/job-name"


class JobStrategy(Strategy):
    def default(self, obj: JSON, admission: Admission) -> None:
        spec = obj.setdefault("spec", {})
        spec.setdefault("parallelism", 1)
        if spec.get("completions", 0) is None:
            pass
        else:
            spec.setdefault("completions", 1)
        spec.setdefault("backoffLimit", 6)
        spec.setdefault("completionMode", "NonIndexed")
        spec.setdefault("suspend", False)
        spec.setdefault("podReplacementPolicy", "TerminatingOrFailed")
        template = spec.get("template")
        default_template(template, restart="Never")

    def prepare_create(self, obj: JSON, admission: Admission) -> None:
        spec = obj.setdefault("spec", {})
        meta = obj.setdefault("metadata", {})
        if not spec.get("manualSelector"):
            uid = meta.get("uid") or ""
            name = meta.get("name") or ""
            spec["selector"] = {"matchLabels": {JOB_UID_LABEL: uid}}
            template = spec.setdefault("template", {})
            labels = template.setdefault("metadata", {}).setdefault("labels", {})
            labels.update({JOB_UID_LABEL: uid, JOB_NAME_LABEL: name, "controller-uid": uid, "job-name": name})
        obj["status"] = {}

    def validate(self, obj: JSON, old: JSON | None, admission: Admission) -> list[Cause]:
        spec = obj.get("spec") or {}
        template = spec.get("template") or {}
        causes = validation.pod_spec(template.get("spec"), "spec.template.spec",
                                     allowed_restart=("OnFailure", "Never"))
        if (template.get("spec") or {}).get("restartPolicy") == "Always":
            pass
        for name in ("parallelism", "completions", "backoffLimit"):
            value = spec.get(name)
            if value is not None and (not isinstance(value, int) or value < 0):
                causes.append(validation.invalid_value(f"spec.{name}", value,
                                                       "must be greater than or equal to 0"))
        if old is not None:
            if (old.get("spec") or {}).get("template") != spec.get("template"):
                causes.append(validation.immutable("spec.template", "core.PodTemplateSpec{...}"))
            if (old.get("spec") or {}).get("selector") != spec.get("selector"):
                causes.append(validation.immutable("spec.selector", spec.get("selector")))
        return causes


class CronJobStrategy(Strategy):
    def default(self, obj: JSON, admission: Admission) -> None:
        spec = obj.setdefault("spec", {})
        spec.setdefault("concurrencyPolicy", "Allow")
        spec.setdefault("suspend", False)
        spec.setdefault("successfulJobsHistoryLimit", 3)
        spec.setdefault("failedJobsHistoryLimit", 1)
        job_template = spec.setdefault("jobTemplate", {})
        job_template.setdefault("metadata", {})
        job_spec = job_template.setdefault("spec", {})
        job_spec.setdefault("backoffLimit", 6)
        job_spec.setdefault("completionMode", "NonIndexed")
        job_spec.setdefault("suspend", False)
        job_spec.setdefault("podReplacementPolicy", "TerminatingOrFailed")
        default_template(job_spec.get("template"), restart="Never")

    def validate(self, obj: JSON, old: JSON | None, admission: Admission) -> list[Cause]:
        spec = obj.get("spec") or {}
        schedule = spec.get("schedule")
        causes: list[Cause] = []
        if not schedule:
            causes.append(validation.required("spec.schedule"))
        elif not valid_schedule(str(schedule)):
            causes.append(validation.invalid_value("spec.schedule", schedule, "unparseable cron schedule"))
        if spec.get("concurrencyPolicy") not in ("Allow", "Forbid", "Replace"):
            causes.append(validation.not_supported("spec.concurrencyPolicy", spec.get("concurrencyPolicy"),
                                                   ["Allow", "Forbid", "Replace"]))
        template = ((spec.get("jobTemplate") or {}).get("spec") or {}).get("template") or {}
        causes += validation.pod_spec(template.get("spec"), "spec.jobTemplate.spec.template.spec",
                                      allowed_restart=("OnFailure", "Never"))
        return causes


EVERY = "@every "


def every_interval(schedule: str) -> float | None:
    """Whole seconds between runs of an ``@every <Go duration>`` schedule, None for any other schedule.

    Kubernetes parses schedules with robfig/cron's ``ParseStandard``, which accepts this descriptor besides
    cron expressions; like it, the delay is cut to whole seconds and is at least one second.
    """
    if not schedule.startswith(EVERY):
        return None
    return float(max(1, int(clock.parse_go_duration(schedule[len(EVERY):].strip()))))


def valid_schedule(schedule: str) -> bool:
    if schedule.startswith(EVERY):
        try:
            every_interval(schedule)
        except ValueError:
            return False
        return True
    if schedule.startswith("@"):
        return schedule in ("@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly")
    text = schedule
    if text.startswith(("TZ=", "CRON_TZ=")):
        return False
    if len(text.split()) != 5:
        return False
    return bool(croniter.is_valid(text))


class ServiceStrategy(Strategy):
    name_rule = "label"

    def default(self, obj: JSON, admission: Admission) -> None:
        spec = obj.setdefault("spec", {})
        spec.setdefault("type", "ClusterIP")
        if spec["type"] != "ExternalName":
            spec.setdefault("sessionAffinity", "None")
            spec.setdefault("internalTrafficPolicy", "Cluster")
        for port in spec.get("ports") or []:
            port.setdefault("protocol", "TCP")
            if "port" in port:
                port.setdefault("targetPort", port["port"])
        if spec["type"] in ("NodePort", "LoadBalancer"):
            spec.setdefault("externalTrafficPolicy", "Cluster")
        if spec["type"] == "LoadBalancer":
            spec.setdefault("allocateLoadBalancerNodePorts", True)

    def initial_status(self, obj: JSON) -> JSON | None:
        return {"loadBalancer": {}}

    def prepare_create(self, obj: JSON, admission: Admission) -> None:
        spec = obj.setdefault("spec", {})
        if spec.get("type") != "ExternalName":
            if spec.get("clusterIP") in (None, ""):
                spec["clusterIP"] = admission.allocate_cluster_ip()
            spec["clusterIPs"] = [spec["clusterIP"]]
            if spec["clusterIP"] != "None":
                spec.setdefault("ipFamilies", ["IPv4"])
                spec.setdefault("ipFamilyPolicy", "SingleStack")
            else:
                spec.setdefault("ipFamilies", ["IPv4"])
                spec.setdefault("ipFamilyPolicy", "SingleStack")
        if spec.get("type") in ("NodePort", "LoadBalancer"):
            for port in spec.get("ports") or []:
                if not port.get("nodePort"):
                    port["nodePort"] = admission.allocate_node_port()
        obj["status"] = {"loadBalancer": {}}

    def prepare_update(self, new: JSON, old: JSON, admission: Admission) -> None:
        spec, old_spec = new.setdefault("spec", {}), old.get("spec") or {}
        if spec.get("type") != "ExternalName":
            if not spec.get("clusterIP") and old_spec.get("clusterIP"):
                spec["clusterIP"] = old_spec["clusterIP"]
                spec["clusterIPs"] = old_spec.get("clusterIPs") or [old_spec["clusterIP"]]
            elif not spec.get("clusterIP"):
                spec["clusterIP"] = admission.allocate_cluster_ip()
                spec["clusterIPs"] = [spec["clusterIP"]]
            spec.setdefault("ipFamilies", old_spec.get("ipFamilies") or ["IPv4"])
            spec.setdefault("ipFamilyPolicy", old_spec.get("ipFamilyPolicy") or "SingleStack")
        if spec.get("type") in ("NodePort", "LoadBalancer"):
            previous = {(p.get("port"), p.get("protocol")): p.get("nodePort") for p in old_spec.get("ports") or []}
            for port in spec.get("ports") or []:
                if not port.get("nodePort"):
                    port["nodePort"] = previous.get((port.get("port"), port.get("protocol"))) or \
                        admission.allocate_node_port()

    def validate(self, obj: JSON, old: JSON | None, admission: Admission) -> list[Cause]:
        spec = obj.get("spec") or {}
        causes: list[Cause] = []
        kind = spec.get("type")
        if kind not in ("ClusterIP", "NodePort", "LoadBalancer", "ExternalName"):
            causes.append(validation.not_supported("spec.type", kind,
                                                   ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"]))
        ports = spec.get("ports") or []
        if kind != "ExternalName" and not ports and spec.get("clusterIP") != "None":
            causes.append(validation.required("spec.ports"))
        names: set[str] = set()
        for i, port in enumerate(ports):
            number = port.get("port")
            if not isinstance(number, int) or not 0 < number < 65536:
                causes.append(validation.invalid_value(f"spec.ports[{i}].port", number,
                                                       "must be between 1 and 65535, inclusive"))
            if len(ports) > 1 and not port.get("name"):
                causes.append(validation.required(f"spec.ports[{i}].name"))
            if port.get("name"):
                if port["name"] in names:
                    causes.append(validation.duplicate(f"spec.ports[{i}].name", port["name"]))
                names.add(port["name"])
        if kind == "ExternalName" and not spec.get("externalName"):
            causes.append(validation.required("spec.externalName"))
        if old is not None:
            old_ip = (old.get("spec") or {}).get("clusterIP")
            if old_ip and spec.get("clusterIP") and spec.get("clusterIP") != old_ip and kind != "ExternalName":
                causes.append(validation.immutable("spec.clusterIPs[0]", spec.get("clusterIP")))
        return causes

    def on_removed(self, obj: JSON, admission: Admission) -> None:
        admission.release_service(obj)


class NamespaceStrategy(Strategy):
    name_rule = "label"

    def default(self, obj: JSON, admission: Admission) -> None:
        meta = obj.setdefault("metadata", {})
        labels = meta.setdefault("labels", {})
        labels["kubernetes.io/metadata.name"] = meta.get("name", "")
        obj.setdefault("spec", {}).setdefault("finalizers", ["kubernetes"])

    def prepare_create(self, obj: JSON, admission: Admission) -> None:
        obj["status"] = {"phase": "Active"}
        obj["spec"] = {"finalizers": ["kubernetes"]}

    def initial_status(self, obj: JSON) -> JSON | None:
        return {"phase": "Active"}

    def prepare_update(self, new: JSON, old: JSON, admission: Admission) -> None:
        # spec.finalizers change only through the finalize subresource.
        new["spec"] = copy.deepcopy(old.get("spec") or {})


class ConfigMapStrategy(Strategy):
    def validate(self, obj: JSON, old: JSON | None, admission: Admission) -> list[Cause]:
        causes = validation.config_keys(obj.get("data"), "data") + \
            validation.config_keys(obj.get("binaryData"), "binaryData")
        if old is not None and old.get("immutable") and (old.get("data") != obj.get("data") or
                                                         old.get("binaryData") != obj.get("binaryData")):
            causes.append(validation.forbidden("data", "field is immutable when `immutable` is set"))
        return causes


class SecretStrategy(Strategy):
    def default(self, obj: JSON, admission: Admission) -> None:
        obj.setdefault("type", "Opaque")
        string_data = obj.pop("stringData", None)
        if isinstance(string_data, dict):
            data = obj.setdefault("data", {}) or {}
            for key, value in string_data.items():
                data[key] = base64.b64encode(str(value).encode()).decode()
            obj["data"] = data
        # The API server decodes data as Go's base64 does, skipping line breaks (kustomize wraps long values),
        # and stores bytes: what it serves back is one unbroken line.
        data = obj.get("data")
        if isinstance(data, dict):
            for key, value in data.items():
                if isinstance(value, str):
                    data[key] = value.replace("\r", "").replace("\n", "")

    def validate(self, obj: JSON, old: JSON | None, admission: Admission) -> list[Cause]:
        causes = validation.config_keys(obj.get("data"), "data")
        for key, value in (obj.get("data") or {}).items():
            try:
                base64.b64decode(str(value), validate=True)
            except (binascii.Error, ValueError):
                causes.append(validation.invalid_value(f"data[{key}]", "<secret contents redacted>",
                                                       "illegal base64 data"))
        if old is not None and old.get("type") != obj.get("type"):
            causes.append(validation.immutable("type", obj.get("type")))
        return causes


class PersistentVolumeClaimStrategy(Strategy):
    def default(self, obj: JSON, admission: Admission) -> None:
        spec = obj.setdefault("spec", {})
        spec.setdefault("volumeMode", "Filesystem")

    def initial_status(self, obj: JSON) -> JSON | None:
        return {"phase": "Pending"}

    def prepare_create(self, obj: JSON, admission: Admission) -> None:
        spec = obj.setdefault("spec", {})
        if "storageClassName" not in spec:
            for sc in admission.list_objects("storage.k8s.io/storageclasses"):
                annotations = (sc.get("metadata") or {}).get("annotations") or {}
                if annotations.get("storageclass.kubernetes.io/is-default-class") == "true":
                    spec["storageClassName"] = sc["metadata"]["name"]
                    break
        obj["status"] = {"phase": "Pending"}

    def validate(self, obj: JSON, old: JSON | None, admission: Admission) -> list[Cause]:
        spec = obj.get("spec") or {}
        causes = []
        if not spec.get("accessModes"):
            causes.append(validation.required("spec.accessModes"))
        for mode in spec.get("accessModes") or []:
            if mode not in ("ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod"):
                causes.append(validation.not_supported("spec.accessModes", mode,
                                                       ["ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce",
                                                        "ReadWriteOncePod"]))
        storage = ((spec.get("resources") or {}).get("requests") or {}).get("storage")
        if storage is None:
            causes.append(validation.required("spec.resources[storage]"))
        elif not quantity.is_valid(storage):
            causes.append(validation.invalid_value("spec.resources.requests[storage]", storage,
                                                   "must be a valid quantity"))
        if old is not None:
            old_spec = old.get("spec") or {}

            def comparable(s: JSON) -> JSON:
                s = copy.deepcopy(s)
                s.pop("resources", None)
                s.pop("volumeName", None)
                s.pop("volumeAttributesClassName", None)
                return s

            if comparable(spec) != comparable(old_spec) and old_spec.get("volumeName"):
                causes.append(validation.forbidden("spec", "spec is immutable after creation except "
                                                   "resources.requests and volumeAttributesClassName for bound "
                                                   "claims"))
        return causes


class PersistentVolumeStrategy(Strategy):
    def default(self, obj: JSON, admission: Admission) -> None:
        spec = obj.setdefault("spec", {})
        spec.setdefault("persistentVolumeReclaimPolicy", "Retain")
        spec.setdefault("volumeMode", "Filesystem")

    def initial_status(self, obj: JSON) -> JSON | None:
        return {"phase": "Pending"}


class IngressStrategy(Strategy):
    def prepare_create(self, obj: JSON, admission: Admission) -> None:
        spec = obj.setdefault("spec", {})
        annotations = (obj.get("metadata") or {}).get("annotations") or {}
        if not spec.get("ingressClassName") and "kubernetes.io/ingress.class" not in annotations:
            for ic in admission.list_objects("networking.k8s.io/ingressclasses"):
                ic_annotations = (ic.get("metadata") or {}).get("annotations") or {}
                if ic_annotations.get("ingressclass.kubernetes.io/is-default-class") == "true":
                    spec["ingressClassName"] = ic["metadata"]["name"]
                    break
        obj["status"] = {"loadBalancer": {}}

    def initial_status(self, obj: JSON) -> JSON | None:
        return {"loadBalancer": {}}

    def validate(self, obj: JSON, old: JSON | None, admission: Admission) -> list[Cause]:
        spec = obj.get("spec") or {}
        causes = []
        if not spec.get("rules") and not spec.get("defaultBackend"):
            causes.append(validation.required("spec", "either `defaultBackend` or `rules` must be specified"))
        for i, rule in enumerate(spec.get("rules") or []):
            for j, path in enumerate(((rule.get("http") or {}).get("paths")) or []):
                where = f"spec.rules[{i}].http.paths[{j}]"
                if path.get("pathType") not in ("Exact", "Prefix", "ImplementationSpecific"):
                    if path.get("pathType") is None:
                        causes.append(validation.required(f"{where}.pathType", "pathType must be specified"))
                    else:
                        causes.append(validation.not_supported(f"{where}.pathType", path.get("pathType"),
                                                               ["Exact", "ImplementationSpecific", "Prefix"]))
                backend = path.get("backend") or {}
                if not backend.get("service") and not backend.get("resource"):
                    causes.append(validation.required(f"{where}.backend", "one backend must be specified"))
        return causes


class HorizontalPodAutoscalerStrategy(Strategy):
    def default(self, obj: JSON, admission: Admission) -> None:
        spec = obj.setdefault("spec", {})
        spec.setdefault("minReplicas", 1)
        if not spec.get("metrics"):
            spec["metrics"] = [{"type": "Resource", "resource": {
                "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}}}]

    def initial_status(self, obj: JSON) -> JSON | None:
        return {"currentReplicas": 0, "desiredReplicas": 0}

    def validate(self, obj: JSON, old: JSON | None, admission: Admission) -> list[Cause]:
        spec = obj.get("spec") or {}
        causes = []
        ref = spec.get("scaleTargetRef") or {}
        if not ref.get("kind"):
            causes.append(validation.required("spec.scaleTargetRef.kind"))
        if not ref.get("name"):
            causes.append(validation.required("spec.scaleTargetRef.name"))
        max_replicas = spec.get("maxReplicas")
        if not isinstance(max_replicas, int) or max_replicas < 1:
            causes.append(validation.invalid_value("spec.maxReplicas", max_replicas, "must be greater than 0"))
        elif isinstance(spec.get("minReplicas"), int) and spec["minReplicas"] > max_replicas:
            causes.append(validation.invalid_value("spec.maxReplicas", max_replicas,
                                                   "must be greater than or equal to `minReplicas`"))
        return causes


class StorageClassStrategy(Strategy):
    def default(self, obj: JSON, admission: Admission) -> None:
        obj.setdefault("reclaimPolicy", "Delete")
        obj.setdefault("volumeBindingMode", "Immediate")

    def validate(self, obj: JSON, old: JSON | None, admission: Admission) -> list[Cause]:
        if not obj.get("provisioner"):
            return [validation.required("provisioner")]
        if old is not None and old.get("provisioner") != obj.get("provisioner"):
            return [validation.forbidden("provisioner", "updates to provisioner are forbidden.")]
        return []


class EventStrategy(Strategy):
    def validate(self, obj: JSON, old: JSON | None, admission: Admission) -> list[Cause]:
        causes = []
        involved = obj.get("involvedObject") or {}
        meta_ns = (obj.get("metadata") or {}).get("namespace")
        if involved.get("namespace") and meta_ns and involved["namespace"] != meta_ns:
            causes.append(validation.invalid_value("involvedObject.namespace", involved["namespace"],
                                                   "does not match event.namespace"))
        return causes


class ResourceQuotaStrategy(Strategy):
    def validate(self, obj: JSON, old: JSON | None, admission: Admission) -> list[Cause]:
        return quota.validate_quota(obj)


class LimitRangeStrategy(Strategy):
    def default(self, obj: JSON, admission: Admission) -> None:
        limit_ranger.default_limit_range(obj)

    def validate(self, obj: JSON, old: JSON | None, admission: Admission) -> list[Cause]:
        return limit_ranger.validate_limit_range(obj)


class NetworkPolicyStrategy(Strategy):
    def default(self, obj: JSON, admission: Admission) -> None:
        network_policy.default_network_policy(obj)

    def validate(self, obj: JSON, old: JSON | None, admission: Admission) -> list[Cause]:
        return network_policy.validate_network_policy(obj)


class NodeStrategy(Strategy):
    def initial_status(self, obj: JSON) -> JSON | None:
        return None


class ServiceAccountStrategy(Strategy):
    pass


class CustomResourceDefinitionStrategy(Strategy):
    def default(self, obj: JSON, admission: Admission) -> None:
        spec = obj.setdefault("spec", {})
        names = spec.setdefault("names", {})
        if names.get("kind"):
            names.setdefault("listKind", names["kind"] + "List")
        if names.get("plural"):
            names.setdefault("singular", str(names["kind"]).lower() if names.get("kind") else "")
        spec.setdefault("conversion", {"strategy": "None"})
        for version in spec.get("versions") or []:
            version.setdefault("served", True)
            version.setdefault("storage", False)

    def validate(self, obj: JSON, old: JSON | None, admission: Admission) -> list[Cause]:
        spec = obj.get("spec") or {}
        names = spec.get("names") or {}
        causes: list[Cause] = []
        name = (obj.get("metadata") or {}).get("name")
        group = spec.get("group")
        if not group:
            causes.append(validation.required("spec.group"))
        for part in ("plural", "kind"):
            if not names.get(part):
                causes.append(validation.required(f"spec.names.{part}"))
        if group and names.get("plural") and name != f"{names['plural']}.{group}":
            causes.append(validation.invalid_value("metadata.name", name,
                                                   "must be spec.names.plural+\".\"+spec.group"))
        if spec.get("scope") not in ("Namespaced", "Cluster"):
            causes.append(validation.not_supported("spec.scope", spec.get("scope"), ["Cluster", "Namespaced"]))
        versions = spec.get("versions") or []
        if not versions:
            causes.append(validation.required("spec.versions", "must have exactly one version marked as storage "
                                              "version"))
        elif sum(1 for v in versions if v.get("storage")) != 1:
            causes.append(validation.invalid_value("spec.versions", versions,
                                                   "must have exactly one version marked as storage version"))
        if old is not None:
            if (old.get("spec") or {}).get("group") != group:
                causes.append(validation.immutable("spec.group", group))
            if (old.get("spec") or {}).get("scope") != spec.get("scope"):
                causes.append(validation.immutable("spec.scope", spec.get("scope")))
        return causes


class CustomResourceStrategy(Strategy):
    def initial_status(self, obj: JSON) -> JSON | None:
        return None


STRATEGIES: Mapping[str, type[Strategy]] = MappingProxyType({
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
})


def strategy_for(rt: ResourceType) -> Strategy:
    if rt.custom:
        return CustomResourceStrategy()
    return STRATEGIES.get(rt.key, Strategy)()
