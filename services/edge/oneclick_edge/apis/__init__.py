"""The edge's routes, grouped by the service that answers them (``auth``, ``records``, ``cluster``, ``live``,
``updater``), one handler per module as in PocketBase's ``apis/``; each group's package has one ``router``
that :func:`oneclick_edge.app.create_app` includes. The health check and the web UI, which belong to no one
service, sit here at the top.
"""

from __future__ import annotations

from typing import Protocol

from fastapi import APIRouter


class Routes(Protocol):
    """A handler module: its routes on its own router."""

    router: APIRouter


def router_of(*modules: Routes) -> APIRouter:
    """One router holding the modules' routes, tried in the order given (the first route that matches wins)."""
    router = APIRouter()
    for module in modules:
        router.include_router(module.router)
    return router
