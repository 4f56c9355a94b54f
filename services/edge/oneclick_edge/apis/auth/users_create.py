"""``POST /api/collections/users/records``: sign-up (JSON or multipart with an avatar).

Public, and a token the client still holds (maybe expired) is ignored, as PocketBase does here.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from oneclick_core.contracts.auth import CREATE_USER, CreateUserRequest, UserRecord
from oneclick_edge.context import EdgeContext
from oneclick_edge.dependencies import edge_context
from oneclick_edge.forms import as_bool, as_text, as_upload, submitted

router = APIRouter()


@router.post("/api/collections/users/records")
@router.post("/api/collections/_pb_users_auth_/records", include_in_schema=False)
async def create_user(request: Request, context: EdgeContext = Depends(edge_context)) -> UserRecord:
    fields, files = await submitted(request)
    avatar = await as_upload(files["avatar"]) if "avatar" in files else None
    sign_up = CreateUserRequest(
        email=as_text(fields.get("email")),
        password=as_text(fields.get("password")),
        passwordConfirm=as_text(fields.get("passwordConfirm")),
        name=as_text(fields.get("name")),
        username=as_text(fields.get("username")),
        emailVisibility=as_bool(fields.get("emailVisibility")),
        avatar=avatar,
    )
    return await context.rpc.call(CREATE_USER, sign_up)
