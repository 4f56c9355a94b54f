"""Which auth collection a route's ``{collection}`` names: ``users`` or ``_superusers``, by name or by id."""

from __future__ import annotations

from oneclick_core.errors import ApiError
from oneclick_core.tokens import (
    SUPERUSERS_COLLECTION_ID,
    SUPERUSERS_COLLECTION_NAME,
    USERS_COLLECTION_ID,
    USERS_COLLECTION_NAME,
)
from oneclick_edge.authenticator import Collection

_AUTH_COLLECTIONS: dict[str, Collection] = {
    USERS_COLLECTION_NAME: USERS_COLLECTION_NAME,
    USERS_COLLECTION_ID: USERS_COLLECTION_NAME,
    SUPERUSERS_COLLECTION_NAME: SUPERUSERS_COLLECTION_NAME,
    SUPERUSERS_COLLECTION_ID: SUPERUSERS_COLLECTION_NAME,
}


def auth_collection(collection: str) -> Collection:
    """The auth collection named (or id'd) in the path; any other collection has no auth routes."""
    found = _AUTH_COLLECTIONS.get(collection)
    if found is None:
        raise ApiError.not_found("Missing or invalid auth collection context.")
    return found
