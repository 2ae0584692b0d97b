#!/usr/bin/env bash
# Runs schemathesis (https://schemathesis.io) against a real `passbook serve`: every operation of
# openapi.json, every check, generated cases by the thousand. Zero 5xx and every answer matching
# the document, or it fails.
#
#   scripts/schemathesis.sh                 # builds passbook, installs schemathesis in a venv
#   PASSBOOK_BIN=target/release/passbook SCHEMATHESIS_MAX_EXAMPLES=50 scripts/schemathesis.sh
#   SCHEMATHESIS_DATABASE_URL=postgres://…/empty_db scripts/schemathesis.sh
set -euo pipefail
cd "$(dirname "$0")/.."

venv="${SCHEMATHESIS_VENV:-target/schemathesis-venv}"
if [ ! -x "$venv/bin/schemathesis" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet 'schemathesis>=4.3,<5'
fi
bin="${PASSBOOK_BIN:-target/debug/passbook}"
[ -n "${PASSBOOK_BIN:-}" ] || cargo build --quiet -p passbook

work="$(mktemp -d)"
server=""
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

# SCHEMATHESIS_DATABASE_URL: an empty database to run on instead (PostgreSQL, say).
export PASSBOOK_DATABASE_URL="${SCHEMATHESIS_DATABASE_URL:-sqlite://$work/passbook.db}"
export PASSBOOK_MASTER_KEY_FILE="$work/master.key"
"$bin" migrate >/dev/null 2>&1
key="$("$bin" apps create --name schemathesis --json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["secret_key"])')"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
base="http://127.0.0.1:$port"
# Generated requests come fast from one address: the limits are off so that they test the API,
# not the limiter (which has its own tests). `serve` takes extra arguments: `--no-workers` once the
# accounts are linked, so that webhooks to the URLs schemathesis sets never leave the machine.
serve() {
  "$bin" serve --listen "127.0.0.1:$port" --rate-limit-per-address 0 --rate-limit-per-key 0 \
    --link-actions-per-address 0 --widget-sessions-per-key 0 "$@" >>"$work/serve.log" 2>&1 &
  server=$!
  for _ in $(seq 100); do curl -fsS "$base/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
}
serve

# One linked account, through the Partners API, for the account endpoints (see schemathesis.toml).
api() { curl -fsS -H "mono-sec-key: $key" -H 'content-type: application/json' "$@"; }
field() { python3 -c "import json,sys; d=json.load(sys.stdin); print(eval('d' + sys.argv[1]))" "$1"; }
link() {
  local session code
  session="$(api "$base/v2/connect/session" -d "{\"institution\":\"5f2d08be60b92e2888287702\",\"auth_method\":\"internet_banking\",
    \"customer\":{\"name\":\"Schema Thesis\",\"email\":\"$1@example.com\"}}" | field "['data']['session']['id']")"
  code="$(api "$base/v2/connect/login" -H "x-session-id: $session" -d '{"username":"user_good","password":"123456"}' | field "['data']['code']")"
  api "$base/v2/accounts/auth" -d "{\"code\":\"$code\"}" | field "['id']"
}
export PASSBOOK_ACCOUNT_ID="$(link reader)" PASSBOOK_UNLINK_ID="$(link unlinked)"
for _ in $(seq 100); do
  [ "$(api "$base/v2/accounts/$PASSBOOK_ACCOUNT_ID" | field "['data']['meta']['data_status']")" = AVAILABLE ] && break
  sleep 0.1
done
kill "$server" && wait "$server" || true
serve --no-workers

status=0
# The sandbox clock only moves ahead, a year at most per request, refreshing every account for
# each day crossed: a fuzzer's hundreds of moves would carry the app decades on. Its refusals are
# tested in tests/it/time_travel.rs.
"$venv/bin/schemathesis" --config-file scripts/schemathesis.toml run "$base/openapi.json" \
  --header "mono-sec-key: $key" \
  --checks all \
  --max-examples "${SCHEMATHESIS_MAX_EXAMPLES:-100}" \
  --workers 1 \
  --request-timeout 30 \
  --suppress-health-check too_slow \
  --seed "${SCHEMATHESIS_SEED:-20261130}" \
  --exclude-operation-id advanceSandboxClock \
  "$@" || status=$?
if grep -E ' ERROR |panicked' "$work/serve.log"; then
  echo "passbook logged errors during the run (above)" >&2
  status=1
fi
exit $status
