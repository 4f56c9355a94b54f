"""``PATCH /api/collections/users/records/{id}``: change one's own record.

A password change needs ``oldPassword`` and revokes every earlier token; this replica applies the
revocation at once, the others through the ``user.updated`` event.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from oneclick_core.contracts.auth import UPDATE_USER, UpdateUserRequest, UserChanges, UserRecord
from oneclick_edge.authenticator import Principal
from oneclick_edge.context import EdgeContext
from oneclick_edge.dependencies import authenticator_of, edge_context, require_auth
from oneclick_edge.forms import as_bool, as_text, as_upload, submitted

router = APIRouter()

_TEXT = ("name", "username", "email", "oldPassword", "password", "passwordConfirm")


@router.patch("/api/collections/users/records/{record_id}")
@router.patch("/api/collections/_pb_users_auth_/records/{record_id}", include_in_schema=False)
async def update_user(
    record_id: str,
    request: Request,
    principal: Principal = Depends(require_auth),
    context: EdgeContext = Depends(edge_context),
) -> UserRecord:
    fields, files = await submitted(request)
    changes = UserChanges(**{name: as_text(fields[name]) for name in _TEXT if name in fields})
    for flag in ("emailVisibility", "verified"):
        if flag in fields:
            setattr(changes, flag, as_bool(fields[flag]))
    if "avatar" in files:
        changes.avatar = await as_upload(files["avatar"])
    elif "avatar" in fields and not fields["avatar"]:
        changes.removeAvatar = True
    updated = await context.rpc.call(
        UPDATE_USER, UpdateUserRequest(actor=principal.actor, id=record_id, changes=changes)
    )
    authenticator_of(context).revoked("users", record_id, updated.tokenVersion)
    return updated.record
