"""What every kind's strategy can do on writes (``Strategy``), and what it may ask of the server (``Admission``)."""

from __future__ import annotations

from typing import Any, Protocol

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
