"""What a failed Kubernetes request becomes: one :class:`KubeError` with the API's ``Status`` reason, message and
causes, and the rule for which failures are worth retrying (:attr:`KubeError.transient`)."""

from __future__ import annotations

from typing import Any

import orjson

# Statuses worth retrying: the API server or a webhook is busy, restarting or racing another writer (0: the
# request never got an answer).
TRANSIENT_STATUSES = frozenset({0, 408, 409, 429, 500, 502, 503, 504})
UNREACHABLE = "Unreachable"
_MESSAGE_LIMIT = 500  # characters of a body that is not a Status kept as the message (HTML error pages)


class KubeError(Exception):
    """A request the API refused or could not answer; ``status`` 0 means it was not reached at all."""

    def __init__(self, status: int, reason: str, message: str, causes: list[str] | None = None) -> None:
        self.status = status
        self.reason = reason
        self.message = message
        self.causes = causes or []
        super().__init__(f"{status} {reason}: {message}")

    @property
    def transient(self) -> bool:
        # A namespace being deleted refuses new objects for a moment; by the retry records says it is gone.
        terminating = "NamespaceTerminating" in self.causes or "being terminated" in self.message
        return self.status in TRANSIENT_STATUSES or terminating

    @classmethod
    def from_response(cls, status: int, body: bytes | str | None, http_reason: str | None = None) -> KubeError:
        """From an error answer: the ``Status`` object the API server sends, else the HTTP reason and the start of
        whatever else answered (a proxy's error page)."""
        text = body.decode(errors="replace") if isinstance(body, bytes) else body or ""
        status_object = _status_object(text)
        if status_object is not None:
            return cls.from_status(status, status_object, http_reason)
        return cls(status, http_reason or "Unknown", (text or http_reason or "")[:_MESSAGE_LIMIT])

    @classmethod
    def from_status(cls, status: int, status_object: dict[str, Any], http_reason: str | None = None) -> KubeError:
        """From a ``Status`` object: an error answer's body, or the object of a watch stream's ERROR event."""
        details = status_object.get("details")
        listed = details.get("causes") if isinstance(details, dict) else None
        causes = [str(cause.get("reason")) for cause in listed or [] if isinstance(cause, dict)]
        return cls(
            status,
            str(status_object.get("reason") or http_reason or ""),
            str(status_object.get("message") or ""),
            causes,
        )

    @classmethod
    def unreachable(cls, exc: BaseException) -> KubeError:
        """The connection failed or timed out: no status, always transient (the type only: no request content)."""
        return cls(0, UNREACHABLE, f"The Kubernetes API did not answer: {type(exc).__name__}")


def _status_object(text: str) -> dict[str, Any] | None:
    try:
        parsed = orjson.loads(text) if text else None
    except orjson.JSONDecodeError:
        return None
    return parsed if isinstance(parsed, dict) and parsed.get("kind") == "Status" else None
