"""The records service's RPC methods and the record events it publishes.

Records travel as PocketBase-shaped JSON objects (``id``, ``collectionId``, ``collectionName``, ``created``,
``updated``, the collection's fields, optional ``expand``) so the edge hands them to PocketBase SDK clients
unchanged. Every request names the ``actor`` the edge authenticated; records enforces the collection's
access rules itself.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from oneclick_core.contracts.auth import Actor, FileContent, FileUpload
from oneclick_core.contracts.envelope import EventSpec
from oneclick_core.contracts.rpc import RpcMethod
from oneclick_core.tenancy import TenancyPolicy

SERVICE = "records"

CollectionName = Literal["projects", "deployments", "rollouts", "blueprints", "autoUpdates"]
COLLECTIONS: tuple[str, ...] = ("projects", "deployments", "rollouts", "blueprints", "autoUpdates")
# PocketBase collection ids ("collectionId" of every record); clients may name a collection either way.
COLLECTION_IDS: dict[str, str] = {
    "projects": "pbc_1687431684",
    "blueprints": "pbc_2256478513",
    "deployments": "pbc_3400474493",
    "rollouts": "pbc_1226577366",
    "autoUpdates": "pbc_2823390398",
}


def collection_name(name_or_id: str) -> str | None:
    if name_or_id in COLLECTION_IDS:
        return name_or_id
    return next((name for name, cid in COLLECTION_IDS.items() if cid == name_or_id), None)


JsonObject = dict[str, Any]


class ListRequest(BaseModel):
    collection: str
    actor: Actor
    params: dict[str, str] = Field(
        default_factory=dict,
        description="The query string as sent (page, perPage, sort, filter, expand, fields, skipTotal); "
        "records parses it with PocketBase's rules.",
    )


class ListResult(BaseModel):
    page: int
    perPage: int
    totalItems: int = Field(description="-1 with skipTotal")
    totalPages: int = Field(description="-1 with skipTotal")
    items: list[JsonObject]


class ViewRequest(BaseModel):
    collection: str
    id: str
    actor: Actor
    expand: str = ""
    fields: str = ""


class RecordResult(BaseModel):
    record: JsonObject


class FileField(BaseModel):
    """An uploaded file for a file field (``avatar``) of a record."""

    field: str
    file: FileUpload


class CreateRequest(BaseModel):
    collection: str
    actor: Actor
    data: JsonObject = Field(default_factory=dict)
    files: list[FileField] = Field(default_factory=list)
    expand: str = ""
    fields: str = ""


class UpdateRequest(CreateRequest):
    id: str


class DeleteRequest(BaseModel):
    collection: str
    id: str
    actor: Actor


class Deleted(BaseModel):
    pass


class FileRequest(BaseModel):
    collection: str
    id: str
    filename: str
    actor: Actor


class BlueprintRequest(BaseModel):
    id: str
    actor: Actor


class DeploymentRef(BaseModel):
    """``id`` is a deployment id or the id of one of its rollouts (One-Click's endpoints take either)."""

    actor: Actor
    project: str
    id: str


class DeploymentAccess(BaseModel):
    """A deployment the actor may see, in the project the path named."""

    project: str
    deployment: str


class DeploymentStateRequest(BaseModel):
    deployment: str


class Owner(BaseModel):
    id: str
    username: str = ""
    name: str = ""


class RunningRollout(BaseModel):
    id: str
    manifest: JsonObject = Field(description="The full manifest, secret values included: never log or publish it.")
    startDate: str


class DeploymentState(BaseModel):
    """What the cluster should hold for one deployment right now (level-triggered reconciliation)."""

    deployment: str
    project: str | None = Field(None, description="None when the deployment no longer exists.")
    exists: bool
    projectExists: bool
    owner: Owner | None = None
    running: RunningRollout | None = Field(None, description="The rollout without endDate, if any.")
    policy: TenancyPolicy | None = Field(
        None,
        description="The project's tenancy policy (the platform's defaults with the project's limits); "
        "None when the project no longer exists.",
    )


class ProjectPolicyRequest(BaseModel):
    project: str


class ProjectPolicy(BaseModel):
    """What a project's namespace should carry: its owner's labels and its tenancy policy's guardrails."""

    project: str
    exists: bool
    owner: Owner | None = None
    policy: TenancyPolicy | None = None


class TenancyRequest(BaseModel):
    actor: Actor


class ProjectLimitsView(BaseModel):
    id: str
    name: str
    limits: JsonObject


class TenancyView(BaseModel):
    """The tenancy policy in force (read-only; set by environment variables) and the projects a superuser gave
    limits of their own."""

    policy: TenancyPolicy
    registryAllowedNetworks: list[str]
    maxConnectionsPerUser: int
    projects: list[ProjectLimitsView]


class ProjectAccessRequest(BaseModel):
    actor: Actor
    project: str


class IndexRequest(BaseModel):
    """One page of the ids of every project or deployment, in id order (keyset paging: pass the last page's
    ``next`` as ``after``), so no message ever carries an unbounded list."""

    collection: Literal["projects", "deployments"]
    project: str = Field("", description="Deployments: only those of this project ('' for all).")
    after: str = Field("", description="Start after this id; '' for the first page.")
    limit: int = Field(500, ge=1, le=1000)


class IndexItem(BaseModel):
    id: str
    project: str | None = Field(None, description="Deployments: the project they belong to.")


class IndexPage(BaseModel):
    items: list[IndexItem]
    next: str | None = Field(None, description="The ``after`` of the next page; None on the last page.")


def _method(name: str, request: type[Any], response: type[Any], description: str) -> RpcMethod[Any, Any]:
    return RpcMethod(SERVICE, name, request, response, description)


LIST: RpcMethod[ListRequest, ListResult] = _method(
    "list", ListRequest, ListResult, "A page of a collection's records the actor may see (filter, sort, expand)."
)
VIEW: RpcMethod[ViewRequest, RecordResult] = _method(
    "view", ViewRequest, RecordResult, "One record the actor may see; 404 otherwise."
)
CREATE: RpcMethod[CreateRequest, RecordResult] = _method(
    "create", CreateRequest, RecordResult, "Create a record (with its files); 400 with per-field errors."
)
UPDATE: RpcMethod[UpdateRequest, RecordResult] = _method(
    "update", UpdateRequest, RecordResult, "Change a record (PATCH semantics, `field+`/`field-` modifiers)."
)
DELETE: RpcMethod[DeleteRequest, Deleted] = _method(
    "delete", DeleteRequest, Deleted, "Delete a record and what it owns (cascades)."
)
GET_FILE: RpcMethod[FileRequest, FileContent] = _method(
    "get_file", FileRequest, FileContent, "A file of a record the actor may see."
)
GET_BLUEPRINT: RpcMethod[BlueprintRequest, RecordResult] = _method(
    "get_blueprint", BlueprintRequest, RecordResult, "A blueprint the actor may see (GET /pb/blueprints/:id)."
)
SHARE_BLUEPRINT: RpcMethod[BlueprintRequest, RecordResult] = _method(
    "share_blueprint",
    BlueprintRequest,
    RecordResult,
    "Add the actor to a blueprint's users (idempotent; the owner gets it unchanged).",
)
LEAVE_BLUEPRINT: RpcMethod[BlueprintRequest, RecordResult] = _method(
    "leave_blueprint",
    BlueprintRequest,
    RecordResult,
    "Remove the actor from a blueprint's users (idempotent; 404 for a blueprint the actor may not see).",
)

DEPLOYMENT_ACCESS: RpcMethod[DeploymentRef, DeploymentAccess] = _method(
    "deployment_access",
    DeploymentRef,
    DeploymentAccess,
    "Authorize a custom endpoint: the deployment (or rollout) must be the actor's and in that project; 404 otherwise.",
)
PROJECT_ACCESS: RpcMethod[ProjectAccessRequest, RecordResult] = _method(
    "project_access", ProjectAccessRequest, RecordResult, "The project if the actor may see it; 404 otherwise."
)
DEPLOYMENT_STATE: RpcMethod[DeploymentStateRequest, DeploymentState] = _method(
    "deployment_state",
    DeploymentStateRequest,
    DeploymentState,
    "Internal (executor): the deployment's running rollout with its full manifest, owner and project.",
)
PROJECT_POLICY: RpcMethod[ProjectPolicyRequest, ProjectPolicy] = _method(
    "project_policy",
    ProjectPolicyRequest,
    ProjectPolicy,
    "Internal (executor): a project's owner and tenancy policy, for its namespace's labels and guardrails.",
)
TENANCY: RpcMethod[TenancyRequest, TenancyView] = _method(
    "tenancy",
    TenancyRequest,
    TenancyView,
    "The tenancy policy in force and the projects with limits of their own (superusers only; 403 otherwise).",
)
INDEX: RpcMethod[IndexRequest, IndexPage] = _method(
    "index",
    IndexRequest,
    IndexPage,
    "Internal (executor resync): a page of the ids of every project, or of every deployment with its project.",
)

RECORDS_RPC: tuple[RpcMethod[Any, Any], ...] = (
    LIST,
    VIEW,
    CREATE,
    UPDATE,
    DELETE,
    GET_FILE,
    GET_BLUEPRINT,
    SHARE_BLUEPRINT,
    LEAVE_BLUEPRINT,
    DEPLOYMENT_ACCESS,
    PROJECT_ACCESS,
    DEPLOYMENT_STATE,
    PROJECT_POLICY,
    TENANCY,
    INDEX,
)


# -- events -----------------------------------------------------------------------------------------------


class Audience(BaseModel):
    """Who may see the record, so every edge replica can filter realtime messages without asking records."""

    owner: str | None = Field(None, description="The owning user's id.")
    users: list[str] = Field(default_factory=list, description="Users it is shared with (blueprints).")
    public: bool = Field(False, description="Visible to every signed-in user (non-private blueprints).")

    def admits(self, actor: Actor) -> bool:
        return actor.is_superuser or self.public or actor.id == self.owner or actor.id in self.users


def seen_by(collection: str, record: JsonObject, actor: Actor) -> JsonObject:
    """``record`` as ``actor`` may read it. A blueprint's ``users`` (whom it is shared with) are its owner's to
    know: anyone else finds at most their own id there. Records applies this to every answer, and edges to
    what they push from events, which keep the whole list (their audience needs it)."""
    if collection != "blueprints" or actor.is_superuser or record.get("owner") == actor.id:
        return record
    users = record.get("users")
    if not isinstance(users, list):
        return record  # a projection without it (``fields``)
    return {**record, "users": [user for user in users if user == actor.id]}


class RecordChange(BaseModel):
    """A record was created, updated or deleted. Secret values in manifests are redacted."""

    collection: str
    action: Literal["create", "update", "delete"]
    record: JsonObject = Field(description="The record after the change (before it, for a delete).")
    changed: list[str] = Field(default_factory=list, description="Fields an update changed.")
    audience: Audience
    project: str | None = Field(None, description="The project the record belongs to, if any.")
    deployment: str | None = Field(None, description="The deployment the record belongs to, if any.")


# Aggregate names in subjects: one per collection (autoUpdates → autoupdate).
AGGREGATES: dict[str, str] = {
    "projects": "project",
    "deployments": "deployment",
    "rollouts": "rollout",
    "blueprints": "blueprint",
    "autoUpdates": "autoupdate",
}
VERBS: dict[str, str] = {"create": "created", "update": "updated", "delete": "deleted"}


def _event(collection: str, action: str) -> EventSpec[RecordChange]:
    aggregate = AGGREGATES[collection]
    return EventSpec(
        aggregate,
        VERBS[action],
        RecordChange,
        f"A {collection} record was {VERBS[action]}; `record` is PocketBase-shaped, secrets redacted.",
    )


RECORD_EVENTS: dict[tuple[str, str], EventSpec[RecordChange]] = {
    (collection, action): _event(collection, action) for collection in COLLECTIONS for action in VERBS
}


def record_event(collection: str, action: str) -> EventSpec[RecordChange]:
    return RECORD_EVENTS[(collection, action)]
