"""The auth service's RPC methods and the ``user.*`` events it publishes.

Records follow PocketBase's shapes (``users`` and ``_superusers`` auth collections) so the edge can return
them to PocketBase JS SDK clients unchanged. Requests that act on a user carry the ``actor`` the edge
authenticated; auth checks it again (defence in depth), it does not trust the edge to have filtered.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from oneclick_core.contracts.envelope import EventSpec
from oneclick_core.contracts.rpc import RpcMethod
from oneclick_core.tokens import SUPERUSERS_COLLECTION_NAME

SERVICE = "auth"

AuthCollection = Literal["users", "_superusers"]


class Actor(BaseModel):
    """Who is asking, as the edge verified from the token."""

    id: str
    collection: AuthCollection

    @property
    def is_superuser(self) -> bool:
        return self.collection == SUPERUSERS_COLLECTION_NAME


class UserRecord(BaseModel):
    """A ``users`` record in PocketBase's shape."""

    id: str
    collectionId: Literal["_pb_users_auth_"] = "_pb_users_auth_"
    collectionName: Literal["users"] = "users"
    created: str = Field(description="PocketBase datetime, e.g. 2024-01-02 15:04:05.000Z")
    updated: str
    email: str
    emailVisibility: bool
    username: str
    verified: bool
    name: str
    avatar: str = Field(description="File name of the avatar, served at /api/files/users/<id>/<avatar>; '' if none.")


class SuperuserRecord(BaseModel):
    """A ``_superusers`` record in PocketBase's shape."""

    id: str
    collectionId: Literal["pbc_3142635823"] = "pbc_3142635823"
    collectionName: Literal["_superusers"] = "_superusers"
    created: str
    updated: str
    email: str
    emailVisibility: bool = False
    verified: bool = True


class AuthResult(BaseModel):
    """PocketBase's auth response: ``{token, record}`` (``meta`` after OAuth2)."""

    token: str
    record: UserRecord | SuperuserRecord = Field(discriminator="collectionName")
    meta: dict[str, Any] | None = None


class Empty(BaseModel):
    pass


class FileUpload(BaseModel):
    # Bytes are base64 in JSON (RPC), raw bytes in Python.
    model_config = ConfigDict(ser_json_bytes="base64", val_json_bytes="base64")

    filename: str
    contentType: str
    data: bytes


# -- sign-up, sign-in, refresh -------------------------------------------------------------------------


class CreateUserRequest(BaseModel):
    """Sign-up. Values arrive as submitted; auth validates them and answers per-field errors."""

    email: str = ""
    password: str = ""
    passwordConfirm: str = ""
    name: str = ""
    username: str = ""
    emailVisibility: bool = False
    avatar: FileUpload | None = None


class PasswordLoginRequest(BaseModel):
    collection: AuthCollection
    identity: str = Field("", description="Email or username (users); email (superusers).")
    password: str = ""
    clientAddress: str | None = Field(None, description="The caller's address, for per-address rate limits.")


class RefreshRequest(BaseModel):
    token: str


class ProviderInfo(BaseModel):
    """One enabled OAuth2 provider, in the fields of both PocketBase ≤ 0.22 and ≥ 0.23 clients."""

    name: str
    displayName: str
    state: str
    codeVerifier: str
    codeChallenge: str
    codeChallengeMethod: Literal["S256"] = "S256"
    authUrl: str = Field(description="Authorization URL ending in 'redirect_uri=' for the client to complete.")
    authURL: str = Field(description="The same URL under PocketBase ≥ 0.23's name.")


class PasswordMethod(BaseModel):
    enabled: bool
    identityFields: list[str]


class OAuth2Method(BaseModel):
    enabled: bool
    providers: list[ProviderInfo]


class DisabledMethod(BaseModel):
    enabled: bool = False
    duration: int = 0


class AuthMethodsRequest(BaseModel):
    collection: AuthCollection = "users"


class AuthMethods(BaseModel):
    """``GET .../auth-methods``: PocketBase ≤ 0.22 keys (what One-Click's frontend reads) and ≥ 0.23 keys."""

    usernamePassword: bool
    emailPassword: bool
    authProviders: list[ProviderInfo]
    password: PasswordMethod
    oauth2: OAuth2Method
    mfa: DisabledMethod = Field(default_factory=DisabledMethod)
    otp: DisabledMethod = Field(default_factory=DisabledMethod)


class OAuth2LoginRequest(BaseModel):
    provider: str = ""
    code: str = ""
    codeVerifier: str = ""
    redirectURL: str = ""
    state: str | None = Field(None, description="When sent, must be the state issued with codeVerifier.")
    createData: dict[str, Any] | None = None
    clientAddress: str | None = None


# -- recovery and verification ---------------------------------------------------------------------------


class EmailRequest(BaseModel):
    email: str = ""


class ConfirmPasswordResetRequest(BaseModel):
    token: str = ""
    password: str = ""
    passwordConfirm: str = ""


class ConfirmVerificationRequest(BaseModel):
    token: str = ""


# -- one's own record -----------------------------------------------------------------------------------


class GetUserRequest(BaseModel):
    actor: Actor
    id: str


class UserChanges(BaseModel):
    """Fields to change; ``None`` leaves a field as it is."""

    name: str | None = None
    username: str | None = None
    email: str | None = None
    emailVisibility: bool | None = None
    verified: bool | None = None
    oldPassword: str | None = None
    password: str | None = None
    passwordConfirm: str | None = None
    avatar: FileUpload | None = None
    removeAvatar: bool = False


class UpdateUserRequest(BaseModel):
    actor: Actor
    id: str
    changes: UserChanges


class UserUpdated(BaseModel):
    record: UserRecord
    tokenVersion: int = Field(description="Tokens issued before this version are revoked.")


class DeleteUserRequest(BaseModel):
    actor: Actor
    id: str


class LogoutAllRequest(BaseModel):
    actor: Actor
    id: str


class TokensRevoked(BaseModel):
    tokenVersion: int


class GetAvatarRequest(BaseModel):
    actor: Actor
    id: str
    filename: str


class FileContent(BaseModel):
    model_config = ConfigDict(ser_json_bytes="base64", val_json_bytes="base64")

    contentType: str
    data: bytes


# -- what verifiers need ------------------------------------------------------------------------------


class Subject(BaseModel):
    collection: AuthCollection
    id: str


class TokenStateRequest(BaseModel):
    subjects: list[Subject]


class TokenState(BaseModel):
    collection: AuthCollection
    id: str
    version: int | None = Field(description="Current token version; null when the account does not exist.")


class TokenStates(BaseModel):
    states: list[TokenState]


class JwksRequest(BaseModel):
    pass


class Jwks(BaseModel):
    """Public keys that verify tokens (RFC 7517), newest first; retired keys stay while their tokens live."""

    keys: list[dict[str, str]]


class RotateKeysRequest(BaseModel):
    pass


class CreateSuperuserRequest(BaseModel):
    email: str
    password: str


def _method(name: str, request: type[Any], response: type[Any], description: str) -> RpcMethod[Any, Any]:
    return RpcMethod(SERVICE, name, request, response, description)


CREATE_USER: RpcMethod[CreateUserRequest, UserRecord] = _method(
    "create_user", CreateUserRequest, UserRecord, "Sign-up: validate, hash the password (argon2id), create the user."
)
AUTH_WITH_PASSWORD: RpcMethod[PasswordLoginRequest, AuthResult] = _method(
    "auth_with_password",
    PasswordLoginRequest,
    AuthResult,
    "Password sign-in (rate limited per identity and address; one answer for unknown user and wrong password).",
)
AUTH_REFRESH: RpcMethod[RefreshRequest, AuthResult] = _method(
    "auth_refresh", RefreshRequest, AuthResult, "A new token for the holder of a valid, unrevoked token."
)
AUTH_METHODS: RpcMethod[AuthMethodsRequest, AuthMethods] = _method(
    "auth_methods",
    AuthMethodsRequest,
    AuthMethods,
    "Password and enabled OAuth2 providers, each with a fresh state and PKCE verifier.",
)
AUTH_WITH_OAUTH2: RpcMethod[OAuth2LoginRequest, AuthResult] = _method(
    "auth_with_oauth2",
    OAuth2LoginRequest,
    AuthResult,
    "Exchange an OAuth2 code (with its PKCE verifier) at the provider; sign in, link or create the user.",
)
REQUEST_PASSWORD_RESET: RpcMethod[EmailRequest, Empty] = _method(
    "request_password_reset",
    EmailRequest,
    Empty,
    "Send a reset link if the email belongs to a user (the answer is the same either way).",
)
CONFIRM_PASSWORD_RESET: RpcMethod[ConfirmPasswordResetRequest, Empty] = _method(
    "confirm_password_reset", ConfirmPasswordResetRequest, Empty, "Set a new password with a reset token."
)
REQUEST_VERIFICATION: RpcMethod[EmailRequest, Empty] = _method(
    "request_verification", EmailRequest, Empty, "Send a verification link to an unverified user."
)
CONFIRM_VERIFICATION: RpcMethod[ConfirmVerificationRequest, Empty] = _method(
    "confirm_verification", ConfirmVerificationRequest, Empty, "Mark the user of a verification token verified."
)
GET_USER: RpcMethod[GetUserRequest, UserRecord] = _method(
    "get_user", GetUserRequest, UserRecord, "One user record; only the user itself or a superuser."
)
UPDATE_USER: RpcMethod[UpdateUserRequest, UserUpdated] = _method(
    "update_user",
    UpdateUserRequest,
    UserUpdated,
    "Change one's own record; a password change needs oldPassword and revokes earlier tokens.",
)
DELETE_USER: RpcMethod[DeleteUserRequest, Empty] = _method(
    "delete_user", DeleteUserRequest, Empty, "Delete one's own account (revokes its tokens)."
)
LOGOUT_ALL: RpcMethod[LogoutAllRequest, TokensRevoked] = _method(
    "logout_all", LogoutAllRequest, TokensRevoked, "Revoke every token issued so far to the user."
)
GET_AVATAR: RpcMethod[GetAvatarRequest, FileContent] = _method(
    "get_avatar", GetAvatarRequest, FileContent, "The bytes of a user's avatar file."
)
TOKEN_STATE: RpcMethod[TokenStateRequest, TokenStates] = _method(
    "token_state",
    TokenStateRequest,
    TokenStates,
    "Current token versions of accounts, for verifiers that have not seen an event about them.",
)
JWKS: RpcMethod[JwksRequest, Jwks] = _method("jwks", JwksRequest, Jwks, "The public keys that verify tokens.")
ROTATE_KEYS: RpcMethod[RotateKeysRequest, Jwks] = _method(
    "rotate_keys", RotateKeysRequest, Jwks, "Start signing with a new key now; earlier keys keep verifying."
)
CREATE_SUPERUSER: RpcMethod[CreateSuperuserRequest, SuperuserRecord] = _method(
    "create_superuser",
    CreateSuperuserRequest,
    SuperuserRecord,
    "Create a superuser, or set the password of an existing one (`oneclick superuser create`).",
)

AUTH_METHODS_RPC: tuple[RpcMethod[Any, Any], ...] = (
    CREATE_USER,
    AUTH_WITH_PASSWORD,
    AUTH_REFRESH,
    AUTH_METHODS,
    AUTH_WITH_OAUTH2,
    REQUEST_PASSWORD_RESET,
    CONFIRM_PASSWORD_RESET,
    REQUEST_VERIFICATION,
    CONFIRM_VERIFICATION,
    GET_USER,
    UPDATE_USER,
    DELETE_USER,
    LOGOUT_ALL,
    GET_AVATAR,
    TOKEN_STATE,
    JWKS,
    ROTATE_KEYS,
    CREATE_SUPERUSER,
)


# -- events ---------------------------------------------------------------------------------------------


class UserEventData(BaseModel):
    """A user as the records read-model keeps it, plus the token version verifiers compare against."""

    id: str
    email: str
    emailVisibility: bool
    username: str
    verified: bool
    name: str
    avatar: str
    created: str
    updated: str
    tokenVersion: int = Field(description="Tokens carrying a lower version are revoked.")


USER_CREATED: EventSpec[UserEventData] = EventSpec(
    "user", "created", UserEventData, "A user signed up (password or OAuth2) or was created."
)
USER_UPDATED: EventSpec[UserEventData] = EventSpec(
    "user",
    "updated",
    UserEventData,
    "A user's record changed (profile, verification, password: then tokenVersion grows and older tokens die).",
)
USER_DELETED: EventSpec[UserEventData] = EventSpec(
    "user", "deleted", UserEventData, "A user was deleted; every token of theirs is revoked. Data is the last state."
)

USER_EVENTS: tuple[EventSpec[UserEventData], ...] = (USER_CREATED, USER_UPDATED, USER_DELETED)
