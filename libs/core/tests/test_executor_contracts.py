"""The executor's pod and job references accept only names Kubernetes could have given, so no caller can build
a request whose API path climbs out of the project's pods or jobs."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ValidationError

from oneclick_core.contracts.executor import DELETE_JOB, DELETE_POD, JobRef, PodRef

REFS: list[tuple[type[BaseModel], str]] = [(PodRef, "pod"), (JobRef, "job")]


@pytest.mark.parametrize(("model", "field"), REFS)
@pytest.mark.parametrize("name", ["web-5d8f7c9b4-x2x7q", "cleanup-28901234-abcde", "a", "a.b-c", "9" * 253])
def test_kubernetes_names_are_accepted(model: type[BaseModel], field: str, name: str) -> None:
    assert getattr(model.model_validate({"project": "p", field: name}), field) == name


@pytest.mark.parametrize(("model", "field"), REFS)
@pytest.mark.parametrize(
    "name",
    [
        "..",
        ".",
        "",
        "%2E%2E",
        "../../other/pods/victim",
        "own-pod/../../x",
        "a/b",
        "a..b",
        ".a",
        "a.",
        "-a",
        "a-",
        "Web",
        "a_b",
        "a b",
        "a\n",
        "9" * 254,
    ],
)
def test_other_names_are_refused(model: type[BaseModel], field: str, name: str) -> None:
    with pytest.raises(ValidationError) as refused:
        model.model_validate({"project": "p", field: name})
    assert [error["loc"] for error in refused.value.errors()] == [(field,)]


def test_the_rpc_server_refuses_them_too() -> None:
    """It validates requests from their JSON, as they arrive over NATS."""
    for method, field in ((DELETE_POD, "pod"), (DELETE_JOB, "job")):
        with pytest.raises(ValidationError):
            method.request.model_validate_json(f'{{"project": "p", "{field}": ".."}}')
