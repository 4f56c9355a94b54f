"""RPC handlers: each opens a connection (and a transaction for writes) and calls the matching operation.

A write goes on to :mod:`~oneclick_records.changing` (the collection's hooks around the generic write); reads to
:mod:`~oneclick_records.querying`; the answer leaves as the actor may read it (``present``).
"""

from __future__ import annotations

import asyncpg

from oneclick_core.contracts import records as rpc
from oneclick_core.contracts.auth import FileContent
from oneclick_core.errors import ApiError
from oneclick_core.search.schema import Schema
from oneclick_records import changing
from oneclick_records.collections.blueprints import BLUEPRINTS, leave_blueprint, share_blueprint
from oneclick_records.collections.deployments import deployment_access
from oneclick_records.collections.projects import PROJECTS
from oneclick_records.declaring import UserDirectory
from oneclick_records.model import search_schema
from oneclick_records.querying import collection_named, file_of, list_records, present, view_record
from oneclick_records.reconciling import deployment_state, index_page, project_policy
from oneclick_records.tenancy import Tenancy


class RecordHandlers:
    def __init__(
        self, pool: asyncpg.Pool, users: UserDirectory, tenancy: Tenancy, schema: Schema | None = None
    ) -> None:
        self._pool = pool
        self._users = users
        self._tenancy = tenancy
        self._schema = schema or search_schema()

    async def list(self, request: rpc.ListRequest) -> rpc.ListResult:
        collection = collection_named(request.collection)
        async with self._pool.acquire() as conn:
            page = await list_records(conn, self._schema, collection, request.actor, request.params)
        return rpc.ListResult.model_validate(page)

    async def view(self, request: rpc.ViewRequest) -> rpc.RecordResult:
        collection = collection_named(request.collection)
        async with self._pool.acquire() as conn:
            record = await view_record(conn, collection, request.id, request.actor, request.expand, request.fields)
        return rpc.RecordResult(record=record)

    async def create(self, request: rpc.CreateRequest) -> rpc.RecordResult:
        collection = collection_named(request.collection)
        async with self._pool.acquire() as conn:
            async with conn.transaction():
                record = await changing.create(
                    conn,
                    collection,
                    request.actor,
                    request.data,
                    request.files,
                    users=self._users,
                    tenancy=self._tenancy,
                )
            return rpc.RecordResult(
                record=await present(conn, collection, record, request.actor, request.expand, request.fields)
            )

    async def update(self, request: rpc.UpdateRequest) -> rpc.RecordResult:
        collection = collection_named(request.collection)
        async with self._pool.acquire() as conn:
            async with conn.transaction():
                record = await changing.update(
                    conn,
                    collection,
                    request.id,
                    request.actor,
                    request.data,
                    request.files,
                    users=self._users,
                    tenancy=self._tenancy,
                )
            return rpc.RecordResult(
                record=await present(conn, collection, record, request.actor, request.expand, request.fields)
            )

    async def delete(self, request: rpc.DeleteRequest) -> rpc.Deleted:
        collection = collection_named(request.collection)
        async with self._pool.acquire() as conn, conn.transaction():
            await changing.delete(conn, collection, request.id, request.actor)
        return rpc.Deleted()

    async def get_file(self, request: rpc.FileRequest) -> FileContent:
        collection = collection_named(request.collection)
        async with self._pool.acquire() as conn:
            return await file_of(conn, collection, request.id, request.filename, request.actor)

    async def get_blueprint(self, request: rpc.BlueprintRequest) -> rpc.RecordResult:
        async with self._pool.acquire() as conn:
            record = await view_record(conn, BLUEPRINTS, request.id, request.actor)
        return rpc.RecordResult(record=record)

    async def share_blueprint(self, request: rpc.BlueprintRequest) -> rpc.RecordResult:
        if request.actor.is_superuser:
            raise ApiError.bad_request("Blueprints are shared with users, not superusers.")
        async with self._pool.acquire() as conn:
            async with conn.transaction():
                record = await share_blueprint(conn, request.id, request.actor)
            return rpc.RecordResult(record=await present(conn, BLUEPRINTS, record, request.actor, "", ""))

    async def leave_blueprint(self, request: rpc.BlueprintRequest) -> rpc.RecordResult:
        if request.actor.is_superuser:
            raise ApiError.bad_request("Blueprints are shared with users, not superusers.")
        async with self._pool.acquire() as conn:
            async with conn.transaction():
                record = await leave_blueprint(conn, request.id, request.actor)
            return rpc.RecordResult(record=await present(conn, BLUEPRINTS, record, request.actor, "", ""))

    async def deployment_access(self, request: rpc.DeploymentRef) -> rpc.DeploymentAccess:
        async with self._pool.acquire() as conn:
            project, deployment = await deployment_access(conn, request.actor, request.project, request.id)
        return rpc.DeploymentAccess(project=project, deployment=deployment)

    async def project_access(self, request: rpc.ProjectAccessRequest) -> rpc.RecordResult:
        async with self._pool.acquire() as conn:
            return rpc.RecordResult(record=await view_record(conn, PROJECTS, request.project, request.actor))

    async def deployment_state(self, request: rpc.DeploymentStateRequest) -> rpc.DeploymentState:
        async with self._pool.acquire() as conn:
            return await deployment_state(conn, self._tenancy, request.deployment)

    async def project_policy(self, request: rpc.ProjectPolicyRequest) -> rpc.ProjectPolicy:
        async with self._pool.acquire() as conn:
            return await project_policy(conn, self._tenancy, request.project)

    async def tenancy(self, request: rpc.TenancyRequest) -> rpc.TenancyView:
        async with self._pool.acquire() as conn:
            return await self._tenancy.view(conn, request.actor)

    async def index(self, request: rpc.IndexRequest) -> rpc.IndexPage:
        async with self._pool.acquire() as conn:
            return await index_page(conn, request)
