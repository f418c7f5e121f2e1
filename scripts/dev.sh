#!/usr/bin/env bash
# `make dev`: runs edgeprobe locally on wrangler dev's embedded runtime (workerd with local
# D1, KV and Durable Objects). Bootstraps and builds first when needed, applies the D1
# migrations, prints the URLs and the development API token, fires the cron trigger every
# minute (wrangler dev does not), and on Ctrl-C stops wrangler and every workerd it started.
#
# Environment: PORT (default 8787), EDGEPROBE_STATE (default .wrangler/state: data persists
# between runs; delete it for a clean slate).
set -euo pipefail
SCRIPT_NAME=dev
source "$(dirname "$0")/lib.sh"
ensure_tools
cd "$ROOT"
scripts/build.sh

PORT=${PORT:-8787}
STATE=${EDGEPROBE_STATE:-$ROOT/.wrangler/state}
mkdir -p "$STATE"
TOKEN_FILE="$STATE/dev-api-token"
[ -s "$TOKEN_FILE" ] || echo "dev-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')" > "$TOKEN_FILE"
TOKEN=$(cat "$TOKEN_FILE")
apply_migrations "$STATE"

WRANGLER_PID=""; CRON_PID=""
cleanup() {
  trap - EXIT INT TERM
  say "stopping"
  [ -n "$CRON_PID" ] && kill "$CRON_PID" 2>/dev/null || true
  stop_tree "$WRANGLER_PID"
}
trap cleanup EXIT INT TERM

node_modules/.bin/wrangler dev --port "$PORT" --ip 127.0.0.1 --persist-to "$STATE" \
  --var ALLOW_PRIVATE_TARGETS:true --var RUNTIME:local --var API_TOKEN:"$TOKEN" \
  --var PUBLIC_BASE_URL:"http://127.0.0.1:$PORT" \
  --test-scheduled --show-interactive-dev-session=false &
WRANGLER_PID=$!
if ! wait_http "http://127.0.0.1:$PORT/healthz" 90; then
  say "wrangler dev did not come up on port $PORT"
  exit 1
fi
# The cron trigger (re-arm alarms, roll-ups, pruning) fires once a minute while this runs.
( while kill -0 "$WRANGLER_PID" 2>/dev/null; do
    curl -fsS -o /dev/null --max-time 30 "http://127.0.0.1:$PORT/__scheduled?cron=*+*+*+*+*" || true
    sleep 60
  done ) &
CRON_PID=$!

cat <<MSG

  edgeprobe is running locally (workerd via wrangler dev; local D1, KV, Durable Objects)

  Status page     http://127.0.0.1:$PORT/status
  Health          http://127.0.0.1:$PORT/healthz
  API (OpenAPI)   http://127.0.0.1:$PORT/api/v1/openapi.json
  API token       $TOKEN      (development only; stored in $TOKEN_FILE)

  Create a monitor:
    curl -s -X POST http://127.0.0.1:$PORT/api/v1/monitors \\
      -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' \\
      -d '{"name":"Example","url":"https://example.com/","public":true,"slug":"example"}'

  Press Ctrl-C to stop.

MSG
wait "$WRANGLER_PID"
