"""What controllers read off objects: work-queue keys, owner references, pod readiness, condition times (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from kubesim import clock

if TYPE_CHECKING:
    from kubesim.store import Change, Store

JSON = dict[str, Any]


def object_key(obj: JSON) -> str:
    """A work-queue key: ``namespace/name``, or ``name`` for cluster-scoped objects."""
    meta = obj.get("metadata") or {}
    namespace = meta.get("namespace") or ""
    return f"{namespace}/{meta.get('name')}" if namespace else str(meta.get("name"))


def split_key(key: str) -> tuple[str, str]:
    namespace, _, name = key.rpartition("/")
    return namespace, name


def controller_of(obj: JSON) -> JSON | None:
    """The owner reference marked ``controller``, if any."""
    for ref in (obj.get("metadata") or {}).get("ownerReferences") or []:
        if ref.get("controller"):
            return dict(ref)
    return None


def owner_ref(owner: JSON, *, controller: bool = True) -> JSON:
    meta = owner["metadata"]
    return {
        "apiVersion": owner["apiVersion"],
        "kind": owner["kind"],
        "name": meta["name"],
        "uid": meta["uid"],
        "controller": controller,
        "blockOwnerDeletion": True,
    }


def owner_keys(change: Change, kind: str, *, old_too: bool = False) -> list[str]:
    """The key of the ``kind`` object that controls what changed (and, with ``old_too``, the one that controlled
    it before the change, so an orphaned or adopted object reaches both owners)."""
    keys = []
    for obj in (change.obj, change.old) if old_too else (change.obj,):
        ref = controller_of(obj) if obj else None
        if ref and ref.get("kind") == kind:
            keys.append(f"{change.obj['metadata'].get('namespace')}/{ref['name']}")
    return keys


def controlled(store: Store, owner: JSON, resource: str) -> list[JSON]:
    """The objects of ``resource`` that ``owner`` controls."""
    uid = owner["metadata"]["uid"]
    return [
        obj
        for found, obj in store.dependents(uid)
        if found == resource and (controller_of(obj) or {}).get("uid") == uid
    ]


def pod_ready(pod: JSON) -> bool:
    return any(
        c.get("type") == "Ready" and c.get("status") == "True"
        for c in (pod.get("status") or {}).get("conditions") or []
    )


def ready_since(pod: JSON) -> float | None:
    for c in (pod.get("status") or {}).get("conditions") or []:
        if c.get("type") == "Ready" and c.get("status") == "True":
            return clock.parse_time(c.get("lastTransitionTime"))
    return None


def active(pod: JSON) -> bool:
    """Neither being deleted nor finished."""
    return not pod["metadata"].get("deletionTimestamp") and (pod.get("status") or {}).get("phase") not in (
        "Succeeded",
        "Failed",
    )


def transition_time(previous: Mapping[str, JSON], kind: str, status: str, stamp: str) -> Any:
    """A condition's ``lastTransitionTime``: the previous one's while its status stays, ``stamp`` when it
    changes."""
    before = previous.get(kind)
    if before and before.get("status") == status:
        return before.get("lastTransitionTime")
    return stamp


def conditions_by_type(obj: JSON) -> dict[str, JSON]:
    return {str(c.get("type")): c for c in (obj.get("status") or {}).get("conditions") or []}
