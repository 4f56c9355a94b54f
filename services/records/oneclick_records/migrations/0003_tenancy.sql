-- Tenancy: a project's limits (set by superusers; NULL keeps the platform's defaults) and ingress hosts, each
-- claimed by one project at a time.
ALTER TABLE projects ADD COLUMN limits jsonb;

CREATE TABLE ingress_hosts (
    host     text        PRIMARY KEY,
    project  text        NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    created  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ingress_hosts_project ON ingress_hosts (project);

-- The hosts running rollouts serve already: where several projects use one, the earliest running rollout's
-- project keeps it (the others get "host already in use" at their next change).
INSERT INTO ingress_hosts (host, project, created)
SELECT DISTINCT ON (host) host, project, start_date FROM (
    SELECT lower(rtrim(h #>> '{}', '.')) AS host, r.project, r.start_date
    FROM rollouts r, jsonb_path_query(r.manifest, '$.spec.interfaces[*].ingress.rules[*].host') AS h
    WHERE r.end_date IS NULL AND jsonb_typeof(h) = 'string' AND h #>> '{}' <> ''
) used
ORDER BY host, start_date
ON CONFLICT DO NOTHING;
