"""Pods and pod templates: defaulting (containers, probes, volumes), QoS class, the AppArmor annotation/field
sync, and which pod fields an update may change."""

from __future__ import annotations

import copy
from typing import Any

from kubesim import validation
from kubesim.status import Cause
from kubesim.strategies.base import Admission, Strategy

JSON = dict[str, Any]


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
    containers = [c for c in (spec.get("containers") or []) + (spec.get("initContainers") or []) if isinstance(c, dict)]
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
        return {"type": "Localhost", "localhostProfile": annotation[len("localhost/") :]}
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
                tolerations.append(
                    {"key": taint, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}
                )

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
            return [
                validation.forbidden(
                    "spec",
                    "pod updates may not change fields other than "
                    "`spec.containers[*].image`,`spec.initContainers[*].image`,"
                    "`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to "
                    "existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to "
                    "be set to 1 if it was previously negative)",
                )
            ]
        return []
