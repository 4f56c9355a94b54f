-- Users of the `users` auth collection (PocketBase fields) and the secrets that never leave this schema.
CREATE TABLE users (
    id               text        PRIMARY KEY,
    email            text        NOT NULL DEFAULT '',
    email_visibility boolean     NOT NULL DEFAULT false,
    username         text        NOT NULL,
    verified         boolean     NOT NULL DEFAULT false,
    name             text        NOT NULL DEFAULT '',
    avatar           text        NOT NULL DEFAULT '',
    password_hash    text        NOT NULL,
    -- Tokens carry the version they were issued under; raising it revokes every earlier token.
    token_version    integer     NOT NULL DEFAULT 1,
    created          timestamptz NOT NULL DEFAULT now(),
    updated          timestamptz NOT NULL DEFAULT now()
);
-- Case-insensitive uniqueness, as sign-in matches identities case-insensitively.
CREATE UNIQUE INDEX users_email_key ON users (lower(email)) WHERE email <> '';
CREATE UNIQUE INDEX users_username_key ON users (lower(username));

CREATE TABLE superusers (
    id            text        PRIMARY KEY,
    email         text        NOT NULL,
    password_hash text        NOT NULL,
    token_version integer     NOT NULL DEFAULT 1,
    created       timestamptz NOT NULL DEFAULT now(),
    updated       timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX superusers_email_key ON superusers (lower(email));

-- Which provider account signs in as which user.
CREATE TABLE oauth2_identities (
    provider    text        NOT NULL,
    provider_id text        NOT NULL,
    user_id     text        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (provider, provider_id)
);
CREATE INDEX oauth2_identities_user ON oauth2_identities (user_id);

-- PKCE verifiers (hashed) and states handed out by auth-methods; each is usable once, until it expires.
CREATE TABLE oauth2_states (
    verifier_hash text        PRIMARY KEY,
    state         text        NOT NULL,
    provider      text        NOT NULL,
    expires_at    timestamptz NOT NULL
);
CREATE INDEX oauth2_states_expires ON oauth2_states (expires_at);

CREATE TABLE avatars (
    user_id      text        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    filename     text        NOT NULL,
    content_type text        NOT NULL,
    content      bytea       NOT NULL,
    created      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, filename)
);

-- Ed25519 keys. The newest signs; a retired key keeps verifying until the tokens it signed have expired.
CREATE TABLE signing_keys (
    kid         text        PRIMARY KEY,
    private_key bytea       NOT NULL,
    public_jwk  jsonb       NOT NULL,
    created     timestamptz NOT NULL DEFAULT now(),
    retired_at  timestamptz
);

-- Fixed-window counters of sign-in attempts, shared by every replica.
CREATE TABLE rate_limits (
    key          text        PRIMARY KEY,
    window_start timestamptz NOT NULL,
    hits         integer     NOT NULL
);
