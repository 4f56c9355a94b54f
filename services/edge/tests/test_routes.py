"""The edge's routes as grouped in apis/: which service answers a path, and what the shared handlers send on.

The app is the real one with a recording RPC client in place of NATS (each call names the service method the
route chose, then fails with a 404) and the caller given by overriding the authentication dependencies, so
these run without any service.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from pydantic import BaseModel

from oneclick_core.bus.rpc import RpcClient
from oneclick_core.contracts.auth import CREATE_USER, DELETE_USER, GET_AVATAR, GET_USER, UPDATE_USER
from oneclick_core.contracts.executor import DELETE_JOB, DELETE_POD, ActionDone, JobRef, PodRef
from oneclick_core.contracts.records import (
    CREATE,
    DELETE,
    GET_FILE,
    PROJECT_ACCESS,
    UPDATE,
    VIEW,
    ProjectAccessRequest,
    RecordResult,
)
from oneclick_core.contracts.rpc import RpcMethod
from oneclick_core.contracts.updater import WEBHOOK_SECRET, WebhookSecret, WebhookSecretRequest
from oneclick_core.errors import ApiError
from oneclick_edge.apis import router_of
from oneclick_edge.apis.auth.collections import auth_collection
from oneclick_edge.app import create_app
from oneclick_edge.authenticator import Principal
from oneclick_edge.context import EdgeContext
from oneclick_edge.dependencies import browser_auth, require_auth
from oneclick_edge.settings import EdgeSettings

ALICE = Principal(id="alice0000000000", collection="users", token="t")


@dataclass
class Recorder(RpcClient):
    """Answers the methods in ``answers``; any other call is recorded and refused with a 404."""

    answers: Mapping[str, BaseModel] = field(default_factory=dict)
    calls: list[tuple[str, BaseModel]] = field(default_factory=list)

    async def call(
        self, method: RpcMethod[Any, Any], request: Any, *, timeout: float | None = None, request_id: str | None = None
    ) -> Any:
        self.calls.append((method.subject, request))
        if method.subject in self.answers:
            return self.answers[method.subject]
        raise ApiError.not_found()


def edge(rpc: Recorder) -> FastAPI:
    app = create_app(EdgeContext(settings=EdgeSettings(), rpc=rpc, instance="routes", version="0"))
    for dependency in (require_auth, browser_auth):
        app.dependency_overrides[dependency] = lambda: ALICE
    return app


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
async def client(recorder: Recorder) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=edge(recorder)), base_url="http://edge") as http:
        yield http


# The literal users-collection paths (auth) come before records' generic /api/collections/{collection}/... ones.
@pytest.mark.parametrize(
    ("method", "path", "answered_by"),
    [
        ("POST", "/api/collections/users/records", CREATE_USER),
        ("POST", "/api/collections/_pb_users_auth_/records", CREATE_USER),
        ("POST", "/api/collections/projects/records", CREATE),
        ("GET", "/api/collections/users/records/u1", GET_USER),
        ("GET", "/api/collections/projects/records/p1", VIEW),
        ("PATCH", "/api/collections/users/records/u1", UPDATE_USER),
        ("PATCH", "/api/collections/projects/records/p1", UPDATE),
        ("DELETE", "/api/collections/users/records/u1", DELETE_USER),
        ("DELETE", "/api/collections/projects/records/p1", DELETE),
        ("GET", "/api/files/users/u1/a.png", GET_AVATAR),
        ("GET", "/api/files/projects/p1/a.png", GET_FILE),
    ],
)
async def test_the_users_collection_goes_to_auth_every_other_to_records(
    client: httpx.AsyncClient, recorder: Recorder, method: str, path: str, answered_by: RpcMethod[Any, Any]
) -> None:
    body = b"{}" if method in ("POST", "PATCH") else None
    response = await client.request(method, path, content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 404
    assert [subject for subject, _ in recorder.calls] == [answered_by.subject]


@pytest.mark.parametrize(
    ("path", "kind", "ref"),
    [
        ("/rollouts/p1/web-1", DELETE_POD, PodRef(project="p1", pod="web-1")),
        ("/pb/p1/pod/web-1", DELETE_POD, PodRef(project="p1", pod="web-1")),
        ("/pb/p1/job/nightly-29", DELETE_JOB, JobRef(project="p1", job="nightly-29")),
    ],
)
async def test_a_pod_or_job_is_deleted_after_the_project_is_found_and_the_answer_is_a_bare_string(
    path: str, kind: RpcMethod[Any, ActionDone], ref: BaseModel
) -> None:
    recorder = Recorder(
        answers={PROJECT_ACCESS.subject: RecordResult(record={"id": "p1"}), kind.subject: ActionDone(message="Deleted")}
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=edge(recorder)), base_url="http://edge") as http:
        response = await http.delete(path)
    assert (response.status_code, response.json()) == (200, "Deleted")
    assert recorder.calls == [
        (PROJECT_ACCESS.subject, ProjectAccessRequest(actor=ALICE.actor, project="p1")),
        (kind.subject, ref),
    ]


@pytest.mark.parametrize("path", ["/rollouts/p1/web_1", "/pb/p1/pod/UPPER", "/pb/p1/job/-nightly"])
async def test_a_name_kubernetes_would_never_give_is_a_404_without_asking_the_executor(path: str) -> None:
    recorder = Recorder(answers={PROJECT_ACCESS.subject: RecordResult(record={"id": "p1"})})
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=edge(recorder)), base_url="http://edge") as http:
        response = await http.delete(path)
    assert response.status_code == 404
    assert [subject for subject, _ in recorder.calls] == [PROJECT_ACCESS.subject]


async def test_another_users_project_is_a_404_before_anything_is_deleted(
    client: httpx.AsyncClient, recorder: Recorder
) -> None:
    assert (await client.delete("/pb/p1/job/nightly-29")).status_code == 404
    assert [subject for subject, _ in recorder.calls] == [PROJECT_ACCESS.subject]


@pytest.mark.parametrize(("method", "rotate"), [("GET", False), ("POST", True)])
@pytest.mark.parametrize("prefix", ["", "/pb"])
async def test_the_webhook_secret_is_shown_or_rotated_and_never_cached(method: str, rotate: bool, prefix: str) -> None:
    secret = WebhookSecret(autoUpdate="au1", secret="ocwh_x", created="2024-01-01 00:00:00.000Z")
    recorder = Recorder(answers={WEBHOOK_SECRET.subject: secret})
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=edge(recorder)), base_url="http://edge") as http:
        response = await http.request(method, f"{prefix}/auto-update/au1/webhook-secret")
    assert (response.status_code, response.json()) == (200, secret.model_dump())
    assert response.headers["cache-control"] == "no-store"
    assert recorder.calls == [
        (WEBHOOK_SECRET.subject, WebhookSecretRequest(autoUpdate="au1", actor=ALICE.actor, rotate=rotate))
    ]


@dataclass
class Module:
    router: APIRouter


async def test_a_group_router_tries_its_modules_in_the_order_given() -> None:
    literal, generic = Module(APIRouter()), Module(APIRouter())
    literal.router.get("/things/special")(_answer("literal"))
    generic.router.get("/things/{name}")(_answer("generic"))
    app = FastAPI()
    app.include_router(router_of(literal, generic))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        assert (await http.get("/things/special")).json() == "literal"
        assert (await http.get("/things/other")).json() == "generic"


def _answer(text: str) -> Any:
    async def endpoint() -> str:
        return text

    return endpoint


@pytest.mark.parametrize(
    ("given", "collection"),
    [
        ("users", "users"),
        ("_pb_users_auth_", "users"),
        ("_superusers", "_superusers"),
        ("pbc_3142635823", "_superusers"),
    ],
)
def test_an_auth_collection_is_named_by_name_or_id(given: str, collection: str) -> None:
    assert auth_collection(given) == collection


@pytest.mark.parametrize("given", ["projects", "Users", "", "_pb_users_auth"])
def test_any_other_collection_has_no_auth_routes(given: str) -> None:
    with pytest.raises(ApiError) as refused:
        auth_collection(given)
    assert refused.value.status == 404
