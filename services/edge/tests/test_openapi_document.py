"""The edge's OpenAPI document describes every operation fully: a new route without a documented body or
answer fails here (tests/fuzz/test_openapi.py then holds the running edge to the document)."""

from __future__ import annotations

from typing import Any

import pytest

from oneclick_edge.app import create_app
from oneclick_edge.context import EdgeContext
from oneclick_edge.openapi import ERROR_DESCRIPTIONS, HTML_PAGES
from oneclick_edge.settings import EdgeSettings

Operation = tuple[str, str, dict[str, Any]]


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return create_app(EdgeContext(settings=EdgeSettings(), rpc=None, instance="doc", version="0")).openapi()


def _operations(document: dict[str, Any]) -> list[Operation]:
    return [(method, path, operation) for path, item in document["paths"].items() for method, operation in item.items()]


def test_every_error_is_documented_in_pocketbase_shape(document: dict[str, Any]) -> None:
    assert "HTTPValidationError" not in document["components"]["schemas"]
    for method, path, operation in _operations(document):
        responses = operation["responses"]
        assert "422" not in responses, (method, path)  # validation errors are PocketBase 400s
        for status in ERROR_DESCRIPTIONS:
            if status == "400" and (method, path) in HTML_PAGES:
                assert "text/html" in responses[status]["content"]
                continue
            schema = responses[status]["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/PocketBaseError"}, (method, path, status)
    error = document["components"]["schemas"]["PocketBaseError"]
    assert error["required"] == ["status", "message", "data"]


def test_every_body_a_handler_reads_is_documented(document: dict[str, Any]) -> None:
    without_body = {
        ("post", "/api/collections/{collection}/auth-refresh"),
        ("post", "/api/collections/{collection}/auth-logout-all"),
        ("post", "/pb/blueprints/shared/{blueprint_id}"),
        ("post", "/auto-update/{auto_update_id}"),
        ("post", "/auto-update/{auto_update_id}/webhook-secret"),
        ("post", "/api/oauth2-redirect"),
    }
    for method, path, operation in _operations(document):
        if method in ("post", "patch", "put") and (method, path) not in without_body:
            assert "requestBody" in operation, (method, path)


def test_every_answer_has_a_shape(document: dict[str, Any]) -> None:
    for method, path, operation in _operations(document):
        success = [code for code in operation["responses"] if code.startswith("2")]
        assert len(success) == 1, (method, path)
        answer = operation["responses"][success[0]]
        if success[0] == "204":
            assert not answer.get("content"), (method, path)
            continue
        for media_type, content in answer["content"].items():
            assert content["schema"], (method, path, media_type)  # never the empty "anything" schema


def test_one_click_views_are_described_by_their_models(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    assert set(schemas["MetricsView"]["properties"]) == {"metrics"}
    assert set(schemas["PodMetrics"]["properties"]) == {"name", "cpu", "memory"}
    assert set(schemas["Event"]["properties"]) == {"reason", "message", "typus"}
    assert {"podNames", "replicas", "resources", "status"} <= set(schemas["DeploymentStatus"]["properties"])
    status = document["paths"]["/rollouts/{project_id}/{ref_id}/status"]["get"]["responses"]["200"]
    assert status["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/RolloutStatus"}
