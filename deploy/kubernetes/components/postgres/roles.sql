-- One role per service that keeps data, each owning only its schema (run once, as the database owner, by
-- init-roles.sh with psql variables auth_password, records_password, updater_password).
-- Nobody else gets anything by default: no public schema, no other service's tables.
REVOKE ALL ON DATABASE :"DBNAME" FROM PUBLIC;
REVOKE ALL ON SCHEMA public FROM PUBLIC;

CREATE ROLE oneclick_auth LOGIN PASSWORD :'auth_password';
CREATE ROLE oneclick_records LOGIN PASSWORD :'records_password';
CREATE ROLE oneclick_updater LOGIN PASSWORD :'updater_password';

-- CONNECT only: the schemas exist before the services start (migrations create one only when it is
-- missing), so no role can create schemas of its own. Each schema belongs to its service's role alone.
GRANT CONNECT ON DATABASE :"DBNAME" TO oneclick_auth, oneclick_records, oneclick_updater;
CREATE SCHEMA auth AUTHORIZATION oneclick_auth;
CREATE SCHEMA records AUTHORIZATION oneclick_records;
CREATE SCHEMA updater AUTHORIZATION oneclick_updater;
