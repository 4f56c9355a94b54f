"""``DELETE /api/collections/{collection}/records/{id}``: delete a record and what it owns; 204 like PocketBase."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response

from oneclick_core.contracts.records import DELETE, DeleteRequest
from oneclick_edge.authenticator import Principal
from oneclick_edge.context import EdgeContext
from oneclick_edge.dependencies import edge_context, require_auth

router = APIRouter()


@router.delete("/api/collections/{collection}/records/{record_id}", status_code=204)
async def delete_record(
    collection: str,
    record_id: str,
    principal: Principal = Depends(require_auth),
    context: EdgeContext = Depends(edge_context),
) -> Response:
    await context.rpc.call(DELETE, DeleteRequest(collection=collection, id=record_id, actor=principal.actor))
    return Response(status_code=204)
