#!/bin/sh
# Make $PGDATA on first start from the image's template cluster: the superuser POSTGRES_USER with
# POSTGRES_PASSWORD, the database POSTGRES_DB, password logins from the pod network. Then run
# postgres with the arguments given.
set -eu
: "${PGDATA:=/var/lib/postgresql/data/pgdata}"
: "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD is not set: give the container a password}"
user="${POSTGRES_USER:-postgres}"
db="${POSTGRES_DB:-$user}"
sql_literal() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/''/g")"; }
sql_name() { printf '"%s"' "$(printf '%s' "$1" | sed 's/"/""/g')"; }
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  mkdir -p "$PGDATA" && chmod 700 "$PGDATA"
  cp -a /var/lib/postgresql/template/. "$PGDATA/"
  password="$(sql_literal "$POSTGRES_PASSWORD")"
  {
    if [ "$user" = postgres ]; then
      echo "ALTER ROLE postgres PASSWORD $password"
    else
      echo "CREATE ROLE $(sql_name "$user") SUPERUSER LOGIN PASSWORD $password"
    fi
    if [ "$db" != postgres ]; then
      echo "CREATE DATABASE $(sql_name "$db") OWNER $(sql_name "$user")"
    fi
  } | postgres --single -D "$PGDATA" postgres >/dev/null
fi
exec postgres -D "$PGDATA" -c listen_addresses='*' "$@"
