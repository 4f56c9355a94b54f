"""The event and RPC catalog internal subscribers read stays in step with the models."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel

from oneclick_core.contracts.catalog import all_rpc_methods, render_markdown
from oneclick_core.contracts.events import EVENTS
from oneclick_core.contracts.rpc import SERVICES
from oneclick_core.observability.logs import SENSITIVE_KEYS

CATALOG = Path(__file__).resolve().parents[3] / "docs" / "events.md"


def test_docs_events_md_matches_the_models() -> None:
    assert CATALOG.read_text() == render_markdown(), "docs/events.md is stale: run `make catalog`"


def test_every_service_answers_ping_in_the_catalog() -> None:
    subjects = {method.subject for method in all_rpc_methods()}
    assert {f"oneclick.rpc.{service}.ping" for service in SERVICES} <= subjects
    text = render_markdown()
    for subject in subjects:
        assert f"### `{subject}`" in text


def _field_names(model: type[BaseModel]) -> set[str]:
    names: set[str] = set()

    def walk(schema: dict[str, Any]) -> None:
        for name, sub in schema.get("properties", {}).items():
            names.add(name.lower())
            walk(sub)
        for sub in schema.get("$defs", {}).values():
            walk(sub)

    walk(model.model_json_schema())
    return names


def test_event_payloads_carry_no_field_named_like_a_secret() -> None:
    for spec in EVENTS:
        leaked = _field_names(spec.payload) & (SENSITIVE_KEYS - {"value"})
        assert not leaked, f"{spec.type} carries {leaked}; events must never carry secret values"


def test_subjects_and_types_follow_the_naming_contract() -> None:
    for spec in EVENTS:
        assert spec.subject == f"oneclick.events.{spec.aggregate}.{spec.verb}"
        assert spec.type == f"oneclick.{spec.aggregate}.{spec.verb}.v{spec.version}"
