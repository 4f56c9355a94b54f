"""How a failed request becomes a KubeError: the API's Status (reason, message, causes), what else may answer,
and which failures are worth retrying."""

from __future__ import annotations

import json

import pytest

from oneclick_kube.errors import KubeError


def _status(status: int, reason: str, message: str, **extra: object) -> bytes:
    return json.dumps(
        {
            "kind": "Status",
            "apiVersion": "v1",
            "status": "Failure",
            "message": message,
            "reason": reason,
            "code": status,
            **extra,
        }
    ).encode()


@pytest.mark.parametrize(
    ("status", "reason", "message", "transient"),
    [
        (422, "Invalid", 'PersistentVolumeClaim "x" is invalid: spec: Forbidden: spec is immutable', False),
        (403, "Forbidden", "quota exceeded", False),
        (403, "Forbidden", "unable to create new content in namespace p because it is being terminated", True),
        (404, "NotFound", 'pods "x" not found', False),
        (409, "Conflict", "the object has been modified", True),
        (429, "TooManyRequests", "slow down", True),
        (500, "InternalError", "etcd leader changed", True),
        (503, "ServiceUnavailable", "webhook unavailable", True),
    ],
)
def test_api_failures_are_classified_from_the_status_body(
    status: int, reason: str, message: str, transient: bool
) -> None:
    error = KubeError.from_response(status, _status(status, reason, message), "Reason")
    assert (error.status, error.reason, error.message) == (status, reason, message)
    assert error.transient is transient


def test_a_terminating_namespace_is_recognised_by_its_cause_too() -> None:
    error = KubeError.from_response(
        403,
        _status(
            403,
            "Forbidden",
            "forbidden",
            details={"causes": [{"reason": "NamespaceTerminating", "message": "namespace p is terminating"}]},
        ),
    )
    assert error.causes == ["NamespaceTerminating"]
    assert error.transient


def test_a_status_without_a_reason_keeps_the_http_reason() -> None:
    error = KubeError.from_response(400, json.dumps({"kind": "Status", "message": "bad"}), "Bad Request")
    assert (error.reason, error.message) == ("Bad Request", "bad")


def test_an_unreadable_body_keeps_the_http_reason_and_the_start_of_the_body() -> None:
    error = KubeError.from_response(502, b"<html>proxy error</html>" + b"x" * 1000, "Bad Gateway")
    assert (error.status, error.reason) == (502, "Bad Gateway")
    assert error.message.startswith("<html>proxy error</html>")
    assert len(error.message) == 500
    assert error.transient


@pytest.mark.parametrize("body", [None, b"", "[1]", b'{"kind": "Pod"}'])
def test_a_body_that_is_no_status_is_not_read_as_one(body: bytes | str | None) -> None:
    error = KubeError.from_response(500, body, None)
    assert error.reason == "Unknown"
    assert error.causes == []


def test_a_watch_error_event_is_read_like_a_status_answer() -> None:
    error = KubeError.from_status(410, {"kind": "Status", "reason": "Expired", "code": 410, "message": "too old"})
    assert (error.status, error.reason, error.message) == (410, "Expired", "too old")
    assert not error.transient


def test_an_unanswered_request_is_transient_and_names_only_the_failure() -> None:
    error = KubeError.unreachable(TimeoutError("secret-looking detail"))
    assert (error.status, error.reason) == (0, "Unreachable")
    assert "TimeoutError" in error.message
    assert "secret-looking" not in error.message
    assert error.transient
