-- The updater's own state: when each autoUpdate is due, what its checks found, its webhook secret,
-- and the tag listings replicas share within a tick. AutoUpdates themselves belong to records; this
-- is a copy fed by records' autoupdate.* events.

CREATE TABLE auto_updates (
    id               text        PRIMARY KEY,
    project          text        NOT NULL,
    deployment       text        NOT NULL,
    owner            text        NOT NULL,
    interval         text        NOT NULL,
    interval_seconds bigint      NOT NULL CHECK (interval_seconds > 0),
    pattern          text        NOT NULL DEFAULT '',
    policy           text        NOT NULL DEFAULT '',
    -- The record as records last published it (PocketBase JSON), and its "updated" time: events that
    -- arrive out of order never move a row backwards.
    record           jsonb       NOT NULL,
    record_updated   timestamptz NOT NULL,
    deleted          boolean     NOT NULL DEFAULT false,
    -- Due times are anchor + k * interval (anchor = the record's creation).
    anchor           timestamptz NOT NULL,
    next_run         timestamptz,
    last_due         timestamptz,
    -- What the latest check saw and did.
    last_checked     timestamptz,
    last_success     timestamptz,
    last_outcome     text,
    last_error       text,
    current_tag      text,
    -- The last tag_found published: the same (rollout, tag) is not requested twice.
    requested_rollout text,
    requested_tag    text
);
CREATE INDEX auto_updates_due ON auto_updates (next_run) WHERE NOT deleted;

CREATE TABLE webhook_secrets (
    auto_update text        PRIMARY KEY REFERENCES auto_updates (id) ON DELETE CASCADE,
    digest      text        NOT NULL,  -- hex SHA-256 of the secret
    unrevealed  text,                  -- the secret until it is shown once, then NULL
    created     timestamptz NOT NULL DEFAULT now()
);

-- Every check, for metrics, debugging and the guarantee "once per due time" (tests read it).
CREATE TABLE checks (
    id          bigserial   PRIMARY KEY,
    auto_update text        NOT NULL,
    trigger     text        NOT NULL,
    replica     text        NOT NULL,           -- instance id of the replica that ran it
    due_at      timestamptz NOT NULL,
    started     timestamptz NOT NULL,
    finished    timestamptz NOT NULL DEFAULT clock_timestamp(),
    outcome     text        NOT NULL,
    current_tag text        NOT NULL DEFAULT '',
    chosen_tag  text        NOT NULL DEFAULT '',
    listing     text,                           -- tag_listings.key of the listing used
    fetched     boolean     NOT NULL DEFAULT false,  -- this check made the listing (vs. shared it)
    error       text
);
CREATE INDEX checks_auto_update ON checks (auto_update, due_at);
CREATE INDEX checks_finished ON checks (finished);

-- The newest listing of each repository (per credentials): a check reuses it when it was fetched
-- after the check was dispatched, so all checks of one tick share one listing per repository.
CREATE TABLE tag_listings (
    key        text        PRIMARY KEY,  -- SHA-256 over registry, repository and credentials
    registry   text        NOT NULL,
    repository text        NOT NULL,
    fetched_at timestamptz NOT NULL,
    tags       jsonb,                    -- NULL when the listing failed
    error      text,
    requests   integer     NOT NULL DEFAULT 0
);
