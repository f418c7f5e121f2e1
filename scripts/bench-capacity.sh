#!/usr/bin/env bash
# `make bench-capacity`: the capacity benchmark (crates/edgeprobe-testkit/examples/capacity.rs).
# Builds the worker if needed, starts wrangler dev on a free port with fresh state (like
# scripts/integration.sh: in a private network namespace when the machine allows, so the rig's
# loopback origins are the only thing reachable), runs the benchmark against it and stops
# everything on exit or Ctrl-C. A benchmark, not a test: `make test` never runs it.
#
# Options (environment; defaults finish in about 3-4 minutes on 2 cores):
#   BENCH_MONITORS=100  BENCH_INTERVAL=30 (s)  BENCH_REGIONS=1 (1-3)  BENCH_HANGING=5
#   BENCH_FAILING=5  BENCH_DURATION=150 (s, the measured window)  BENCH_TIMEOUT_MS=5000
#   BENCH_HANG_TIMEOUT_MS=10000  BENCH_LOAD_SECONDS=4 (per public endpoint)
#   BENCH_CONNECTIONS=4  BENCH_WARMUP=interval+10 (s before the window: first rounds are one-offs)
#   BENCH_OUT=FILE (also write the report there)
#   BENCH_VARS="TICK_SECONDS:60 LANE_MAX_MONITORS:100" (extra worker vars, NAME:value each)
#   BENCH_PROFILE=1 (0: no V8 profile of the Worker's isolate)  BENCH_PROFILE_INTERVAL_US=1000
#   BENCH_TLS=0 (1: three more phases after the main window: plain, TLS, TLS failing; needs the
#     rig's CA, made here and given to workerd as NODE_EXTRA_CA_CERTS as scripts/integration.sh
#     does)  BENCH_TLS_MONITORS=100  BENCH_TLS_DURATION=60 (s per phase)
#   e.g. BENCH_MONITORS=500 BENCH_REGIONS=3 make bench-capacity
set -euo pipefail
SCRIPT_NAME=bench-capacity
source "$(dirname "$0")/lib.sh"
ensure_tools
cd "$ROOT"

if [ -z "${EDGEPROBE_NETNS_MARKER:-}" ]; then
  if [ "$(id -u)" = 0 ] && unshare -n true 2>/dev/null; then
    exec "$ROOT/scripts/netns.sh" "$ROOT/scripts/bench-capacity.sh" "$@"
  fi
  say "no private network namespace here (needs root and unshare): running on the host's loopback"
fi
for tool in curl python3 nginx; do
  command -v "$tool" >/dev/null || [ -x "/usr/sbin/$tool" ] \
    || { say "$tool is missing (scripts/bootstrap.sh installs nginx; curl and python3 come with the base image)"; exit 1; }
done

scripts/build.sh
say "building the benchmark"
cargo build -q -p edgeprobe-testkit --example capacity

mkdir -p tests/.run
STATE=$(mktemp -d /tmp/edgeprobe-bench.XXXXXX)
PORT=$(free_port)
TOKEN="bench-token-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')"
WRANGLER_PID=""
CA_DIR=""
cleanup() {
  stop_tree "$WRANGLER_PID"
  rm -rf "$STATE" ${CA_DIR:+"$CA_DIR"}
}
trap cleanup EXIT
trap 'exit 130' INT TERM

apply_migrations "$STATE"
extra_vars=()
for v in ${BENCH_VARS:-}; do extra_vars+=(--var "$v"); done
if [ "${BENCH_TLS:-0}" = 1 ]; then
  CA_DIR=$(mktemp -d /tmp/edgeprobe-ca.XXXXXX)
  cargo run -q -p edgeprobe-testkit --example rig -- --make-ca "$CA_DIR" >/dev/null
  export NODE_EXTRA_CA_CERTS="$CA_DIR/ca.pem" EDGEPROBE_RIG_CA_DIR="$CA_DIR"
fi
# wrangler dev keeps the user workerd's inspector on (its own port, found by the benchmark):
# the benchmark profiles the Worker's isolate through it (scripts/cdp-profile.mjs).
node_modules/.bin/wrangler dev --port "$PORT" --ip 127.0.0.1 --persist-to "$STATE" \
  --var ALLOW_PRIVATE_TARGETS:true --var RUNTIME:local --var API_TOKEN:"$TOKEN" \
  --var PUBLIC_BASE_URL:"http://127.0.0.1:$PORT" --var DEFAULT_REGIONS:"weur,enam,apac" \
  "${extra_vars[@]}" \
  --show-interactive-dev-session=false --log-level warn >tests/.run/bench-wrangler.log 2>&1 &
WRANGLER_PID=$!
if ! wait_http "http://127.0.0.1:$PORT/healthz" 90; then
  say "wrangler dev did not serve /healthz within 90 s; its log:"
  tail -50 tests/.run/bench-wrangler.log
  exit 1
fi
say "worker up at http://127.0.0.1:$PORT (state $STATE)"
export EDGEPROBE_URL="http://127.0.0.1:$PORT" EDGEPROBE_TOKEN="$TOKEN" EDGEPROBE_STATE="$STATE" \
  EDGEPROBE_WRANGLER_PID="$WRANGLER_PID"
out=${BENCH_OUT:-/dev/null}
target/debug/examples/capacity | tee "$out"
