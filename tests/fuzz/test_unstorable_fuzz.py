"""Hypothesis sends characters PostgreSQL cannot store (NUL, lone UTF-16 surrogates) to every operation of the
edge's OpenAPI document, signed in as a user, against the real platform: in a path parameter, a query parameter,
a JSON field at any depth (value or key), or a form field (urlencoded, multipart value, uploaded file name, the
SDK's ``@jsonPayload``). Every answer is a 400 naming the field that holds them; a 5xx fails at once.

A URL can only carry a NUL (``%00``): a surrogate has no UTF-8 form to percent-encode, and a server decodes
invalid UTF-8 into replacement characters, which PostgreSQL stores. JSON carries both as escapes, and so do
multipart forms through ``@jsonPayload``. Bounded and derandomized: a fixed number of examples per operation.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field as default
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, Phase, event, given, settings
from hypothesis import strategies as st

from oneclick_core.storable import INVALID_CHARACTERS
from oneclick_edge.app import create_app
from oneclick_edge.context import EdgeContext
from oneclick_edge.settings import EdgeSettings
from oneclick_testing.platform import Platform, User
from oneclick_testing.records import create

EXAMPLES = 10
DOCUMENT = create_app(
    EdgeContext(
        settings=EdgeSettings(),
        rpc=None,
        instance="fuzz",  # type: ignore[arg-type]
        version="0",
    )
).openapi()
OPERATIONS = [(method.upper(), path) for path, item in DOCUMENT["paths"].items() for method in item]
BODY_METHODS = {"POST", "PUT", "PATCH"}
LIST_PARAMETERS = ["page", "perPage", "sort", "filter", "expand", "fields", "skipTotal", "token"]
FIELD_NAMES = [
    "name",
    "description",
    "tags",
    "manifest",
    "project",
    "deployment",
    "identity",
    "password",
    "email",
    "token",
    "clientId",
    "subscriptions",
    "createData",
    "code",
    "state",
    "users+",
]

NAMES = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCXYZ_-+", min_size=1, max_size=10)
# Storable text around the refused character: any character but NUL and surrogates, "/" and "." left out of
# path parameters (a decoded "/" or ".." would make another path, not a refused parameter).
STORABLE = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=12)
SEGMENT = st.text(st.characters(exclude_categories=["Cs", "Cc"], exclude_characters="/."), max_size=8)
REFUSED = st.sampled_from(["\x00", "\ud800", "\udbff", "\udc00", "\udfff"])
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | STORABLE,
    lambda inner: st.lists(inner, max_size=2) | st.dictionaries(NAMES, inner, max_size=2),
    max_leaves=4,
)


def _operation(method: str, path: str) -> dict[str, Any]:
    operation: dict[str, Any] = DOCUMENT["paths"][path][method.lower()]
    return operation


def _parameters(method: str, path: str, where: str) -> list[str]:
    return [p["name"] for p in _operation(method, path).get("parameters", []) if p["in"] == where]


def _body_fields(method: str, path: str) -> list[str]:
    content = (_operation(method, path).get("requestBody") or {}).get("content", {})
    fields = {name for media in content.values() for name in (media.get("schema") or {}).get("properties", {})}
    return sorted(fields) or FIELD_NAMES


@dataclass
class Probe:
    """One request with refused characters in one place, and the name the edge's error must give that place."""

    field: str
    url: str
    query: list[tuple[str, str]] = default(default_factory=list)
    content: bytes | None = None
    headers: dict[str, str] = default(default_factory=dict)


def _nested(data: st.DataObject, bad: str) -> tuple[Any, str]:
    """A JSON value holding ``bad`` one to three levels deep (as a value, or as a key), and its dotted path."""
    steps = data.draw(st.lists(NAMES | st.integers(0, 2), min_size=1, max_size=3), label="json path")
    if not isinstance(steps[0], str):
        steps[0] = "field"  # the body is an object
    as_key = data.draw(st.booleans(), label="in a key")
    value: Any = {f"k{bad}": "v"} if as_key else f"{data.draw(STORABLE)}{bad}{data.draw(STORABLE)}"
    for step in reversed(steps):
        value = ["ok"] * step + [value] if isinstance(step, int) else {step: value}
    return value, ".".join(str(step) for step in steps) + (".k\ufffd" if as_key else "")


def _probes(method: str, path: str, ids: dict[str, str]) -> st.SearchStrategy[Probe]:
    path_names = _parameters(method, path, "path")
    kinds = (
        (["path"] if path_names else [])
        + ["query"]
        + (["json", "urlencoded", "multipart"] if method in BODY_METHODS else [])
    )

    @st.composite
    def probe(draw: st.DrawFn) -> Probe:
        data = draw(st.data())
        kind = data.draw(st.sampled_from(kinds), label="where")
        event(kind)
        target = data.draw(st.sampled_from(path_names), label="path parameter") if kind == "path" else None
        url = path
        for name in path_names:
            value = quote(data.draw(SEGMENT) + "\x00" + data.draw(SEGMENT), safe="") if name == target else ids[name]
            url = url.replace("{" + name + "}", value)
        extra = data.draw(
            st.lists(
                st.tuples(st.sampled_from(_parameters(method, path, "query") + LIST_PARAMETERS), SEGMENT), max_size=2
            ),
            label="clean query",
        )
        if kind == "path":
            assert target is not None
            return Probe(target, url, extra)
        if kind == "query":
            name = data.draw(
                st.sampled_from(_parameters(method, path, "query") + LIST_PARAMETERS) | NAMES, label="query parameter"
            )
            return Probe(name, url, [*extra, (name, data.draw(SEGMENT) + "\x00" + data.draw(SEGMENT))])
        clean = data.draw(
            st.dictionaries(st.sampled_from(_body_fields(method, path)), JSON_VALUES, max_size=3), label="clean fields"
        )
        bad = data.draw(REFUSED, label="character")
        if kind == "json" or (kind == "multipart" and bad != "\x00"):
            value, name = _nested(data, bad)
            body = {**{k: v for k, v in clean.items() if k != name.split(".")[0]}, **value}
            if kind == "json":
                return Probe(name, url, extra, json.dumps(body).encode(), {"Content-Type": "application/json"})
            # The SDK's multipart form: a file part, and every other field in @jsonPayload.
            request = httpx.Request(
                "POST",
                "http://edge",
                data={"@jsonPayload": json.dumps(body)},
                files={"avatar": ("a.png", b"\x89PNG\x00\x00")},
            )
            return Probe(name, url, extra, request.read(), {"Content-Type": request.headers["content-type"]})
        name = data.draw(st.sampled_from(_body_fields(method, path)), label="form field")
        text = data.draw(STORABLE) + "\x00" + data.draw(STORABLE)
        fields = {k: json.dumps(v) if not isinstance(v, str) else v for k, v in clean.items() if k != name}
        if kind == "urlencoded":
            encoded = httpx.QueryParams({**fields, name: text})
            return Probe(name, url, extra, str(encoded).encode(), {"Content-Type": "application/x-www-form-urlencoded"})
        boundary = "fuzzed-boundary"
        parts = [(f'name="{k}"', v.encode("utf-8", "surrogatepass")) for k, v in fields.items()]
        # A NUL in a value or in an uploaded file's name: raw bytes, as a hostile client may send them.
        in_file_name = data.draw(st.booleans(), label="in a file name")
        parts.append(
            (f'name="{name}"; filename="{text}"', b"\x89PNG") if in_file_name else (f'name="{name}"', text.encode())
        )
        body_bytes = (
            b"".join(
                f"--{boundary}\r\nContent-Disposition: form-data; {disposition}\r\n\r\n".encode() + content + b"\r\n"
                for disposition, content in parts
            )
            + f"--{boundary}--\r\n".encode()
        )
        return Probe(name, url, extra, body_bytes, {"Content-Type": f"multipart/form-data; boundary={boundary}"})

    return probe()


@pytest.fixture(scope="module")
async def ids(user: User) -> dict[str, str]:
    """Path parameters of the fuzzer's own records, so that only the refused characters are wrong."""
    blueprint = (await user.client.get("/api/collections/blueprints/records")).json()["items"][0]["id"]
    project = (await create(user, "projects", name="fuzzed-characters"))["id"]
    deployment = (await create(user, "deployments", name="web", project=project))["id"]
    auto_update = (await create(user, "autoUpdates", project=project, deployment=deployment, interval="1h"))["id"]
    return {
        "project_id": project,
        "ref_id": deployment,
        "blueprint_id": blueprint,
        "auto_update_id": auto_update,
        "pod_name": f"{deployment}-0",
        "job_name": "cleanup-1",
        "filename": "avatar.png",
        "collection": "projects",
        "record_id": project,
    }


@pytest.fixture(scope="module")
def http(platform: Platform, user: User) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=platform.url, headers={"Authorization": user.token}, timeout=10) as client:
        yield client


def test_every_operation_is_probed() -> None:
    assert len(OPERATIONS) >= 35
    assert ("GET", "/api/collections/{collection}/records/{record_id}") in OPERATIONS


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[" ".join(op) for op in OPERATIONS])
def test_refused_characters_anywhere_are_a_400_naming_the_field(
    http: httpx.Client, ids: dict[str, str], method: str, path: str
) -> None:
    @given(probe=_probes(method, path, ids))
    # No shrinking: a request the edge let through may wait for a service, or for the realtime stream to end,
    # and every example already names its one place.
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    def send(probe: Probe) -> None:
        response = http.request(
            method, probe.url, params=tuple(probe.query), content=probe.content, headers=probe.headers
        )
        assert response.status_code < 500, response.text
        assert response.status_code == 400, (probe, response.text)
        error = response.json()
        assert set(error) == {"status", "message", "data"}
        assert probe.field in error["data"], (probe, error)
        assert error["data"][probe.field]["code"] == INVALID_CHARACTERS

    send()
