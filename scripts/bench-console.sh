#!/usr/bin/env bash
# How long the operator console's pages take on a database with a production's worth of history:
# 100,000 link sessions over 14 days (400,000 timeline steps), 200,000 webhook attempts and
# 100,000 finished fetches of 1,000 accounts. Seeds a fresh SQLite file with sqlite3, runs the
# release build, logs in, and prints the median and slowest of 20 loads of each page.
# Usage: scripts/bench-console.sh   (needs sqlite3, curl and bc)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p passbook
bin=target/release/passbook
dir=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; [ -n "${KEEP_DB:-}" ] || rm -rf "$dir"' EXIT
db="sqlite://$dir/pb.db"
[ -n "${KEEP_DB:-}" ] && echo "database kept in $dir"
port=18181
base="http://127.0.0.1:$port"

$bin migrate --database-url "$db" >/dev/null
$bin apps create --name "Bench app" --database-url "$db" >/dev/null
now=$(($(date +%s) * 1000))
sqlite3 "$dir/pb.db" <<SQL
PRAGMA foreign_keys = OFF;
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 99999)
INSERT INTO link_sessions (id, mode, app_id, customer_id, step, flow_sealed, login_attempts, created_at, expires_at,
                           completed_at, institution_id, failure_reason, reached, last_step)
SELECT printf('session%08d', i), 'hosted', (SELECT id FROM apps LIMIT 1), 'customer',
       CASE i % 4 WHEN 0 THEN 'linked' WHEN 1 THEN 'failed' ELSE 'login' END, x'00', 1,
       $now - (i % 14) * 86400000 - i * 7, $now + 86400000, NULL,
       CASE i % 3 WHEN 0 THEN '5f2d08be60b92e2888287702' ELSE '5f2d08c060b92e2888287706' END,
       CASE i % 4 WHEN 1 THEN 'user_cancelled' END,
       1 | 2 | 8 | CASE i % 4 WHEN 0 THEN 1024 WHEN 1 THEN 2048 ELSE 0 END, 'login'
FROM n;
INSERT INTO link_timeline (session_id, position, at, step, note, institution_id)
SELECT id, 0, created_at, 'intro', NULL, NULL FROM link_sessions;
INSERT INTO link_timeline (session_id, position, at, step, note, institution_id)
SELECT id, 1, created_at + 1000, 'choose_institution', NULL, NULL FROM link_sessions;
INSERT INTO link_timeline (session_id, position, at, step, note, institution_id)
SELECT id, 2, created_at + 2000, 'login', CASE WHEN step = 'login' THEN 'Incorrect username or password' END, institution_id
FROM link_sessions;
INSERT INTO link_timeline (session_id, position, at, step, note, institution_id)
SELECT id, 3, created_at + 3000, step, failure_reason, institution_id FROM link_sessions WHERE step <> 'login';
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 199999)
INSERT INTO delivery_attempts (id, event_id, attempted_at, status_code, latency_ms, error, next_attempt_at, response_excerpt)
SELECT printf('attempt%08d', i), 'event', $now - (i % 14) * 86400000 - i, CASE WHEN i % 20 = 0 THEN 500 ELSE 200 END,
       5 + (i * 37) % 400, NULL, NULL, 'ok'
FROM n;
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 999)
INSERT INTO accounts (id, app_id, customer_id, institution_id, auth_method, connector_ref_sealed, account_number, currency,
                      data_status, authorised_at, next_refresh_at, created_at, updated_at)
SELECT printf('account%08d', i), (SELECT id FROM apps LIMIT 1), 'customer',
       CASE i % 3 WHEN 0 THEN '5f2d08be60b92e2888287702' ELSE '5f2d08c060b92e2888287706' END, 'internet_banking', x'00',
       printf('%010d', i), 'NGN', CASE WHEN i % 10 = 0 THEN 'FAILED' ELSE 'AVAILABLE' END, $now, $now + 365 * 86400000, $now, $now
FROM n;
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 99999)
INSERT INTO jobs (id, kind, subject, run_at, attempts, done_at, failed_at, created_at, app_id, started_at)
SELECT printf('job%08d', i), 'refresh_account', printf('account%08d', i % 1000), $now - i * 10, 1,
       CASE WHEN i % 50 = 0 THEN NULL ELSE $now - i * 10 + 200 + i % 900 END,
       CASE WHEN i % 50 = 0 THEN $now - i * 10 + 5000 END, $now - i * 10, (SELECT id FROM apps LIMIT 1), $now - i * 10
FROM n;
ANALYZE;
SQL
echo "pw-for-the-console-bench" | $bin operators create --email bench@example.com --password-stdin --database-url "$db" >/dev/null
$bin serve --database-url "$db" --listen "127.0.0.1:$port" --no-workers >/dev/null 2>&1 &
server=$!
for _ in $(seq 100); do curl -sf "$base/healthz" >/dev/null && break; sleep 0.1; done

jar="$dir/jar"
token=$(curl -s -c "$jar" "$base/console/login" | sed -n 's/.*name="form_token" value="\([^"]*\)".*/\1/p')
login=$(curl -s -o /dev/null -w '%{time_total}' -b "$jar" -c "$jar" -X POST "$base/console/login" \
  --data-urlencode "form_token=$token" --data-urlencode "email=bench@example.com" \
  --data-urlencode "password=pw-for-the-console-bench")
printf '%-44s %8.1f ms (argon2id check included)\n' "POST /console/login" "$(echo "$login * 1000" | bc -l)"
for page in /console "/console?days=90" /console/institutions "/console/links?status=failed" "/console/links?page=2000" /console/audit; do
  times=$(for _ in $(seq 20); do curl -s -o /dev/null -b "$jar" -w '%{time_total}\n' "$base$page"; done | sort -n)
  median=$(echo "$times" | sed -n 10p)
  worst=$(echo "$times" | tail -1)
  printf '%-44s %8.1f ms median, %8.1f ms slowest of 20\n' "GET $page" "$(echo "$median * 1000" | bc -l)" "$(echo "$worst * 1000" | bc -l)"
done
