#!/usr/bin/env bash
# Screenshots of the status pages from a LIVE worker (issue 15): the failure rig (real nginx
# front, real origins), the worker under wrangler dev, monitors in mixed states that run real
# rounds every minute, a maintenance window and incidents with operator updates made through
# the API; then headless Chromium at 1280 and 390 px.
#
#   scripts/screenshots-live.sh [OUT_DIR] [MINUTES]
#
# OUT_DIR defaults to docs/screenshots, MINUTES (how long rounds run before the capture) to 4.
# Run scripts/build.sh first. Bounded: every wait has a limit, and everything it starts (rig,
# wrangler dev, the cron loop) is stopped on exit. The charts only have the minutes the rig
# ran: one point per region for the current hour (a point is an hour's median), and the 90-day
# strip has one day of data.
#
# Writes status-{desktop,phone}.png (index: mixed states, active incidents with their latest
# update), monitor-{desktop,phone}.png (a healthy monitor: 90-day strip, chart),
# maintenance-{desktop,phone}.png (an active window) and incident-{desktop,phone}.png (a down
# monitor's incident with operator updates).
set -euo pipefail
SCRIPT_NAME=screenshots-live
source "$(dirname "$0")/lib.sh"
ensure_tools
cd "$ROOT"
OUT=${1:-docs/screenshots}
MINUTES=${2:-4}
mkdir -p tests/.run "$OUT"
STATE=$(mktemp -d /tmp/edgeprobe-shots.XXXXXX)
PORT=$(free_port)
TOKEN="shots-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
RIG_JSON=tests/.run/shots-rig.json
RIG_PID=""; WRANGLER_PID=""; CRON_PID=""
cleanup() {
  trap - EXIT INT TERM
  [ -n "$CRON_PID" ] && kill "$CRON_PID" 2>/dev/null || true
  stop_tree "$WRANGLER_PID"
  stop_tree "$RIG_PID"
  rm -rf "$STATE"
}
trap cleanup EXIT INT TERM

cargo build -q -p edgeprobe-testkit --example rig
RIG_BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug/examples/rig"
rm -f "$RIG_JSON"
"$RIG_BIN" --json "$RIG_JSON" --ignore-stdin > tests/.run/shots-rig.log 2>&1 &
RIG_PID=$!
for _ in $(seq 1 60); do [ -s "$RIG_JSON" ] && break; sleep 0.5; done
[ -s "$RIG_JSON" ] || { tail -20 tests/.run/shots-rig.log; say "the rig did not start"; exit 1; }
CA_CERT=$(node -p 'require(process.argv[1]).ca_cert' "$ROOT/$RIG_JSON")

apply_migrations "$STATE"
NODE_EXTRA_CA_CERTS="$CA_CERT" node_modules/.bin/wrangler dev --port "$PORT" --ip 127.0.0.1 \
  --persist-to "$STATE" --var ALLOW_PRIVATE_TARGETS:true --var RUNTIME:local \
  --var API_TOKEN:"$TOKEN" --var PUBLIC_BASE_URL:"http://127.0.0.1:$PORT" \
  --var DEFAULT_REGIONS:"weur,enam,apac" --var SITE_TITLE:"Example Corp status" \
  --test-scheduled --show-interactive-dev-session=false --log-level warn \
  > tests/.run/shots-wrangler.log 2>&1 &
WRANGLER_PID=$!
wait_http "http://127.0.0.1:$PORT/healthz" 90 || { tail -30 tests/.run/shots-wrangler.log; exit 1; }
BASE="http://127.0.0.1:$PORT"

cron() { curl -fsS -o /dev/null --max-time 30 "$BASE/__scheduled?cron=*+*+*+*+*" || true; }
( while kill -0 "$WRANGLER_PID" 2>/dev/null; do sleep 30; cron; done ) &
CRON_PID=$!

say "creating monitors (up, down, degraded, maintenance) and running rounds for $MINUTES min"
node scripts/screenshots_seed.js "$RIG_JSON" "$BASE" "$TOKEN" setup
# The first operator update once checkout's incident is confirmed, the next ones at the end,
# so the timeline shows updates minutes apart.
sleep 60
node scripts/screenshots_seed.js "$RIG_JSON" "$BASE" "$TOKEN" first-update
sleep $(((MINUTES - 1) * 60))
node scripts/screenshots_seed.js "$RIG_JSON" "$BASE" "$TOKEN" later-updates
cron

shoot() { # url width height file
  local profile
  profile=$(mktemp -d)
  timeout 60 /usr/bin/chromium --headless --no-sandbox --disable-gpu --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --hide-scrollbars --user-data-dir="$profile" --window-size="$2,$3" \
    --screenshot="$4" "$1" >/dev/null 2>&1 || true
  rm -rf "$profile"
  [ -s "$4" ] || { say "no screenshot for $1"; return 1; }
  if command -v pngquant >/dev/null; then
    pngquant --force --skip-if-larger --quality 70-95 --output "$4" -- "$4" || true
  fi
  echo "$4"
}
# Heights: about each page's length at that width (the rest would be empty background).
shoot "$BASE/status" 1280 1500 "$OUT/status-desktop.png"
shoot "$BASE/status" 390 2500 "$OUT/status-phone.png"
shoot "$BASE/status/shop" 1280 1900 "$OUT/monitor-desktop.png"
shoot "$BASE/status/shop" 390 1950 "$OUT/monitor-phone.png"
shoot "$BASE/status/search" 1280 1900 "$OUT/maintenance-desktop.png"
shoot "$BASE/status/search" 390 2000 "$OUT/maintenance-phone.png"
shoot "$BASE/status/checkout" 1280 1500 "$OUT/incident-desktop.png"
shoot "$BASE/status/checkout" 390 2100 "$OUT/incident-phone.png"
