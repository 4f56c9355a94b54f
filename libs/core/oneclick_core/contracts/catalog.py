"""Renders ``docs/events.md``: every event and RPC with its JSON Schema, for internal subscribers.

``oneclick catalog`` writes the file; a test fails when it no longer matches the models.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

from oneclick_core.contracts.auth import AUTH_METHODS_RPC
from oneclick_core.contracts.envelope import Envelope, EventSpec
from oneclick_core.contracts.events import EVENTS
from oneclick_core.contracts.executor import EXECUTOR_RPC
from oneclick_core.contracts.records import RECORDS_RPC
from oneclick_core.contracts.rpc import PING_METHODS, RpcMethod
from oneclick_core.contracts.streaming import STREAMING_RPC
from oneclick_core.contracts.updater import UPDATER_RPC


def all_rpc_methods() -> tuple[RpcMethod[Any, Any], ...]:
    return (*PING_METHODS, *AUTH_METHODS_RPC, *RECORDS_RPC, *EXECUTOR_RPC, *UPDATER_RPC, *STREAMING_RPC)


def _schema(model: type[BaseModel]) -> str:
    return json.dumps(model.model_json_schema(mode="serialization"), indent=2, sort_keys=True)


def _block(model: type[BaseModel]) -> list[str]:
    return ["```json", _schema(model), "```", ""]


def render_markdown(
    events: tuple[EventSpec[Any], ...] = EVENTS, methods: tuple[RpcMethod[Any, Any], ...] | None = None
) -> str:
    methods = all_rpc_methods() if methods is None else methods
    lines = [
        "# Event and RPC catalog",
        "",
        "Generated from the pydantic models in `libs/core/oneclick_core/contracts` by `oneclick catalog`;",
        "do not edit by hand (a test fails when this file and the models disagree).",
        "",
        "## Event envelope",
        "",
        "Every domain event is published to JetStream stream `ONECLICK_EVENTS` on",
        "`oneclick.events.<aggregate>.<verb>` with header `Nats-Msg-Id` = `id` (de-duplication),",
        "as this CloudEvents-named envelope; `data` follows the event's schema below.",
        "",
        *_block(Envelope),
        "## Events",
        "",
    ]
    if not events:
        lines += ["No domain events are published yet.", ""]
    for spec in sorted(events, key=lambda s: s.subject):
        lines += [f"### `{spec.type}`", "", f"Subject `{spec.subject}`. {spec.description}", "", *_block(spec.payload)]
    lines += [
        "## RPC methods",
        "",
        "Core NATS request/reply on `oneclick.rpc.<service>.<method>`, queue group = service name.",
        'A reply is `{"result": <response>}` or `{"error": {"status", "message", "data"}}` (PocketBase',
        "error shape; the edge returns it with that HTTP status). Headers: `traceparent`,",
        "`Oneclick-Request-Id`, `Oneclick-Caller`.",
        "",
    ]
    for method in sorted(methods, key=lambda m: m.subject):
        lines += [
            f"### `{method.subject}`",
            "",
            method.description,
            "",
            "Request:",
            "",
            *_block(method.request),
            "Response:",
            "",
            *_block(method.response),
        ]
    return "\n".join(lines).rstrip() + "\n"
