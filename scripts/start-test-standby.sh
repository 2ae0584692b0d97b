#!/usr/bin/env bash
# Starts a streaming standby of the test PostgreSQL server (scripts/start-test-postgres.sh,
# 127.0.0.1:5433) on 127.0.0.1:5434 and prints its URL for PASSBOOK_TEST_STANDBY_URL: the
# outage tests point a server at it to check that a standby is noticed (readiness fails, writes
# answer 503) and left. Run as root (the server runs as the postgres user).
set -euo pipefail
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
data=${STANDBY_DIR:-/tmp/passbook-test-standby}
if [ ! -f "$data/PG_VERSION" ]; then
  rm -rf "$data"
  mkdir -p "$data"
  chown postgres:postgres "$data"
  # A replication slot keeps the primary's WAL until the standby has it: without one, a busy
  # primary (the benchmarks) recycles segments the standby still needs, and it stops following.
  runuser -u postgres -- "$bin/psql" -h 127.0.0.1 -p 5433 -U postgres -Atc \
    "SELECT pg_drop_replication_slot('passbook_standby') FROM pg_replication_slots WHERE slot_name = 'passbook_standby'" >/dev/null
  runuser -u postgres -- "$bin/pg_basebackup" -h 127.0.0.1 -p 5433 -U postgres -D "$data" -R -X stream \
    -C -S passbook_standby >/dev/null
  chmod 700 "$data"
  rm -f "$data/server.log"
fi
if ! runuser -u postgres -- "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
  runuser -u postgres -- "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w \
    -o "-p 5434 -k /tmp -c listen_addresses=127.0.0.1 -c max_connections=400 -c hot_standby=on" start >/dev/null
fi
echo "postgres://postgres@127.0.0.1:5434/postgres"
