"""Secret values never leave in events: redaction of parsed and raw manifests."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from oneclick_manifest.model import validate_manifest
from oneclick_manifest.redaction import REDACTED, redact_manifest

from .examples import FULL, NGINX

SECRET_VALUES = ("s3cr3t", "hunter2", "k-123", "pa55")


@pytest.mark.parametrize("source", ["raw", "parsed"])
def test_every_secret_value_is_redacted(source: str) -> None:
    given: Any = FULL if source == "raw" else validate_manifest(FULL)
    redacted = redact_manifest(given)
    text = json.dumps(redacted)
    for secret in SECRET_VALUES:
        assert secret not in text
    spec = redacted["spec"]
    assert spec["image"]["password"] == REDACTED
    assert [item["value"] for item in spec["secrets"]] == [REDACTED, REDACTED]
    assert spec["cronjobs"][1]["image"]["password"] == REDACTED


def test_everything_else_is_kept() -> None:
    redacted = redact_manifest(FULL)
    assert [item["name"] for item in redacted["spec"]["secrets"]] == ["DB_PASSWORD", "API_KEY"]
    assert redacted["spec"]["image"]["username"] == "bot"
    assert redacted["spec"]["env"] == FULL["spec"]["env"]
    unredacted = copy.deepcopy(redacted)
    unredacted["spec"]["image"]["password"] = FULL["spec"]["image"]["password"]
    unredacted["spec"]["secrets"] = FULL["spec"]["secrets"]
    unredacted["spec"]["cronjobs"][1]["image"]["password"] = FULL["spec"]["cronjobs"][1]["image"]["password"]
    assert unredacted == FULL


def test_the_input_is_not_modified() -> None:
    before = copy.deepcopy(FULL)
    redact_manifest(FULL)
    assert before == FULL


def test_empty_password_stays_empty() -> None:
    assert redact_manifest(NGINX)["spec"]["image"]["password"] == ""


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"spec": None},
        {"spec": "x"},
        {"spec": {"image": "x", "secrets": "y", "cronjobs": [1, {"image": None}]}},
    ],
)
def test_any_shape_is_tolerated(data: dict[str, Any]) -> None:
    assert redact_manifest(data) == data


def test_malformed_entries_are_skipped_and_the_rest_redacted() -> None:
    data = {"spec": {"secrets": [{"name": "A"}, "junk", {"name": "B", "value": "v"}]}}
    assert redact_manifest(data) == {"spec": {"secrets": [{"name": "A"}, "junk", {"name": "B", "value": REDACTED}]}}
