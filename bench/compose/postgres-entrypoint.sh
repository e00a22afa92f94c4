#!/bin/sh
# First start: initdb with the superuser and password from the environment, then the database.
set -eu
mkdir -p "$PGDATA" /run/postgresql
chown postgres:postgres "$PGDATA" /run/postgresql
chmod 700 "$PGDATA"
as_pg() { setpriv --reuid=postgres --regid=postgres --init-groups "$@"; }
if [ ! -s "$PGDATA/PG_VERSION" ]; then
    pw=$(mktemp) && printf '%s\n' "${POSTGRES_PASSWORD:?}" > "$pw" && chown postgres "$pw"
    as_pg initdb -D "$PGDATA" -U "${POSTGRES_USER:=postgres}" --pwfile="$pw" \
        --auth-local=trust --auth-host=scram-sha-256 >/dev/null
    rm -f "$pw"
    echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
    db=${POSTGRES_DB:-$POSTGRES_USER}
    if [ "$db" != postgres ]; then
        as_pg pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start >/dev/null
        as_pg psql -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d postgres -c "CREATE DATABASE \"$db\"" >/dev/null
        as_pg pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
    fi
fi
[ "$1" = postgres ] && shift && exec setpriv --reuid=postgres --regid=postgres --init-groups \
    postgres -D "$PGDATA" -c listen_addresses='*' "$@"
exec "$@"
