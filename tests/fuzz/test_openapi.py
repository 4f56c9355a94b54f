"""Schemathesis against the edge's own OpenAPI document (``/api/openapi.json``, fetched from the running edge),
signed in as a user, with a bounded, derandomized budget: never a 5xx, answers match what the document says,
and every error is in PocketBase's shape with per-field errors as ``{code, message}``.

One test per operation of the document. The document (``oneclick_edge/openapi.py``) declares each
operation's PocketBase-shaped errors, the bodies handlers parse and the shapes they answer. On top of what
schemathesis generates from it, path parameters are often swapped for ids of the fuzzer's own records (so
requests get past the 404s into the services), and record routes get arbitrary JSON bodies and PocketBase
list parameters. Changes to one's own account (which may revoke the token) are made as a user of their own,
so the fuzzer's token stays valid. Left out: the realtime SSE connection (it never ends) and
``auth-logout-all`` (it revokes the caller's tokens; the isolation matrix covers it).

(schemathesis' own pytest loader, ``from_fixture``, does not run on pytest 9; hypothesis drives each
operation's strategy here instead.)
"""

from __future__ import annotations

import orjson
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import content_type_conformance, not_a_server_error, response_schema_conformance

from oneclick_edge.app import create_app
from oneclick_edge.context import EdgeContext
from oneclick_edge.settings import EdgeSettings
from oneclick_testing.platform import Platform, User
from oneclick_testing.records import create

# Examples per operation: enough to walk every operation's parameters, small enough for CI.
EXAMPLES = 15
LEFT_OUT = {("GET", "/api/realtime"), ("POST", "/api/collections/{collection}/auth-logout-all")}
COLLECTIONS = [
    "projects",
    "deployments",
    "rollouts",
    "autoUpdates",
    "blueprints",
    "users",
    "_superusers",
    "_pb_users_auth_",
    "pbc_1687431684",
]
FIELDS = [
    "name",
    "description",
    "tags",
    "project",
    "deployment",
    "blueprint",
    "manifest",
    "hide",
    "startDate",
    "endDate",
    "interval",
    "pattern",
    "policy",
    "private",
    "owner",
    "user",
    "users",
    "users+",
    "users-",
    "avatar",
    "email",
    "password",
    "passwordConfirm",
    "oldPassword",
    "identity",
    "token",
    "clientId",
    "subscriptions",
    "id",
    "created",
    "expand",
]
ONE_SELF = "/api/collections/users/records/{record_id}"
LIST_PARAMETERS = ["page", "perPage", "sort", "filter", "expand", "fields", "skipTotal"]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=12), inner, max_size=3),
    max_leaves=10,
)


def _operations() -> list[tuple[str, str]]:
    """(method, path) of every operation in the document the edge serves (built here to name the tests)."""
    document = create_app(EdgeContext(settings=EdgeSettings(), rpc=None, instance="fuzz", version="0")).openapi()
    found = [(method.upper(), path) for path, item in document["paths"].items() for method in item]
    return [operation for operation in found if operation not in LEFT_OUT]


@pytest.fixture(scope="module")
def api_schema(platform: Platform) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_url(f"{platform.url}/api/openapi.json")


@pytest.fixture
async def known(user: User) -> list[dict[str, str]]:
    """Path parameters that exist together: the fuzzer's own records, one binding per collection (new for each
    operation: the fuzzed DELETEs remove them)."""
    blueprint = (await user.client.get("/api/collections/blueprints/records")).json()["items"][0]["id"]
    manifest = (await user.client.get(f"/pb/blueprints/{blueprint}")).json()["manifest"]
    project = (await create(user, "projects", name="fuzzed"))["id"]
    deployment = (await create(user, "deployments", name="web", project=project))["id"]
    rollout = (await create(user, "rollouts", project=project, deployment=deployment, manifest=manifest))["id"]
    auto_update = (await create(user, "autoUpdates", project=project, deployment=deployment, interval="1h"))["id"]
    common = {
        "project_id": project,
        "ref_id": deployment,
        "blueprint_id": blueprint,
        "auto_update_id": auto_update,
        "pod_name": f"{deployment}-0",
        "job_name": "cleanup-1",
        "filename": "avatar.png",
    }
    records = {
        "projects": project,
        "deployments": deployment,
        "rollouts": rollout,
        "autoUpdates": auto_update,
        "blueprints": blueprint,
        "users": user.id,
    }
    return [{**common, "collection": collection, "record_id": record} for collection, record in records.items()]


def _error_shape(status: int, body: bytes) -> None:
    error = orjson.loads(body)
    assert set(error) == {"status", "message", "data"}, error
    assert error["status"] == status
    assert isinstance(error["message"], str)
    assert error["message"]
    for field, problem in error["data"].items():
        if isinstance(problem, dict) and "code" in problem:
            assert set(problem) == {"code", "message"}, (field, problem)


@pytest.fixture
async def account_owner(platform: Platform) -> User:
    """Whose own account PATCH and DELETE of ``users/{id}`` change (they may revoke its tokens or delete it)."""
    return await platform.new_user("account")


@pytest.mark.parametrize(("method", "path"), _operations(), ids=[" ".join(op) for op in _operations()])
def test_the_edge_never_answers_5xx_and_keeps_to_its_document(
    api_schema: schemathesis.BaseSchema,
    user: User,
    account_owner: User,
    known: list[dict[str, str]],
    method: str,
    path: str,
) -> None:
    operation = api_schema[path][method]
    records_route = path.startswith("/api/collections/") and "/records" in path

    @given(case=operation.as_strategy(), data=st.data())
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    def call(case: schemathesis.Case, data: st.DataObject) -> None:
        binding = data.draw(st.sampled_from([*known, None]), label="existing records")
        own_account = method in ("PATCH", "DELETE") and (
            path == ONE_SELF or (binding is not None and binding["collection"] == "users")
        )
        caller = account_owner if own_account else user
        if binding is not None and case.path_parameters:
            bound = {**binding, "record_id": caller.id} if binding["collection"] == "users" else binding
            case.path_parameters.update({name: bound[name] for name in case.path_parameters if name in bound})
        if records_route and method in ("POST", "PATCH") and case.body is None:
            case.body = data.draw(st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=5), label="body")
            case.media_type = "application/json"
        if records_route and method == "GET":
            extra = data.draw(
                st.dictionaries(st.sampled_from(LIST_PARAMETERS), st.text(max_size=20), max_size=3), label="query"
            )
            case.query = {**(case.query or {}), **extra}
        response = case.call_and_validate(
            headers={"Authorization": caller.token},
            timeout=30,
            checks=[not_a_server_error, response_schema_conformance, content_type_conformance],
        )
        if response.status_code >= 400 and response.headers.get("content-type", [""])[0].startswith("application/json"):
            _error_shape(response.status_code, response.content)

    call()
