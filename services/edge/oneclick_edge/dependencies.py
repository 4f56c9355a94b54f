"""The FastAPI dependencies of the edge's handlers: the running service's context and the caller.

Handlers depend on :func:`edge_context` for the service (RPC client, settings, brokers) and on
:func:`optional_auth`, :func:`require_auth`, :func:`require_superuser` or :func:`browser_auth` for a
:class:`~oneclick_edge.authenticator.Principal`. The token comes from the request
(:mod:`oneclick_edge.credentials`); the authenticator in the context verifies it.
"""

from __future__ import annotations

from fastapi import Depends, Request

from oneclick_core.errors import ApiError
from oneclick_edge.authenticator import UNAUTHORIZED, Authenticator, Principal
from oneclick_edge.context import EdgeContext
from oneclick_edge.credentials import bearer_token, cookie_or_query_token


async def edge_context(request: Request) -> EdgeContext:
    # async on purpose: FastAPI runs plain-def dependencies in a worker thread, a hop on every request.
    context: EdgeContext = request.app.state.edge
    return context


def authenticator_of(context: EdgeContext) -> Authenticator:
    if context.authenticator is None:
        raise ApiError.unavailable("Authentication is not configured.")
    return context.authenticator


async def optional_auth(request: Request, context: EdgeContext = Depends(edge_context)) -> Principal | None:
    """The caller, or None without a token. A token that is present but invalid is a 401, not a guest."""
    token = bearer_token(request)
    if token is None:
        return None
    return await authenticator_of(context).authenticate(token)


async def require_auth(principal: Principal | None = Depends(optional_auth)) -> Principal:
    if principal is None:
        raise ApiError.unauthorized(UNAUTHORIZED)
    return principal


async def require_superuser(principal: Principal = Depends(require_auth)) -> Principal:
    if not principal.is_superuser:
        raise ApiError.forbidden("Only superusers can perform this action.")
    return principal


async def browser_auth(request: Request, context: EdgeContext = Depends(edge_context)) -> Principal:
    """Like :func:`require_auth`, also accepting the cookie or query token a browser sends by itself."""
    token = bearer_token(request) or cookie_or_query_token(request)
    if token is None:
        raise ApiError.unauthorized(UNAUTHORIZED)
    return await authenticator_of(context).authenticate(token)
