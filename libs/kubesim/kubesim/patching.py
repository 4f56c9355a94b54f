"""Patch flavours and server-side-apply field ownership. Pure functions on JSON-like values.

- RFC 6902 JSON patch, RFC 7386 JSON merge patch
- strategic merge patch for built-in kinds: lists merged by their ``patchMergeKey`` (containers by name, ...),
  ``$patch``, ``$retainKeys``, ``$setElementOrder/...`` and ``$deleteFromPrimitiveList/...`` directives
- field sets in the ``fieldsV1`` notation and the apply merge (ownership, conflicts, removal of fields a manager
  stopped applying)
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

JSON = dict[str, Any]
Path = tuple[str, ...]  # fieldsV1 elements: "f:name", "k:{...}", "v:<json>", "i:<n>"


class PatchError(ValueError):
    """The patch cannot be applied (422 Invalid) or is malformed (``malformed``: 400 BadRequest)."""

    def __init__(self, message: str, malformed: bool = False) -> None:
        super().__init__(message)
        self.malformed = malformed


# --- which lists merge by which key (built-in kinds) --------------------------------------------------------------

_CONTAINER_LISTS = frozenset({"containers", "initContainers", "ephemeralContainers"})
_MERGE_KEYS: Mapping[str, str] = MappingProxyType(
    {
        "containers": "name",
        "initContainers": "name",
        "ephemeralContainers": "name",
        "env": "name",
        "volumes": "name",
        "volumeMounts": "mountPath",
        "volumeDevices": "devicePath",
        "imagePullSecrets": "name",
        "hostAliases": "ip",
        "ownerReferences": "uid",
        "conditions": "type",
        "topologySpreadConstraints": "topologyKey",
        "resourceClaims": "name",
        "secrets": "name",
        "addresses": "type",
    }
)
# Lists of scalars that merge as sets (patchStrategy "merge").
_SET_LISTS = frozenset({"finalizers"})


def merge_key(names: tuple[str, ...]) -> str | None:
    """The merge key of the list reached through field ``names`` (indices left out), or None when atomic."""
    if not names:
        return None
    last = names[-1]
    if last == "ports":
        parent = names[-2] if len(names) >= 2 else ""
        return "containerPort" if parent in _CONTAINER_LISTS else "port"
    if last == "conditions" and len(names) >= 2 and names[-2] != "status":
        return None
    if last == "addresses" and (len(names) < 2 or names[-2] != "status"):
        return None
    if last == "secrets" and names[:1] != ("secrets",) and len(names) != 1:
        return None
    return _MERGE_KEYS.get(last)


def is_set_list(names: tuple[str, ...]) -> bool:
    return bool(names) and names[-1] in _SET_LISTS and len(names) >= 2 and names[-2] == "metadata"


# --- RFC 7386 ------------------------------------------------------------------------------------------------------


def json_merge_patch(target: Any, patch: Any) -> Any:
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = json_merge_patch(result.get(key), value)
    return result


# --- RFC 6902 ------------------------------------------------------------------------------------------------------


def _pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise PatchError(f"invalid JSON pointer {path!r}", malformed=True)
    return [part.replace("~1", "/").replace("~0", "~") for part in path[1:].split("/")]


def _container(doc: Any, parts: list[str], path: str) -> Any:
    current = doc
    for part in parts:
        if isinstance(current, dict):
            if part not in current:
                raise PatchError(f"doc is missing path: {path!r}")
            current = current[part]
        elif isinstance(current, list):
            index = _index(part, len(current), path)
            if index >= len(current):
                raise PatchError(f"doc is missing path: {path!r}")
            current = current[index]
        else:
            raise PatchError(f"doc is missing path: {path!r}")
    return current


def _index(part: str, length: int, path: str, allow_end: bool = False) -> int:
    if part == "-" and allow_end:
        return length
    if not part.isdigit():
        raise PatchError(f"invalid array index {part!r} in {path!r}")
    index = int(part)
    if index > length or (index == length and not allow_end):
        raise PatchError(f"array index out of bounds: {path!r}")
    return index


def _get_at(doc: Any, path: str) -> Any:
    return _container(doc, _pointer(path), path)


def _remove_at(doc: Any, path: str) -> Any:
    parts = _pointer(path)
    if not parts:
        raise PatchError("cannot remove the document root")
    parent = _container(doc, parts[:-1], path)
    last = parts[-1]
    if isinstance(parent, dict):
        if last not in parent:
            raise PatchError(f"unable to remove nonexistent key: {last}: missing value")
        return parent.pop(last)
    if isinstance(parent, list):
        index = _index(last, len(parent), path)
        return parent.pop(index)
    raise PatchError(f"doc is missing path: {path!r}")


def _add_at(doc: Any, path: str, value: Any, replace: bool = False) -> Any:
    parts = _pointer(path)
    if not parts:
        return value
    parent = _container(doc, parts[:-1], path)
    last = parts[-1]
    if isinstance(parent, dict):
        if replace and last not in parent:
            raise PatchError(f"replace operation does not apply: doc is missing key: {path}: missing value")
        parent[last] = value
    elif isinstance(parent, list):
        if replace:
            parent[_index(last, len(parent), path)] = value
        else:
            parent.insert(_index(last, len(parent), path, allow_end=True), value)
    else:
        raise PatchError(f"doc is missing path: {path!r}")
    return doc


def json_patch(doc: Any, operations: Any) -> Any:
    if not isinstance(operations, list):
        raise PatchError("json patch must be a list of operations", malformed=True)
    result = copy.deepcopy(doc)
    for op in operations:
        if not isinstance(op, dict) or "op" not in op or "path" not in op:
            raise PatchError(f"invalid json patch operation {op!r}", malformed=True)
        kind, path = op["op"], op["path"]
        if kind in ("add", "replace", "test") and "value" not in op:
            raise PatchError(f'missing value for operation "{kind}"', malformed=True)
        if kind == "add":
            result = _add_at(result, path, copy.deepcopy(op["value"]))
        elif kind == "remove":
            _remove_at(result, path)
        elif kind == "replace":
            if path == "":
                result = copy.deepcopy(op["value"])
            else:
                result = _add_at(result, path, copy.deepcopy(op["value"]), replace=True)
        elif kind == "move":
            value = _remove_at(result, op.get("from", ""))
            result = _add_at(result, path, value)
        elif kind == "copy":
            value = copy.deepcopy(_get_at(result, op.get("from", "")))
            result = _add_at(result, path, value)
        elif kind == "test":
            if _get_at(result, path) != op["value"]:
                raise PatchError(f"testing value {path} failed: test failed")
        else:
            raise PatchError(f"Unexpected kind: {kind}", malformed=True)
    return result


# --- strategic merge patch -----------------------------------------------------------------------------------------


def _strip_directives(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_directives(v) for k, v in value.items() if not k.startswith("$") and v is not None}
    if isinstance(value, list):
        return [_strip_directives(v) for v in value if not (isinstance(v, dict) and v.get("$patch") == "delete")]
    return value


def strategic_merge_patch(original: Any, patch: Any) -> Any:
    if not isinstance(patch, dict):
        raise PatchError("strategic merge patch must be an object", malformed=True)
    merged = _merge_map(original if isinstance(original, dict) else {}, patch, ())
    return merged if merged is not None else {}


def _merge_map(original: Mapping[str, Any], patch: Mapping[str, Any], names: tuple[str, ...]) -> JSON | None:
    directive = patch.get("$patch")
    if directive == "delete":
        return None
    if directive == "replace":
        replaced: JSON = _strip_directives({k: v for k, v in patch.items() if k != "$patch"})
        return replaced
    result: JSON = copy.deepcopy(dict(original))
    orders: dict[str, list[Any]] = {}
    for key, value in patch.items():
        if key.startswith("$setElementOrder/"):
            orders[key.split("/", 1)[1]] = list(value or [])
            continue
        if key.startswith("$deleteFromPrimitiveList/"):
            target = key.split("/", 1)[1]
            doomed = list(value or [])
            if isinstance(result.get(target), list):
                result[target] = [item for item in result[target] if item not in doomed]
            continue
        if key.startswith("$"):
            continue
        if value is None:
            result.pop(key, None)
        elif isinstance(value, dict):
            base = result.get(key)
            merged = _merge_map(base if isinstance(base, dict) else {}, value, (*names, key))
            if merged is None:
                result.pop(key, None)
            else:
                result[key] = merged
        elif isinstance(value, list):
            result[key] = _merge_list(result.get(key), value, (*names, key))
        else:
            result[key] = value
    retain = patch.get("$retainKeys")
    if isinstance(retain, list):
        result = {k: v for k, v in result.items() if k in retain}
    for target, order in orders.items():
        if isinstance(result.get(target), list):
            result[target] = _apply_order(result[target], order, merge_key((*names, target)))
    return result


def _apply_order(items: list[Any], order: list[Any], key: str | None) -> list[Any]:
    def ident(item: Any) -> Any:
        return json.dumps(item.get(key) if key and isinstance(item, dict) else item, sort_keys=True)

    wanted = {ident(entry): position for position, entry in enumerate(order)}
    ordered = [item for item in items if ident(item) in wanted]
    ordered.sort(key=lambda item: wanted[ident(item)])
    rest = [item for item in items if ident(item) not in wanted]
    return ordered + rest


def _merge_list(original: Any, patch: list[Any], names: tuple[str, ...]) -> list[Any]:
    if any(isinstance(item, dict) and item.get("$patch") == "replace" for item in patch):
        return [
            _strip_directives(item)
            for item in patch
            if not (isinstance(item, dict) and item.get("$patch") == "replace")
        ]
    base = list(original) if isinstance(original, list) else []
    key = merge_key(names)
    if key and all(isinstance(item, dict) for item in patch):
        result = copy.deepcopy(base)
        for item in patch:
            wanted = item.get(key)
            position = next(
                (i for i, existing in enumerate(result) if isinstance(existing, dict) and existing.get(key) == wanted),
                None,
            )
            if item.get("$patch") == "delete":
                if position is not None:
                    result.pop(position)
                continue
            if position is None:
                result.append(_strip_directives(item))
            else:
                merged = _merge_map(result[position], item, names)
                if merged is None:
                    result.pop(position)
                else:
                    result[position] = merged
        return result
    if is_set_list(names):
        result = list(base)
        for item in patch:
            if item not in result:
                result.append(item)
        return result
    return _strip_directives(patch)  # type: ignore[no-any-return]


# --- server-side apply: field sets -------------------------------------------------------------------------------

# Set by the server, never owned by a field manager.
_UNOWNED_METADATA = frozenset(
    {
        "name",
        "namespace",
        "uid",
        "resourceVersion",
        "generation",
        "creationTimestamp",
        "managedFields",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
        "selfLink",
        "generateName",
    }
)


def _item_element(item: Any, key: str) -> str:
    return "k:" + json.dumps({key: item.get(key)}, separators=(",", ":"), sort_keys=True)


def field_set(obj: Any, *, section: str = "main", structured_lists: bool = True) -> set[Path]:
    """The fields ``obj`` sets, in fieldsV1 elements. ``section``: "main" (no status) or "status" (only status)."""
    paths: set[Path] = set()
    if not isinstance(obj, dict):
        return paths
    for key, value in obj.items():
        if key in ("apiVersion", "kind"):
            continue
        if (key == "status") != (section == "status"):
            continue
        if key == "metadata":
            if section == "status":
                continue
            meta = {k: v for k, v in (value or {}).items() if k not in _UNOWNED_METADATA}
            if meta:
                _collect(meta, ("f:metadata",), ("metadata",), paths, structured_lists)
            continue
        _collect(value, ("f:" + key,), (key,), paths, structured_lists)
    return paths


def _collect(value: Any, path: Path, names: tuple[str, ...], out: set[Path], structured: bool) -> None:
    if isinstance(value, dict):
        if not value:
            out.add(path)
            return
        for key, child in value.items():
            _collect(child, (*path, "f:" + key), (*names, key), out, structured)
        return
    if isinstance(value, list) and value:
        key = merge_key(names) if structured else None
        if key and all(isinstance(item, dict) and key in item for item in value):
            for item in value:
                item_path = (*path, _item_element(item, key))
                out.add(item_path)
                for child_key, child in item.items():
                    _collect(child, (*item_path, "f:" + child_key), (*names, child_key), out, structured)
            return
        if structured and is_set_list(names) and all(not isinstance(item, dict | list) for item in value):
            for item in value:
                out.add((*path, "v:" + json.dumps(item, separators=(",", ":"))))
            return
    out.add(path)


def to_fields_v1(paths: Iterable[Path]) -> JSON:
    root: JSON = {}
    for path in sorted(paths):
        node = root
        for element in path:
            node = node.setdefault(element, {})
        if path and path[-1][:2] in ("k:", "v:", "i:"):
            node.setdefault(".", {})
    return root


def from_fields_v1(tree: Mapping[str, Any] | None) -> set[Path]:
    paths: set[Path] = set()

    def walk(node: Mapping[str, Any], prefix: Path) -> None:
        for element, child in node.items():
            if element == ".":
                paths.add(prefix)
                continue
            here = (*prefix, element)
            if not child:
                paths.add(here)
            else:
                walk(child, here)

    walk(tree or {}, ())
    return paths


_MISSING = object()


def value_at(obj: Any, path: Path) -> Any:
    """The value ``path`` points at, or ``_MISSING``."""
    current = obj
    for element in path:
        kind, rest = element[:2], element[2:]
        if kind == "f:":
            if not isinstance(current, dict) or rest not in current:
                return _MISSING
            current = current[rest]
        elif kind == "k:":
            wanted = json.loads(rest)
            if not isinstance(current, list):
                return _MISSING
            current = next(
                (
                    item
                    for item in current
                    if isinstance(item, dict) and all(item.get(k) == v for k, v in wanted.items())
                ),
                _MISSING,
            )
            if current is _MISSING:
                return _MISSING
        elif kind == "v:":
            wanted_value = json.loads(rest)
            if not isinstance(current, list) or wanted_value not in current:
                return _MISSING
            current = wanted_value
        elif kind == "i:":
            index = int(rest)
            if not isinstance(current, list) or index >= len(current):
                return _MISSING
            current = current[index]
        else:
            return _MISSING
    return current


def remove_at(obj: Any, path: Path) -> None:
    """Remove what ``path`` points at (in place); absent paths are ignored."""
    if not path:
        return
    parent = value_at(obj, path[:-1])
    if parent is _MISSING:
        return
    element = path[-1]
    kind, rest = element[:2], element[2:]
    if kind == "f:" and isinstance(parent, dict):
        parent.pop(rest, None)
    elif kind == "k:" and isinstance(parent, list):
        wanted = json.loads(rest)
        parent[:] = [
            item for item in parent if not (isinstance(item, dict) and all(item.get(k) == v for k, v in wanted.items()))
        ]
    elif kind == "v:" and isinstance(parent, list):
        wanted_value = json.loads(rest)
        parent[:] = [item for item in parent if item != wanted_value]


def _comparable(value: Any) -> Any:
    return value


def changed_paths(old: Any, new: Any, section: str = "main") -> set[Path]:
    """Fields of ``new`` that are new or hold another value than in ``old``."""
    out = set()
    for path in field_set(new, section=section):
        before = value_at(old, path)
        after = value_at(new, path)
        if _is_item(path):
            if before is _MISSING:
                out.add(path)
            continue
        if before is _MISSING or before != after:
            out.add(path)
    return out


def _is_item(path: Path) -> bool:
    return bool(path) and path[-1][:2] in ("k:", "v:", "i:")


def render_path(path: Path) -> str:
    """A path as Kubernetes prints it in apply conflicts: ``.spec.replicas``, ``.spec.containers[name="x"].image``."""
    out = []
    for element in path:
        kind, rest = element[:2], element[2:]
        if kind == "f:":
            out.append("." + rest)
        elif kind == "k:":
            keys = json.loads(rest)
            out.append("[" + ",".join(f"{k}={json.dumps(v)}" for k, v in keys.items()) + "]")
        elif kind == "v:":
            out.append(f"[={rest}]")
        else:
            out.append(f"[{rest}]")
    return "".join(out)


@dataclass
class Manager:
    manager: str
    operation: str  # "Apply" or "Update"
    api_version: str
    time: str
    subresource: str = ""
    fields: set[Path] = field(default_factory=set)

    @property
    def ident(self) -> tuple[str, str, str]:
        return (self.manager, self.operation, self.subresource)

    def to_json(self) -> JSON:
        entry: JSON = {
            "manager": self.manager,
            "operation": self.operation,
            "apiVersion": self.api_version,
            "time": self.time,
            "fieldsType": "FieldsV1",
            "fieldsV1": to_fields_v1(self.fields),
        }
        if self.subresource:
            entry["subresource"] = self.subresource
        return entry


def read_managers(obj: Mapping[str, Any]) -> list[Manager]:
    out = []
    for entry in (obj.get("metadata") or {}).get("managedFields") or []:
        if not isinstance(entry, dict):
            continue
        out.append(
            Manager(
                manager=str(entry.get("manager", "")),
                operation=str(entry.get("operation", "Update")),
                api_version=str(entry.get("apiVersion", "")),
                time=str(entry.get("time", "")),
                subresource=str(entry.get("subresource", "")),
                fields=from_fields_v1(entry.get("fieldsV1")),
            )
        )
    return out


def write_managers(obj: JSON, managers: list[Manager]) -> None:
    entries = [m.to_json() for m in managers if m.fields]
    meta = obj.setdefault("metadata", {})
    if entries:
        meta["managedFields"] = entries
    else:
        meta.pop("managedFields", None)


@dataclass
class Conflict:
    manager: str
    api_version: str
    path: Path


class ApplyConflict(Exception):
    def __init__(self, conflicts: list[Conflict]) -> None:
        super().__init__(f"{len(conflicts)} conflicts")
        self.conflicts = conflicts

    def message(self) -> str:
        count = len(self.conflicts)
        header = f"Apply failed with {count} conflict{'s' if count != 1 else ''}: "
        parts = [f'conflict with "{c.manager}" using {c.api_version}: {render_path(c.path)}' for c in self.conflicts]
        return header + "\n".join(parts)


def record_update(
    old: JSON | None, new: JSON, manager: str, api_version: str, time: str, subresource: str = ""
) -> None:
    """Coarse ownership for non-apply writes: the writer takes over every field it changed."""
    section = "status" if subresource == "status" else "main"
    managers = read_managers(old or {})
    present = field_set(new, section="main") | field_set(new, section="status")
    changed = changed_paths(old or {}, new, section=section)
    for m in managers:
        m.fields = {p for p in m.fields if p in present or _has_prefix_in(p, present)} - changed
    if changed:
        entry = next((m for m in managers if m.ident == (manager, "Update", subresource)), None)
        if entry is None:
            entry = Manager(manager, "Update", api_version, time, subresource)
            managers.append(entry)
        entry.fields |= changed
        entry.time = time
        entry.api_version = api_version
    write_managers(new, managers)


def _has_prefix_in(path: Path, paths: set[Path]) -> bool:
    return any(p[: len(path)] == path for p in paths)


def server_side_apply(
    live: JSON | None,
    config: JSON,
    manager: str,
    api_version: str,
    time: str,
    force: bool,
    subresource: str = "",
    structured_lists: bool = True,
) -> JSON:
    """The object after ``manager`` applies ``config`` to ``live`` (or creates it); raises ``ApplyConflict``."""
    section = "status" if subresource == "status" else "main"
    applied = field_set(config, section=section, structured_lists=structured_lists)
    base: JSON = copy.deepcopy(live) if live is not None else {}
    managers = read_managers(base)
    own = next((m for m in managers if m.ident == (manager, "Apply", subresource)), None)
    previously = set(own.fields) if own else set()

    conflicts: list[Conflict] = []
    for other in managers:
        if other is own or other.manager == manager:
            continue
        for path in sorted(applied & other.fields):
            if _is_item(path):
                continue
            if value_at(base, path) != value_at(config, path):
                conflicts.append(Conflict(other.manager, other.api_version, path))
    if conflicts and not force:
        raise ApplyConflict(conflicts)
    if force:
        for other in managers:
            if other is not own:
                other.fields -= applied

    merged: JSON = _apply_merge(base, config, (), structured_lists)
    still_owned = set().union(*(m.fields for m in managers if m is not own)) if managers else set()
    for path in sorted(previously - applied, key=len, reverse=True):
        if path not in still_owned and not any(p[: len(path)] == path for p in applied | still_owned):
            remove_at(merged, path)

    if own is None:
        own = Manager(manager, "Apply", api_version, time, subresource)
        managers.append(own)
    own.fields = applied
    own.time = time
    own.api_version = api_version
    write_managers(merged, managers)
    return merged


def _apply_merge(live: Any, config: Any, names: tuple[str, ...], structured: bool) -> Any:
    if isinstance(config, dict):
        result = copy.deepcopy(live) if isinstance(live, dict) else {}
        for key, value in config.items():
            if value is None:
                continue
            result[key] = _apply_merge(result.get(key), value, (*names, key), structured)
        return result
    if isinstance(config, list):
        key = merge_key(names) if structured else None
        if key and isinstance(live, list) and all(isinstance(i, dict) and key in i for i in config):
            result_list = copy.deepcopy(live)
            for item in config:
                position = next(
                    (
                        i
                        for i, existing in enumerate(result_list)
                        if isinstance(existing, dict) and existing.get(key) == item.get(key)
                    ),
                    None,
                )
                if position is None:
                    result_list.append(copy.deepcopy(item))
                else:
                    result_list[position] = _apply_merge(result_list[position], item, names, structured)
            return result_list
        if structured and is_set_list(names) and isinstance(live, list):
            merged = list(live)
            for item in config:
                if item not in merged:
                    merged.append(item)
            return merged
        return copy.deepcopy(config)
    return copy.deepcopy(config)
