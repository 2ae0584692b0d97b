#!/usr/bin/env bash
# Starts a throwaway PostgreSQL server for the test suite on 127.0.0.1:5433 (trust auth on
# loopback) and prints the URL to put in PASSBOOK_TEST_DATABASE_URL. Needs Debian's postgresql
# package; run as root (the server itself runs as the postgres user).
set -euo pipefail
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
data=${PGDATA_DIR:-/tmp/passbook-test-pg}
if [ ! -f "$data/PG_VERSION" ]; then
  rm -rf "$data"
  mkdir -p "$data"
  chown postgres:postgres "$data"
  runuser -u postgres -- "$bin/initdb" -D "$data" -A trust -U postgres >/dev/null
fi
if ! runuser -u postgres -- "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
  runuser -u postgres -- "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w \
    -o "-p 5433 -k /tmp -c listen_addresses=127.0.0.1 -c max_connections=400 -c fsync=off" start >/dev/null
fi
# Every test makes a database of its own and leaves it; those of earlier runs go now, so that a
# server kept between runs does not fill the disk (about 8 MB a test).
leftovers=$(runuser -u postgres -- "$bin/psql" -h 127.0.0.1 -p 5433 -U postgres -At \
  -c "SELECT datname FROM pg_database WHERE datname LIKE 'passbook_test_%'")
for db in $leftovers; do
  runuser -u postgres -- "$bin/dropdb" -h 127.0.0.1 -p 5433 -U postgres --if-exists --force "$db"
done
echo "postgres://postgres@127.0.0.1:5433/postgres"
