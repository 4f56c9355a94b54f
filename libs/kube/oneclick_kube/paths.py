"""REST paths of the Kubernetes API: the core group under ``/api``, every other group under ``/apis``."""

from __future__ import annotations

from oneclick_core.kinds import ObjectType


def resource_path(
    kind: ObjectType, namespace: str | None = None, name: str | None = None, subresource: str | None = None
) -> str:
    """The collection of ``kind`` (``name`` None), in ``namespace`` or cluster-wide (None), or one object, or one
    of its subresources (``log`` of a pod)."""
    path = f"/apis/{kind.api_version}" if kind.group else f"/api/{kind.api_version}"
    if namespace is not None:
        path += f"/namespaces/{namespace}"
    path += f"/{kind.plural}"
    if name is not None:
        path += f"/{name}"
        if subresource is not None:
            path += f"/{subresource}"
    return path
