#!/usr/bin/env bash
# The production recipe of docs/production.md on one machine, for the failover test
# (crates/passbook/tests/it/failover.rs): etcd, two PostgreSQL nodes run by Patroni with
# synchronous replication, and HAProxy sending connections to whichever node Patroni's
# `/primary` check says leads, closing the sessions of a node it marks down. Starts whatever is
# not running (so the test calls it again to bring back a node it killed), waits until a primary
# answers through HAProxy and its standby is synchronous, and prints the environment the test
# reads:
#   PASSBOOK_TEST_HA_URL      the database URL through HAProxy (what Passbook is given)
#   PASSBOOK_TEST_HA_NODES    name=data_dir=patroni_rest_url of each node, comma-separated
# Needs Debian's patroni, etcd-server and haproxy (and postgresql); run as root (PostgreSQL and
# Patroni run as the postgres user). HA_DIR moves its files (default /tmp/passbook-ha).
set -euo pipefail
dir=${HA_DIR:-/tmp/passbook-ha}
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
mkdir -p "$dir"
chown postgres:postgres "$dir"

running() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
# Patroni's view: one leader running and a synchronous standby that runs too.
settled() {
  curl -sf http://127.0.0.1:8441/cluster | python3 -c '
import json, sys
members = json.load(sys.stdin)["members"]
up = lambda role: any(m["role"] == role and m["state"] in ("running", "streaming") for m in members)
sys.exit(0 if up("leader") and up("sync_standby") else 1)' 2>/dev/null
}

# etcd: one member, the distributed configuration store Patroni keeps its leader lock in.
if ! running "$dir/etcd.pid"; then
  runuser -u postgres -- etcd --name ha --data-dir "$dir/etcd" \
    --listen-client-urls http://127.0.0.1:2479 --advertise-client-urls http://127.0.0.1:2479 \
    --listen-peer-urls http://127.0.0.1:2480 --initial-advertise-peer-urls http://127.0.0.1:2480 \
    --initial-cluster ha=http://127.0.0.1:2480 >"$dir/etcd.log" 2>&1 &
  echo $! >"$dir/etcd.pid"
fi
for _ in $(seq 50); do
  curl -sf http://127.0.0.1:2479/health >/dev/null && break
  sleep 0.2
done

node_config() { # name pg_port rest_port
  cat <<YAML
scope: passbook-ha
name: $1
restapi:
  listen: 127.0.0.1:$3
  connect_address: 127.0.0.1:$3
etcd3:
  hosts: 127.0.0.1:2479
bootstrap:
  dcs:
    # Patroni's shortest lease: a lost primary is replaced within ttl + loop_wait.
    ttl: 20
    loop_wait: 1
    retry_timeout: 5
    maximum_lag_on_failover: 1048576
    # Zero loss: a commit returns only once the standby has it, and only that standby is
    # promoted.
    synchronous_mode: true
    postgresql:
      use_pg_rewind: true
      parameters:
        max_connections: 300
        wal_log_hints: "on"
        max_wal_senders: 10
        max_replication_slots: 10
  initdb:
    - encoding: UTF8
    - auth: trust
  pg_hba:
    - host all all 127.0.0.1/32 trust
    - host replication all 127.0.0.1/32 trust
    - local all all trust
postgresql:
  listen: 127.0.0.1:$2
  connect_address: 127.0.0.1:$2
  data_dir: $dir/$1
  bin_dir: $bin
  pgpass: $dir/$1.pgpass
  authentication:
    replication:
      username: postgres
    superuser:
      username: postgres
    rewind:
      username: postgres
  parameters:
    unix_socket_directories: $dir
watchdog:
  # No /dev/watchdog in a test machine; docs/production.md says to use one.
  mode: "off"
YAML
}

nodes=()
for spec in pg1:5441:8441 pg2:5442:8442; do
  IFS=: read -r name port rest <<<"$spec"
  node_config "$name" "$port" "$rest" >"$dir/$name.yml"
  chown postgres:postgres "$dir/$name.yml"
  if ! running "$dir/$name.pid"; then
    runuser -u postgres -- patroni "$dir/$name.yml" >>"$dir/$name.log" 2>&1 &
    echo $! >"$dir/$name.pid"
  fi
  nodes+=("$name=$dir/$name=http://127.0.0.1:$rest")
done

cat >"$dir/haproxy.cfg" <<CFG
global
  maxconn 1000
defaults
  mode tcp
  timeout connect 2s
  timeout client 30m
  timeout server 30m
  timeout check 1s
listen primary
  bind 127.0.0.1:5440
  option httpchk OPTIONS /primary
  http-check expect status 200
  default-server inter 500ms fall 2 rise 1 on-marked-down shutdown-sessions
  server pg1 127.0.0.1:5441 maxconn 300 check port 8441
  server pg2 127.0.0.1:5442 maxconn 300 check port 8442
CFG
if ! running "$dir/haproxy.pid"; then
  haproxy -D -f "$dir/haproxy.cfg" -p "$dir/haproxy.pid"
fi

# Ready: Patroni has settled, and the primary HAProxy leads to streams to a synchronous standby.
synchronous() {
  [ "$("$bin/psql" -h 127.0.0.1 -p 5440 -U postgres -Atc \
    "SELECT COUNT(*) FROM pg_stat_replication WHERE sync_state = 'sync' AND state = 'streaming'" postgres 2>/dev/null)" = 1 ]
}
for _ in $(seq 600); do
  settled && synchronous && break
  sleep 0.2
done
settled && synchronous || { echo "the HA stack did not settle within 2 minutes; logs in $dir" >&2; exit 1; }

# Leftover test databases of earlier runs go, as in start-test-postgres.sh (not when the test
# itself brings back a node it killed: HA_KEEP_DATABASES=1).
if [ -z "${HA_KEEP_DATABASES:-}" ]; then
  for db in $("$bin/psql" -h 127.0.0.1 -p 5440 -U postgres -Atc \
    "SELECT datname FROM pg_database WHERE datname LIKE 'passbook_test_%'" postgres); do
    "$bin/dropdb" -h 127.0.0.1 -p 5440 -U postgres --if-exists --force "$db"
  done
fi

echo "PASSBOOK_TEST_HA_URL=postgres://postgres@127.0.0.1:5440/postgres"
echo "PASSBOOK_TEST_HA_NODES=$(IFS=,; echo "${nodes[*]}")"
