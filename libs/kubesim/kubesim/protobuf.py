"""Decoding ``application/vnd.kubernetes.protobuf`` request bodies into the JSON objects they stand for.

kubectl's typed clients (``create namespace``, ``create deployment``, ``create configmap``, ...) send protobuf.
Responses are always JSON, which those clients accept too. Only decoding is needed, for the kinds listed in
``proto_fields``.
"""

from __future__ import annotations

import base64
import json
from types import MappingProxyType
from typing import Any

from kubesim import clock
from kubesim.proto_fields import FIELDS

JSON = dict[str, Any]
MAGIC = b"k8s\x00"

_API_VERSIONS = MappingProxyType(
    {
        "core": "v1",
        "apps": "apps/v1",
        "batch": "batch/v1",
        "net": "networking.k8s.io/v1",
        "as1": "autoscaling/v1",
        "as2": "autoscaling/v2",
        "policy": "policy/v1",
        "rbac": "rbac.authorization.k8s.io/v1",
        "sched": "scheduling.k8s.io/v1",
        "meta": "meta.k8s.io/v1",
    }
)
_BY_TYPE = MappingProxyType(
    {
        (api_version, name.split(".", 1)[1]): name
        for name in FIELDS
        for prefix, api_version in _API_VERSIONS.items()
        if name.startswith(prefix + ".")
    }
)

# Go embeds these structs: their fields sit in the parent's JSON object.
_INLINE = frozenset(
    {"localObjectReference", "handler", "volumeSource", "persistentVolumeSource", "ephemeralContainerCommon"}
)

# Pointer fields: Go only encodes them when set, so a zero value is meaningful; other zero scalars are what Go
# writes for unset non-pointer fields, which JSON would have omitted.
_KEEP_ZERO = frozenset(
    {
        "replicas",
        "minReplicas",
        "maxReplicas",
        "parallelism",
        "completions",
        "backoffLimit",
        "backoffLimitPerIndex",
        "maxFailedIndexes",
        "activeDeadlineSeconds",
        "ttlSecondsAfterFinished",
        "terminationGracePeriodSeconds",
        "startingDeadlineSeconds",
        "successfulJobsHistoryLimit",
        "failedJobsHistoryLimit",
        "revisionHistoryLimit",
        "progressDeadlineSeconds",
        "runAsUser",
        "runAsGroup",
        "fsGroup",
        "defaultMode",
        "mode",
        "suspend",
        "automountServiceAccountToken",
        "optional",
        "readOnlyRootFilesystem",
        "privileged",
        "allowPrivilegeEscalation",
        "runAsNonRoot",
        "enableServiceLinks",
        "immutable",
        "value",
        "gracePeriodSeconds",
        "orphanDependents",
        "containerPort",
        "port",
        "partition",
        "maxUnavailable",
        "maxSurge",
        "minAvailable",
        "seconds",
        "shareProcessNamespace",
        "hostUsers",
        "setHostnameAsFQDN",
        "allocateLoadBalancerNodePorts",
        "publishNotReadyAddresses",
        "targetCPUUtilizationPercentage",
        "averageUtilization",
    }
)


class ProtobufError(ValueError):
    pass


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(data):
            raise ProtobufError("truncated varint")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
        if shift > 70:
            raise ProtobufError("varint too long")


def _fields(data: bytes) -> list[tuple[int, int, Any]]:
    """(field number, wire type, raw value) in order."""
    out = []
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        value: int | bytes
        if wire == 0:
            value, pos = _varint(data, pos)
        elif wire == 1:
            value, pos = int.from_bytes(data[pos : pos + 8], "little"), pos + 8
        elif wire == 2:
            length, pos = _varint(data, pos)
            value, pos = data[pos : pos + length], pos + length
        elif wire == 5:
            value, pos = int.from_bytes(data[pos : pos + 4], "little"), pos + 4
        else:
            raise ProtobufError(f"unsupported wire type {wire}")
        out.append((number, wire, value))
    return out


def _signed(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


def _scalar(kind: str, raw: Any) -> Any:
    if kind == "s":
        return bytes(raw).decode("utf-8")
    if kind == "i":
        return _signed(int(raw))
    if kind == "b":
        return bool(raw)
    if kind == "y":
        return base64.b64encode(bytes(raw)).decode()
    if kind == "d":
        import struct

        return struct.unpack("<d", int(raw).to_bytes(8, "little"))[0]
    raise ProtobufError(f"unknown scalar {kind}")


def _zero(value: Any) -> bool:
    return value in ("", 0, False) and not isinstance(value, dict)


def _special(kind: str, raw: bytes) -> Any:
    parts = {number: value for number, _, value in _fields(raw)}
    if kind in ("meta.Time", "meta.MicroTime"):
        seconds = _signed(int(parts.get(1, 0)))
        nanos = int(parts.get(2, 0))
        if not seconds and not nanos:
            return None
        return clock.rfc3339(seconds) if kind == "meta.Time" else clock.rfc3339_micro(seconds + nanos / 1e9)
    if kind == "res.Quantity":
        return bytes(parts.get(1, b"")).decode()
    if kind == "meta.Duration":
        return bytes(parts.get(1, b"")).decode()
    if kind == "intstr.IntOrString":
        if int(parts.get(1, 0)) == 1:
            return bytes(parts.get(3, b"")).decode()
        return _signed(int(parts.get(2, 0)))
    if kind in ("rt.RawExtension", "meta.FieldsV1"):
        raw_json = bytes(parts.get(1, b""))
        return json.loads(raw_json) if raw_json else None
    raise ProtobufError(f"unknown special message {kind}")


SPECIAL = frozenset(
    {
        "meta.Time",
        "meta.MicroTime",
        "res.Quantity",
        "meta.Duration",
        "intstr.IntOrString",
        "rt.RawExtension",
        "meta.FieldsV1",
    }
)


def _value(kind: str, raw: Any) -> Any:
    if kind in SPECIAL:
        return _special(kind, bytes(raw))
    if kind in FIELDS:
        return decode_message(kind, bytes(raw))
    return _scalar(kind, raw)


def decode_message(message: str, data: bytes) -> JSON:
    schema = FIELDS.get(message)
    if schema is None:
        raise ProtobufError(f"no schema for {message}")
    out: JSON = {}
    for number, wire, raw in _fields(data):
        field = schema.get(number)
        if field is None:
            continue
        name, kind, repeated = field
        if kind.startswith("map:"):
            value_kind = kind[4:]
            entry = {n: v for n, _, v in _fields(bytes(raw))}
            key = bytes(entry.get(1, b"")).decode()
            out.setdefault(name, {})[key] = _value(value_kind, entry.get(2, b"" if value_kind != "i" else 0))
            continue
        if repeated:
            if wire == 2 and kind in ("i", "b", "d"):
                # Packed repeated scalars.
                pos, packed = 0, bytes(raw)
                while pos < len(packed):
                    item, pos = _varint(packed, pos)
                    out.setdefault(name, []).append(_scalar(kind, item))
                continue
            out.setdefault(name, []).append(_value(kind, raw))
            continue
        value = _value(kind, raw)
        if value is None or (_zero(value) and name not in _KEEP_ZERO):
            continue
        if name in _INLINE and isinstance(value, dict):
            out.update(value)
            continue
        out[name] = value
    return out


def decode(data: bytes) -> JSON:
    """A protobuf request body (the ``k8s\\0`` envelope) as a JSON object with apiVersion and kind."""
    if not data.startswith(MAGIC):
        raise ProtobufError("not a Kubernetes protobuf message (missing magic number)")
    envelope = {number: value for number, _, value in _fields(data[len(MAGIC) :])}
    type_meta = {number: value for number, _, value in _fields(bytes(envelope.get(1, b"")))}
    api_version = bytes(type_meta.get(1, b"")).decode()
    kind = bytes(type_meta.get(2, b"")).decode()
    message = _BY_TYPE.get((api_version, kind))
    if message is None:
        raise ProtobufError(f"cannot decode {kind} {api_version} from protobuf")
    obj = decode_message(message, bytes(envelope.get(2, b"")))
    return {"apiVersion": api_version, "kind": kind, **obj}
