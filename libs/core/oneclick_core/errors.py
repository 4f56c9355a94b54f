"""Errors in PocketBase's shape: ``{"status": 400, "message": "...", "data": {"field": {"code", "message"}}}``.

Every service raises :class:`ApiError`; the RPC layer carries it as ``{"error": {...}}`` and the edge
turns it back into the HTTP status and body, so a client sees the same shape whichever service failed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

# PocketBase's default messages, so clients written against PocketBase read familiar text.
DEFAULT_MESSAGES: Mapping[int, str] = {
    400: "Something went wrong while processing your request.",
    401: "The request requires valid record authorization token.",
    403: "The authorized record is not allowed to perform this action.",
    404: "The requested resource wasn't found.",
    405: "Method not allowed.",
    409: "The request conflicts with the current state of the resource.",
    413: "Request entity too large.",
    429: "Too Many Requests.",
    500: "Something went wrong while processing your request.",
    503: "Service unavailable.",
    504: "The service did not answer in time.",
}


def field_error(code: str, message: str) -> dict[str, str]:
    return {"code": code, "message": message}


class ApiError(Exception):
    """An error with an HTTP status, a human message and per-field details."""

    def __init__(self, status: int, message: str | None = None, data: Mapping[str, Any] | None = None) -> None:
        self.status = status
        self.message = message or DEFAULT_MESSAGES.get(status, DEFAULT_MESSAGES[500])
        self.data: dict[str, Any] = dict(data or {})
        super().__init__(f"{self.status}: {self.message}")

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status, "message": self.message, "data": self.data}

    @classmethod
    def from_dict(cls, payload: Mapping[str, Any]) -> ApiError:
        status = payload.get("status")
        if not isinstance(status, int) or not 400 <= status <= 599:
            status = 500
        message = payload.get("message")
        data = payload.get("data")
        return cls(status, message if isinstance(message, str) else None, data if isinstance(data, dict) else None)

    @classmethod
    def bad_request(cls, message: str | None = None, data: Mapping[str, Any] | None = None) -> ApiError:
        return cls(400, message, data)

    @classmethod
    def unauthorized(cls, message: str | None = None) -> ApiError:
        return cls(401, message)

    @classmethod
    def forbidden(cls, message: str | None = None) -> ApiError:
        return cls(403, message)

    @classmethod
    def not_found(cls, message: str | None = None) -> ApiError:
        return cls(404, message)

    @classmethod
    def unavailable(cls, message: str | None = None, data: Mapping[str, Any] | None = None) -> ApiError:
        return cls(503, message, data)

    @classmethod
    def from_validation(cls, error: ValidationError, message: str | None = None) -> ApiError:
        return cls(
            400, message or "Failed to load the submitted data due to invalid formatting.", validation_data(error)
        )


def validation_data(error: ValidationError) -> dict[str, Any]:
    """Per-field errors from a pydantic error, keyed by dotted field path as PocketBase does."""
    data: dict[str, Any] = {}
    for item in error.errors(include_url=False):
        path = ".".join(str(part) for part in item["loc"]) or "body"
        # The first problem per field is the one PocketBase would report; later ones add noise.
        data.setdefault(path, field_error(f"validation_{item['type']}", item["msg"]))
    return data
