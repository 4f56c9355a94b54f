"""The routes the auth service answers: sign-in and tokens (``auth-*``), the users collection, the JWKS, and
the page OAuth2 providers send the browser back to.

Included before :mod:`oneclick_edge.apis.records`: the literal ``/api/collections/users/...`` paths must come
before the generic ``/api/collections/{collection}/...`` ones, so the users collection stays with auth.
"""

from __future__ import annotations

from oneclick_edge.apis import router_of
from oneclick_edge.apis.auth import (
    jwks,
    oauth2_redirect,
    record_auth_confirm_password_reset,
    record_auth_confirm_verification,
    record_auth_logout_all,
    record_auth_methods,
    record_auth_refresh,
    record_auth_request_password_reset,
    record_auth_request_verification,
    record_auth_with_oauth2,
    record_auth_with_password,
    users_create,
    users_delete,
    users_files,
    users_update,
    users_view,
)

router = router_of(
    record_auth_with_password,
    record_auth_refresh,
    record_auth_methods,
    record_auth_with_oauth2,
    record_auth_request_password_reset,
    record_auth_confirm_password_reset,
    record_auth_request_verification,
    record_auth_confirm_verification,
    record_auth_logout_all,
    users_create,
    users_view,
    users_update,
    users_delete,
    users_files,
    jwks,
    oauth2_redirect,
)
