"""``GET /api/collections/{collection}/records``: a page of records the caller may see.

The query string goes to records as sent; records parses it with PocketBase's rules (filter, sort,
expand, fields, page, perPage, skipTotal) and ANDs the filter with the collection's access rule.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from oneclick_core.contracts.records import LIST, ListRequest, ListResult
from oneclick_edge.authenticator import Principal
from oneclick_edge.context import EdgeContext
from oneclick_edge.dependencies import edge_context, require_auth

router = APIRouter()


@router.get("/api/collections/{collection}/records")
async def list_records(
    collection: str,
    request: Request,
    principal: Principal = Depends(require_auth),
    context: EdgeContext = Depends(edge_context),
) -> ListResult:
    return await context.rpc.call(
        LIST, ListRequest(collection=collection, actor=principal.actor, params=dict(request.query_params))
    )
