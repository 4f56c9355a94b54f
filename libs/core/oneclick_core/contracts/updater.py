"""The updater's RPC methods and the ``autoupdate.tag_found`` event it publishes.

Records publishes ``oneclick.events.autoupdate.{created,updated,deleted}`` for the autoUpdates collection;
the updater adds ``tag_found`` to that aggregate: a check found a tag the running rollout does not use.
Records reacts by replacing the running rollout with one that differs only in the tag, provided the
running rollout is still the one the check looked at (so repeated or late events change nothing).

The webhook secret itself never travels: the edge sends its SHA-256 digest, which is what the updater
stores and compares.
"""

from __future__ import annotations

import hashlib
from typing import Any, Literal

from pydantic import BaseModel, Field

from oneclick_core.contracts.auth import Actor
from oneclick_core.contracts.envelope import EventSpec
from oneclick_core.contracts.rpc import RpcMethod

SERVICE = "updater"

JsonObject = dict[str, Any]
Trigger = Literal["schedule", "webhook"]
Outcome = Literal["tag_found", "already_requested", "unchanged", "no_matching_tag", "no_running_rollout", "failed"]

# Webhook secrets start with this, so a CI system may send one as ``Authorization: Bearer <secret>``
# and the edge can tell it from a user token without trying to verify it as one.
WEBHOOK_SECRET_PREFIX = "ocwh_"
WEBHOOK_SECRET_HEADER = "X-Webhook-Secret"


def webhook_secret_digest(secret: str) -> str:
    """What is stored and compared instead of the secret (hex SHA-256)."""
    return hashlib.sha256(secret.encode()).hexdigest()


# -- events -----------------------------------------------------------------------------------------------


class TagFound(BaseModel):
    """A check chose ``tag`` for an image whose running rollout uses ``previousTag``. No credentials."""

    autoUpdate: str
    project: str
    deployment: str
    rollout: str = Field(description="The running rollout the check looked at; records only replaces that one.")
    registry: str
    repository: str
    previousTag: str
    tag: str
    trigger: Trigger
    checkedAt: str = Field(description="PocketBase datetime of the check.")


TAG_FOUND: EventSpec[TagFound] = EventSpec(
    "autoupdate",
    "tag_found",
    TagFound,
    "An autoUpdate's check found a newer tag; records ends the running rollout and creates one with that tag.",
)

UPDATER_EVENTS: tuple[EventSpec[Any], ...] = (TAG_FOUND,)


# -- RPC --------------------------------------------------------------------------------------------------


class CheckNowRequest(BaseModel):
    """``POST /auto-update/:id``: authorized by the owner (``actor``) or by the autoUpdate's webhook secret."""

    autoUpdate: str
    actor: Actor | None = None
    secretDigest: str | None = Field(None, description="webhook_secret_digest() of the secret the caller sent.")


class CheckResult(BaseModel):
    autoUpdate: str
    deployment: str
    trigger: Trigger
    outcome: Outcome
    currentTag: str = Field("", description="The running rollout's tag when the check ran.")
    tag: str = Field("", description="The tag the policy chose ('' if none).")
    message: str = ""
    checkedAt: str


class CheckNowResult(BaseModel):
    record: JsonObject = Field(description="The autoUpdate record (what One-Click's endpoint answered).")
    check: CheckResult


class WebhookSecretRequest(BaseModel):
    autoUpdate: str
    actor: Actor
    rotate: bool = Field(False, description="Replace the secret with a new one (the old one stops working).")


class WebhookSecret(BaseModel):
    autoUpdate: str
    secret: str | None = Field(
        description="The secret, only in the first answer after it was generated; null once shown."
    )
    created: str = Field(description="When the current secret was generated (PocketBase datetime).")


def _method(name: str, request: type[Any], response: type[Any], description: str) -> RpcMethod[Any, Any]:
    return RpcMethod(SERVICE, name, request, response, description)


CHECK_NOW: RpcMethod[CheckNowRequest, CheckNowResult] = _method(
    "check_now",
    CheckNowRequest,
    CheckNowResult,
    "Run an autoUpdate's check now (webhook): 404 unknown or not the actor's, 401 wrong secret.",
)
WEBHOOK_SECRET: RpcMethod[WebhookSecretRequest, WebhookSecret] = _method(
    "webhook_secret",
    WebhookSecretRequest,
    WebhookSecret,
    "Reveal an autoUpdate's webhook secret once, or rotate it; owner (or superuser) only, 404 otherwise.",
)

UPDATER_RPC: tuple[RpcMethod[Any, Any], ...] = (CHECK_NOW, WEBHOOK_SECRET)
