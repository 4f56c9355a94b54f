"""Label and field selectors: parsing (string and ``LabelSelector`` object forms) and matching. Pure."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

JSON = dict[str, Any]


class SelectorError(ValueError):
    """The selector text is not valid; the API server answers 400 BadRequest."""


@dataclass(frozen=True)
class Requirement:
    key: str
    operator: str  # "=", "!=", "in", "notin", "exists", "!", "gt", "lt"
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        present = self.key in labels
        value = labels.get(self.key)
        op = self.operator
        if op == "exists":
            return present
        if op == "!":
            return not present
        if op in ("=", "in"):
            return present and value in self.values
        if op in ("!=", "notin"):
            return not present or value not in self.values
        if op in ("gt", "lt"):
            if not present:
                return False
            try:
                number = int(str(value))
            except ValueError:
                return False
            bound = int(self.values[0])
            return number > bound if op == "gt" else number < bound
        raise AssertionError(op)

    def __str__(self) -> str:
        if self.operator == "exists":
            return self.key
        if self.operator == "!":
            return f"!{self.key}"
        if self.operator in ("in", "notin"):
            return f"{self.key} {self.operator} ({','.join(self.values)})"
        if self.operator == "gt":
            return f"{self.key}>{self.values[0]}"
        if self.operator == "lt":
            return f"{self.key}<{self.values[0]}"
        return f"{self.key}{self.operator}{self.values[0]}"


@dataclass(frozen=True)
class LabelSelector:
    requirements: tuple[Requirement, ...] = ()
    # A LabelSelector object that is null selects nothing; an empty one selects everything.
    nothing: bool = False

    def matches(self, labels: Mapping[str, str] | None) -> bool:
        if self.nothing:
            return False
        labels = labels or {}
        return all(req.matches(labels) for req in self.requirements)

    @property
    def empty(self) -> bool:
        return not self.requirements and not self.nothing

    def __str__(self) -> str:
        return ",".join(str(r) for r in self.requirements)


EVERYTHING = LabelSelector()
NOTHING = LabelSelector(nothing=True)

_QUALIFIED_NAME = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)$")
_PREFIX = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")


def valid_label_key(key: str) -> str | None:
    """None when ``key`` is a valid label key, else the reason."""
    prefix, slash, name = key.rpartition("/")
    if slash and (not prefix or len(prefix) > 253 or not _PREFIX.match(prefix)):
        return "prefix part must be a lowercase RFC 1123 subdomain"
    if not name or len(name) > 63 or not _QUALIFIED_NAME.match(name):
        return (
            "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end "
            "with an alphanumeric character"
        )
    return None


def valid_label_value(value: str) -> str | None:
    if len(value) > 63:
        return "must be no more than 63 characters"
    if not _LABEL_VALUE.match(value):
        return (
            "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', "
            "and must start and end with an alphanumeric character"
        )
    return None


_TOKEN = re.compile(r"\s*(!=|==|=|!|\(|\)|,|>|<|[^\s!=,()<>]+)")


def _tokenize(text: str) -> list[str]:
    tokens: list[str] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        match = _TOKEN.match(text, pos)
        if match is None:
            raise SelectorError(f"unable to parse requirement: unexpected character at {pos} in {text!r}")
        tokens.append(match.group(1))
        pos = match.end()
    return tokens


def parse_label_selector(text: str | None) -> LabelSelector:
    """Parse the ``labelSelector`` query parameter syntax."""
    if text is None or not text.strip():
        return EVERYTHING
    return _LabelParser(_tokenize(text)).selector()


class _LabelParser:
    """A recursive-descent reader of label selector tokens (apimachinery's ``labels.Parse``, errors included)."""

    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens
        self.i = 0

    def need(self, what: str) -> str:
        if self.i >= len(self.tokens):
            raise SelectorError(f"unable to parse requirement: found '', expected: {what}")
        token = self.tokens[self.i]
        self.i += 1
        return token

    def at_end_of_requirement(self) -> bool:
        return self.i >= len(self.tokens) or self.tokens[self.i] == ","

    def selector(self) -> LabelSelector:
        requirements: list[Requirement] = []
        while self.i < len(self.tokens):
            requirements.append(self.requirement())
            if self.i < len(self.tokens):
                if self.tokens[self.i] != ",":
                    raise SelectorError(f"unable to parse requirement: found '{self.tokens[self.i]}', expected: ','")
                self.i += 1
        return LabelSelector(tuple(requirements))

    def requirement(self) -> Requirement:
        token = self.need("key")
        if token == "!":
            key = self.need("identifier after '!'")
            _check_key(key)
            return Requirement(key, "!")
        _check_key(token)
        if self.at_end_of_requirement():
            return Requirement(token, "exists")
        op = self.need("operator")
        if op in ("=", "==", "!="):
            value = "" if self.at_end_of_requirement() else self.tokens[self.i]
            if value:
                self.i += 1
            _check_value(value)
            return Requirement(token, "!=" if op == "!=" else "=", (value,))
        if op in ("in", "notin"):
            return Requirement(token, op, self.values())
        if op in (">", "<"):
            bound = self.need("integer")
            if not re.fullmatch(r"-?\d+", bound):
                raise SelectorError(
                    f"unable to parse requirement: for 'Gt', 'Lt' operators, the value must be an integer: {bound!r}"
                )
            return Requirement(token, "gt" if op == ">" else "lt", (bound,))
        raise SelectorError(f"unable to parse requirement: found '{op}', expected: in, notin, =, ==, !=, gt, lt")

    def values(self) -> tuple[str, ...]:
        """The parenthesised value list of ``in`` and ``notin``."""
        if self.need("'('") != "(":
            raise SelectorError(f"unable to parse requirement: found '{self.tokens[self.i - 1]}', expected: '('")
        values: list[str] = []
        while True:
            token = self.need("values or ')'")
            if token == ")":
                return tuple(values)
            if token != ",":
                _check_value(token)
                values.append(token)


def _check_key(key: str) -> None:
    problem = valid_label_key(key)
    if problem:
        raise SelectorError(f"unable to parse requirement: invalid label key {key!r}: {problem}")


def _check_value(value: str) -> None:
    problem = valid_label_value(value)
    if problem:
        raise SelectorError(f"unable to parse requirement: invalid label value: {value!r}: {problem}")


def from_object(selector: Mapping[str, Any] | None) -> LabelSelector:
    """A ``metav1.LabelSelector`` (matchLabels + matchExpressions); ``None`` selects nothing."""
    if selector is None:
        return NOTHING
    requirements = [Requirement(k, "=", (str(v),)) for k, v in sorted((selector.get("matchLabels") or {}).items())]
    for expr in selector.get("matchExpressions") or []:
        op = str(expr.get("operator", ""))
        key = str(expr.get("key", ""))
        values = tuple(str(v) for v in expr.get("values") or [])
        mapped = {"In": "in", "NotIn": "notin", "Exists": "exists", "DoesNotExist": "!"}.get(op)
        if mapped is None:
            raise SelectorError(f"{op!r} is not a valid label selector operator")
        requirements.append(Requirement(key, mapped, values))
    return LabelSelector(tuple(requirements))


def from_map(labels: Mapping[str, str] | None) -> LabelSelector:
    """A plain ``map[string]string`` selector (Services, ReplicationControllers); empty selects nothing here."""
    if not labels:
        return NOTHING
    return LabelSelector(tuple(Requirement(k, "=", (str(v),)) for k, v in sorted(labels.items())))


def to_string(selector: Mapping[str, Any] | None) -> str:
    return str(from_object(selector))


# --- field selectors --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldRequirement:
    field: str
    operator: str  # "=" or "!="
    value: str


@dataclass(frozen=True)
class FieldSelector:
    requirements: tuple[FieldRequirement, ...] = ()

    def matches(self, fields: Mapping[str, str]) -> bool:
        for req in self.requirements:
            actual = fields.get(req.field, "")
            if (actual == req.value) != (req.operator == "="):
                return False
        return True

    @property
    def empty(self) -> bool:
        return not self.requirements

    def single_value(self, field: str) -> str | None:
        """The value when the selector pins ``field`` with ``=`` (used to narrow lookups)."""
        for req in self.requirements:
            if req.field == field and req.operator == "=":
                return req.value
        return None


def _split_unescaped(text: str, sep: str) -> list[str]:
    parts, current, escaped = [], [], False
    for ch in text:
        if escaped:
            current.append("\\" + ch)
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == sep:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return parts


def _unescape(value: str) -> str:
    out, i = [], 0
    while i < len(value):
        if value[i] == "\\" and i + 1 < len(value):
            out.append(value[i + 1])
            i += 2
        else:
            out.append(value[i])
            i += 1
    return "".join(out)


def parse_field_selector(text: str | None) -> FieldSelector:
    if text is None or not text.strip():
        return FieldSelector()
    requirements = []
    for part in _split_unescaped(text, ","):
        part = part.strip()
        if not part:
            continue
        for op in ("!=", "==", "="):
            index = part.find(op)
            if index > 0:
                field, value = part[:index].strip(), part[index + len(op) :]
                requirements.append(FieldRequirement(field, "!=" if op == "!=" else "=", _unescape(value)))
                break
        else:
            raise SelectorError(f"invalid selector: '{text}'; can't understand '{part}'")
    return FieldSelector(tuple(requirements))


def _get(obj: Mapping[str, Any], *path: str) -> Any:
    current: Any = obj
    for key in path:
        if not isinstance(current, Mapping):
            return None
        current = current.get(key)
    return current


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


FieldGetter = Callable[[Mapping[str, Any]], str]


def _path(*path: str) -> FieldGetter:
    return lambda obj: _text(_get(obj, *path))


_COMMON: Mapping[str, FieldGetter] = MappingProxyType(
    {
        "metadata.name": _path("metadata", "name"),
        "metadata.namespace": _path("metadata", "namespace"),
    }
)

# Which extra fields each kind can be selected by, as the API server allows (others are a 400).
FIELD_LABELS: Mapping[str, Mapping[str, FieldGetter]] = MappingProxyType(
    {
        "Pod": {
            "spec.nodeName": _path("spec", "nodeName"),
            "spec.restartPolicy": _path("spec", "restartPolicy"),
            "spec.schedulerName": _path("spec", "schedulerName"),
            "spec.serviceAccountName": _path("spec", "serviceAccountName"),
            "spec.hostNetwork": lambda o: _text(bool(_get(o, "spec", "hostNetwork"))),
            "status.phase": _path("status", "phase"),
            "status.podIP": _path("status", "podIP"),
            "status.nominatedNodeName": _path("status", "nominatedNodeName"),
        },
        "Event": {
            "involvedObject.kind": _path("involvedObject", "kind"),
            "involvedObject.namespace": _path("involvedObject", "namespace"),
            "involvedObject.name": _path("involvedObject", "name"),
            "involvedObject.uid": _path("involvedObject", "uid"),
            "involvedObject.apiVersion": _path("involvedObject", "apiVersion"),
            "involvedObject.resourceVersion": _path("involvedObject", "resourceVersion"),
            "involvedObject.fieldPath": _path("involvedObject", "fieldPath"),
            "reason": _path("reason"),
            "reportingComponent": _path("reportingComponent"),
            "source": lambda o: _text(_get(o, "source", "component") or _get(o, "reportingComponent")),
            "type": _path("type"),
        },
        "Secret": {"type": _path("type")},
        "Namespace": {"status.phase": _path("status", "phase")},
        "Node": {"spec.unschedulable": lambda o: _text(bool(_get(o, "spec", "unschedulable")))},
        "Job": {"status.successful": lambda o: _text(_get(o, "status", "succeeded") or 0)},
        "ReplicaSet": {"status.replicas": lambda o: _text(_get(o, "status", "replicas") or 0)},
        "PersistentVolume": {"spec.storageClassName": _path("spec", "storageClassName")},
    }
)


def supported_fields(kind: str) -> dict[str, FieldGetter]:
    return {**_COMMON, **FIELD_LABELS.get(kind, {})}


def check_fields(kind: str, selector: FieldSelector) -> None:
    allowed = supported_fields(kind)
    for req in selector.requirements:
        if req.field not in allowed:
            raise SelectorError(f"field label not supported: {req.field}")


def field_values(kind: str, obj: Mapping[str, Any], selector: FieldSelector) -> dict[str, str]:
    getters = supported_fields(kind)
    return {req.field: getters[req.field](obj) for req in selector.requirements if req.field in getters}


def object_matches(kind: str, obj: Mapping[str, Any], labels: LabelSelector, fields: FieldSelector) -> bool:
    if not labels.empty and not labels.matches(_get(obj, "metadata", "labels") or {}):
        return False
    return fields.empty or fields.matches(field_values(kind, obj, fields))
