"""A change as viewers see it, and the frames the original One-Click sent for it.

The original marshalled Go maps, whose keys come out sorted; the frames here keep that order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import orjson

from oneclick_core.contracts.streaming import ChangeType

JSON = dict[str, Any]
Form = Literal["map", "event"]


@dataclass(eq=False)
class Change:
    kind: str  # One-Click's kind name (pod, pvc, event, ...)
    status: ChangeType
    object: JSON
    previous: JSON | None = None  # for MODIFIED: the object before, so filters see objects leave and enter
    _frames: dict[tuple[Form, str], str] = field(default_factory=dict, repr=False)

    @property
    def metadata(self) -> JSON:
        metadata = self.object.get("metadata")
        return metadata if isinstance(metadata, dict) else {}

    @property
    def labels(self) -> dict[str, str]:
        return _labels(self.object)

    @property
    def previous_labels(self) -> dict[str, str] | None:
        return None if self.previous is None else _labels(self.previous)

    @property
    def uid(self) -> str:
        return str(self.metadata.get("uid") or self.metadata.get("name") or "")

    def frame(self, form: Form, status: ChangeType | None = None) -> str:
        """The text frame, encoded once however many connections receive it."""
        status = status or self.status
        key = (form, status)
        found = self._frames.get(key)
        if found is None:
            found = self._frames[key] = orjson.dumps(self._body(form, status)).decode()
        return found

    def _body(self, form: Form, status: ChangeType) -> JSON:
        if form == "event":
            return {
                "message": self.object.get("message", ""),
                "reason": self.object.get("reason", ""),
                "typus": self.object.get("type", ""),
            }
        return {
            "kind": self.kind,
            "labels": self.metadata.get("labels"),
            "name": self.metadata.get("name", ""),
            "namespace": self.metadata.get("namespace", ""),
            "object": self.object,
            "status": status,
        }


def _labels(obj: JSON) -> dict[str, str]:
    labels = (obj.get("metadata") or {}).get("labels")
    return labels if isinstance(labels, dict) else {}
