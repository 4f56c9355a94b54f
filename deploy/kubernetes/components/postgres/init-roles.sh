#!/bin/sh
# Run by the postgres image on the first start of an empty data directory (/docker-entrypoint-initdb.d).
set -eu
psql --set ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  --set DBNAME="$POSTGRES_DB" \
  --set auth_password="$ONECLICK_AUTH_DB_PASSWORD" \
  --set records_password="$ONECLICK_RECORDS_DB_PASSWORD" \
  --set updater_password="$ONECLICK_UPDATER_DB_PASSWORD" \
  --file /etc/oneclick/roles.sql
