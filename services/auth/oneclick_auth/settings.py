"""Settings of the auth service (environment, prefix ``ONECLICK_``)."""

from __future__ import annotations

from pydantic import Field, SecretStr, field_validator

from oneclick_core.settings import CoreSettings

DAY = 86400


class AuthSettings(CoreSettings):
    # Tokens. PocketBase's default auth token lifetime is 14 days (1209600 s).
    token_lifetime: int = Field(14 * DAY, ge=60, description="Seconds an auth token stays valid.")
    superuser_token_lifetime: int = Field(14 * DAY, ge=60, description="Seconds a superuser token stays valid.")
    key_rotation_interval: int = Field(
        30 * DAY,
        ge=60,
        description="Seconds a signing key signs before a new one takes over (old keys keep "
        "verifying until the tokens they signed expire).",
    )
    key_check_interval: float = Field(60.0, gt=0, description="Seconds between checks whether to rotate keys.")
    password_reset_lifetime: int = Field(1800, ge=60, description="Seconds a password reset link stays valid.")
    verification_lifetime: int = Field(7 * DAY, ge=60, description="Seconds a verification link stays valid.")

    # argon2id cost (argon2-cffi's RFC 9106 low-memory profile by default).
    argon2_time_cost: int = Field(3, ge=1)
    argon2_memory_kib: int = Field(65536, ge=8)
    argon2_parallelism: int = Field(4, ge=1)

    # Login rate limits, counted in PostgreSQL so they hold across replicas of auth and edge.
    login_limit_per_identity: int = Field(10, ge=1, description="Attempts per identity per window.")
    login_limit_per_address: int = Field(60, ge=1, description="Attempts per client address per window.")
    login_limit_window: float = Field(60.0, gt=0, description="Seconds of the rate-limit window.")

    min_password_length: int = Field(8, ge=1, le=72)

    # Superuser bootstrap.
    admin_email: str | None = Field(None, description="Superuser created (or whose password is set) at start.")
    admin_password: SecretStr | None = None

    # Links in emails point here (PocketBase's "application URL").
    app_url: str = Field("http://127.0.0.1:8090", description="Public URL of the platform, for links in emails.")
    app_name: str = Field("One-Click", description="Sender name and subject prefix of emails.")

    # SMTP; without a host, emails are not sent (in dev mode their links are logged instead).
    smtp_host: str | None = None
    smtp_port: int = Field(587, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_tls: bool = Field(False, description="Implicit TLS (SMTPS, usually port 465).")
    smtp_starttls: bool = Field(True, description="Upgrade with STARTTLS when the server offers it.")
    smtp_sender: str = Field("no-reply@one-click.local", description="From address of emails.")

    # OAuth2 providers: enabled when both client id and secret are set. Endpoints are configurable so
    # a self-hosted or test provider can stand in.
    oauth2_github_client_id: str | None = None
    oauth2_github_client_secret: SecretStr | None = None
    oauth2_github_auth_url: str = "https://github.com/login/oauth/authorize"
    oauth2_github_token_url: str = "https://github.com/login/oauth/access_token"
    oauth2_github_user_url: str = "https://api.github.com/user"
    oauth2_github_emails_url: str = "https://api.github.com/user/emails"

    oauth2_microsoft_client_id: str | None = None
    oauth2_microsoft_client_secret: SecretStr | None = None
    oauth2_microsoft_tenant: str = "common"
    oauth2_microsoft_auth_url: str | None = Field(
        None, description="Defaults to login.microsoftonline.com/<tenant>/oauth2/v2.0/authorize."
    )
    oauth2_microsoft_token_url: str | None = Field(
        None, description="Defaults to login.microsoftonline.com/<tenant>/oauth2/v2.0/token."
    )
    oauth2_microsoft_user_url: str = "https://graph.microsoft.com/v1.0/me"

    oauth2_timeout: float = Field(10.0, gt=0, description="Seconds to wait for an OAuth2 provider.")
    oauth2_state_lifetime: int = Field(900, ge=30, description="Seconds an issued state/PKCE verifier is usable.")

    @field_validator("admin_email", "smtp_host", "oauth2_github_client_id", "oauth2_microsoft_client_id", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        return value
