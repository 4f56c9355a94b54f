"""The edge's FastAPI application: routes, error shape, and the context handlers depend on."""

from __future__ import annotations

from fastapi import Depends, FastAPI

from oneclick_edge.apis import (
    auto_update_trigger,
    auto_update_webhook_rotate,
    auto_update_webhook_secret,
    blueprint_leave,
    blueprint_share,
    blueprint_view,
    cluster_info,
    frontend,
    health,
    job_delete,
    jwks,
    oauth2_redirect,
    pod_delete,
    realtime,
    record_auth_confirm_password_reset,
    record_auth_confirm_verification,
    record_auth_logout_all,
    record_auth_methods,
    record_auth_refresh,
    record_auth_request_password_reset,
    record_auth_request_verification,
    record_auth_with_oauth2,
    record_auth_with_password,
    record_create,
    record_delete,
    record_files,
    record_update,
    record_view,
    records_list,
    rollout_events,
    rollout_logs,
    rollout_metrics,
    rollout_status,
    tenancy_view,
    users_create,
    users_delete,
    users_files,
    users_update,
    users_view,
    ws_k8s_events,
    ws_k8s_logs,
    ws_k8s_rollouts,
)
from oneclick_edge.apis.users_form import MAX_UPLOAD_BYTES
from oneclick_edge.body_limit import BodyLimit
from oneclick_edge.characters import refuse_unstorable
from oneclick_edge.context import EdgeContext
from oneclick_edge.errors import install_error_handlers
from oneclick_edge.openapi import install as install_openapi

# The largest file plus room for the form around it.
MAX_BODY_BYTES = MAX_UPLOAD_BYTES + 1024 * 1024


def create_app(context: EdgeContext) -> FastAPI:
    app = FastAPI(title="One-Click", version=context.version, docs_url=None, redoc_url=None,
                  openapi_url="/api/openapi.json", dependencies=[Depends(refuse_unstorable)])
    app.state.edge = context
    install_error_handlers(app)
    app.add_middleware(BodyLimit, max_bytes=MAX_BODY_BYTES)
    app.include_router(health.router)
    # Auth and the users collection; literal /collections/users/... paths come before any generic
    # /collections/{collection}/... routes so the users collection stays with the auth service.
    for module in (record_auth_with_password, record_auth_refresh, record_auth_methods, record_auth_with_oauth2,
                   record_auth_request_password_reset, record_auth_confirm_password_reset,
                   record_auth_request_verification, record_auth_confirm_verification, record_auth_logout_all,
                   users_create, users_view, users_update, users_delete, users_files, jwks):
        app.include_router(module.router)
    # The One-Click collections (records service) and One-Click's blueprint endpoints.
    for module in (records_list, record_view, record_create, record_update, record_delete, record_files,
                   blueprint_view, blueprint_share, blueprint_leave, realtime, oauth2_redirect):
        app.include_router(module.router)
    # Auto-updates (updater): the webhook trigger and its secret.
    for module in (auto_update_trigger, auto_update_webhook_secret, auto_update_webhook_rotate):
        app.include_router(module.router)
    # The cluster reads and actions (k8s-executor), authorized per project by records.
    for module in (rollout_status, rollout_metrics, rollout_events, pod_delete, job_delete, cluster_info):
        app.include_router(module.router)
    # The tenancy policy in force (records), for superusers.
    app.include_router(tenancy_view.router)
    # Live views (streaming): the resource map, logs and events WebSockets and the chunked log stream.
    for module in (ws_k8s_rollouts, ws_k8s_logs, ws_k8s_events, rollout_logs):
        app.include_router(module.router)
    frontend.install(app)
    install_openapi(app)
    return app
