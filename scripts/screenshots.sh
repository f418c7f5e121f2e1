#!/usr/bin/env bash
# Screenshots of the public status pages at desktop and phone widths, with Debian's headless
# Chromium.
#
#   scripts/screenshots.sh [BASE_URL] [OUT_DIR] [SLUG]
#
# BASE_URL defaults to http://127.0.0.1:8787 (wrangler dev), OUT_DIR to docs/screenshots,
# SLUG (the monitor page to capture) to the first /status/{slug} link found on /status.
# Writes status-desktop.png, status-phone.png, monitor-desktop.png and monitor-phone.png.
#
# From a real worker with demo data: `scripts/screenshots.sh --demo [OUT_DIR]` builds nothing
# (run scripts/build.sh first), starts wrangler dev on a free port with a fresh local state,
# seeds it with scripts/seed_demo.py (the fixture monitors as public monitors, their status,
# rollups and incidents), takes the screenshots and stops the worker.
#
# Without a worker: `cargo run -p edgeprobe-web --example render_status_fixture -- /tmp/site`, serve /tmp/site
# with `python3 -m http.server -b 127.0.0.1 8799 -d /tmp/site`, then run this script against
# http://127.0.0.1:8799.
set -euo pipefail

if [[ "${1:-}" == "--demo" ]]; then
  SCRIPT_NAME=screenshots
  source "$(dirname "$0")/lib.sh"
  ensure_tools
  cd "$ROOT"
  mkdir -p tests/.run
  state=$(mktemp -d /tmp/edgeprobe-demo.XXXXXX)
  port=$(free_port)
  token="demo-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')"
  wrangler_pid=""
  trap 'stop_tree "$wrangler_pid"; rm -rf "$state"' EXIT INT TERM
  apply_migrations "$state"
  node_modules/.bin/wrangler dev --port "$port" --ip 127.0.0.1 --persist-to "$state" \
    --var ALLOW_PRIVATE_TARGETS:true --var RUNTIME:local --var API_TOKEN:"$token" \
    --var SITE_TITLE:"Example Corp status" --var DEFAULT_REGIONS:"weur,enam,apac" \
    --show-interactive-dev-session=false --log-level warn >tests/.run/wrangler-demo.log 2>&1 &
  wrangler_pid=$!
  wait_http "http://127.0.0.1:$port/healthz" 90 || { tail -50 tests/.run/wrangler-demo.log; exit 1; }
  python3 scripts/seed_demo.py "http://127.0.0.1:$port" "$token" "$state"
  "$0" "http://127.0.0.1:$port" "${2:-docs/screenshots}" shop
  exit 0
fi

base="${1:-http://127.0.0.1:8787}"
base="${base%/}"
out="${2:-docs/screenshots}"
slug="${3:-}"
chromium=/usr/bin/chromium

if [[ ! -x "$chromium" ]]; then
  echo "chromium not found; installing it with apt-get" >&2
  if [[ $(id -u) -ne 0 ]]; then sudo=sudo; else sudo=; fi
  $sudo apt-get update
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y chromium
fi

mkdir -p "$out"

if [[ -z "$slug" ]]; then
  # The index links each monitor as href="/status/{slug}"; take the first one.
  slug=$(python3 - "$base/status" <<'PY'
import re, sys, urllib.request
html = urllib.request.urlopen(sys.argv[1], timeout=10).read().decode("utf-8", "replace")
m = re.search(r'href="/status/([^"/]+)"', html)
print(m.group(1) if m else "")
PY
)
fi

shoot() { # url width height file
  local profile
  profile=$(mktemp -d)
  "$chromium" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --hide-scrollbars --user-data-dir="$profile" --window-size="$2,$3" \
    --screenshot="$4" "$1" >/dev/null 2>&1
  rm -rf "$profile"
  if [[ ! -s "$4" ]]; then echo "no screenshot for $1" >&2; return 1; fi
  # Screenshots are committed under docs/: shrink them when pngquant is around (optional).
  if command -v pngquant >/dev/null; then
    pngquant --force --skip-if-larger --quality 70-95 --output "$4" -- "$4" || true
  fi
  echo "$4"
}

shoot "$base/status" 1280 900 "$out/status-desktop.png"
shoot "$base/status" 390 844 "$out/status-phone.png"
if [[ -n "$slug" ]]; then
  shoot "$base/status/$slug" 1280 900 "$out/monitor-desktop.png"
  shoot "$base/status/$slug" 390 844 "$out/monitor-phone.png"
else
  echo "no monitor link on $base/status; skipped the monitor page" >&2
fi
