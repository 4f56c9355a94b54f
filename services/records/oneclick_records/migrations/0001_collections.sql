-- The One-Click collections. Ids are PocketBase's (15 chars [a-z0-9]); relations are text ids.
-- Relation columns hold '' for "none" only where PocketBase allows an empty relation (deployment.blueprint).

-- Read-model of auth's users (fed by user.* events), for expand=user/owner/users and relation checks.
CREATE TABLE users (
    id               text        PRIMARY KEY,
    email            text        NOT NULL DEFAULT '',
    email_visibility boolean     NOT NULL DEFAULT false,
    username         text        NOT NULL DEFAULT '',
    verified         boolean     NOT NULL DEFAULT false,
    name             text        NOT NULL DEFAULT '',
    avatar           text        NOT NULL DEFAULT '',
    created          timestamptz NOT NULL,
    updated          timestamptz NOT NULL,
    -- Events may arrive out of order after redeliveries: the newest `updated` wins.
    deleted          boolean     NOT NULL DEFAULT false
);

CREATE TABLE projects (
    id          text        PRIMARY KEY,
    name        text        NOT NULL,
    description text        NOT NULL DEFAULT '',
    tags        text        NOT NULL DEFAULT '',
    avatar      text        NOT NULL DEFAULT '',
    "user"      text        NOT NULL,
    created     timestamptz NOT NULL,
    updated     timestamptz NOT NULL
);
CREATE INDEX projects_user ON projects ("user", created);

CREATE TABLE blueprints (
    id          text        PRIMARY KEY,
    name        text        NOT NULL,
    description text        NOT NULL DEFAULT '',
    avatar      text        NOT NULL DEFAULT '',
    manifest    jsonb,
    private     boolean     NOT NULL DEFAULT false,
    owner       text        NOT NULL,
    users       text[]      NOT NULL DEFAULT '{}',
    created     timestamptz NOT NULL,
    updated     timestamptz NOT NULL
);
CREATE INDEX blueprints_owner ON blueprints (owner);
CREATE INDEX blueprints_users ON blueprints USING gin (users);

CREATE TABLE deployments (
    id          text        PRIMARY KEY,
    name        text        NOT NULL DEFAULT '',
    avatar      text        NOT NULL DEFAULT '',
    project     text        NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    blueprint   text        NOT NULL DEFAULT '',
    "user"      text        NOT NULL,
    created     timestamptz NOT NULL,
    updated     timestamptz NOT NULL
);
CREATE INDEX deployments_project ON deployments (project);
CREATE INDEX deployments_user ON deployments ("user", created);

CREATE TABLE rollouts (
    id          text        PRIMARY KEY,
    manifest    jsonb,
    start_date  timestamptz,
    end_date    timestamptz,
    hide        boolean     NOT NULL DEFAULT false,
    project     text        NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    deployment  text        NOT NULL REFERENCES deployments (id) ON DELETE CASCADE,
    "user"      text        NOT NULL,
    created     timestamptz NOT NULL,
    updated     timestamptz NOT NULL
);
CREATE INDEX rollouts_deployment ON rollouts (deployment, created);
CREATE INDEX rollouts_user ON rollouts ("user", created);
-- One-Click's rule, held by the database even under concurrent requests: one running rollout per deployment.
CREATE UNIQUE INDEX rollouts_one_running ON rollouts (deployment) WHERE end_date IS NULL;

CREATE TABLE auto_updates (
    id          text        PRIMARY KEY,
    interval    text        NOT NULL,
    pattern     text        NOT NULL DEFAULT '',
    policy      text        NOT NULL DEFAULT '',
    project     text        NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    deployment  text        NOT NULL REFERENCES deployments (id) ON DELETE CASCADE,
    "user"      text        NOT NULL,
    created     timestamptz NOT NULL,
    updated     timestamptz NOT NULL
);
CREATE INDEX auto_updates_deployment ON auto_updates (deployment);
CREATE INDEX auto_updates_user ON auto_updates ("user", created);

-- Files of records (avatars), in the database so every replica serves them and backups include them.
CREATE TABLE files (
    collection   text        NOT NULL,
    record_id    text        NOT NULL,
    field        text        NOT NULL,
    name         text        NOT NULL,
    content_type text        NOT NULL,
    data         bytea       NOT NULL,
    created      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (collection, record_id, name)
);
