#!/usr/bin/env bash
# Starts pgbouncer in transaction mode on 127.0.0.1:6435 in front of the test PostgreSQL server
# (scripts/start-test-postgres.sh, 127.0.0.1:5433), with a small server pool so that clients'
# transactions share server connections, and prints the URL to put in
# PASSBOOK_TEST_PGBOUNCER_URL (a database name is appended). Needs Debian's pgbouncer (1.18:
# no prepared statements across transactions); run as root (pgbouncer runs as postgres).
set -euo pipefail
dir=${PGBOUNCER_DIR:-/tmp/passbook-test-pgbouncer}
mkdir -p "$dir"
cat > "$dir/pgbouncer.ini" <<INI
[databases]
* = host=127.0.0.1 port=5433 user=postgres

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = 6435
unix_socket_dir =
auth_type = any
pool_mode = transaction
default_pool_size = 4
max_client_conn = 400
server_idle_timeout = 10
ignore_startup_parameters = extra_float_digits
logfile = $dir/pgbouncer.log
pidfile = $dir/pgbouncer.pid
INI
chown -R postgres:postgres "$dir"
if ! { [ -f "$dir/pgbouncer.pid" ] && kill -0 "$(cat "$dir/pgbouncer.pid")" 2>/dev/null; }; then
  runuser -u postgres -- "$(command -v pgbouncer || echo /usr/sbin/pgbouncer)" -d "$dir/pgbouncer.ini"
fi
for _ in $(seq 50); do
  (exec 3<>/dev/tcp/127.0.0.1/6435) 2>/dev/null && break
  sleep 0.1
done
echo "postgres://postgres@127.0.0.1:6435"
