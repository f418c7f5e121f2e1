# Shared helpers for the scripts (sourced, not run).
# - ensure_tools: runs the bootstrap when anything it set up may be missing or stale, then
#   loads .tools/env.
# - free_port, wait_http: local plumbing for starting wrangler dev.
# - stop_tree: stops a process and all its descendants (wrangler spawns workerd).

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

say() { printf '\033[1m[%s]\033[0m %s\n' "${SCRIPT_NAME:-edgeprobe}" "$*"; }

ensure_tools() {
  local stamp
  stamp=$(cat "$ROOT/Cargo.lock" "$ROOT/package-lock.json" "$ROOT/scripts/bootstrap.sh" | cksum | cut -d' ' -f1)
  if [ -f "$ROOT/.tools/env" ]; then
    # shellcheck disable=SC1091
    source "$ROOT/.tools/env"
  fi
  if [ "${EDGEPROBE_BOOTSTRAPPED:-}" != "$stamp" ] || ! command -v worker-build >/dev/null \
     || ! [ -x "${WASM_BINDGEN_BIN:-/nonexistent}" ] || ! [ -x "$ROOT/node_modules/.bin/wrangler" ] \
     || ! rustc --print target-libdir --target wasm32-unknown-unknown >/dev/null 2>&1 \
     || ! compgen -G "$(rustc --print target-libdir --target wasm32-unknown-unknown)/libstd-*.rlib" >/dev/null; then
    "$ROOT/scripts/bootstrap.sh"
    # shellcheck disable=SC1091
    source "$ROOT/.tools/env"
  fi
  export WRANGLER_SEND_METRICS=false
  export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# wait_http URL SECONDS: polls until URL answers 200, at most SECONDS.
wait_http() {
  local url=$1 limit=$2 i=0
  while [ "$i" -lt $((limit * 4)) ]; do
    if curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null; then return 0; fi
    sleep 0.25; i=$((i + 1))
  done
  return 1
}

descendants() {
  local p
  for p in $(pgrep -P "$1" 2>/dev/null); do echo "$p"; descendants "$p"; done
}

# stop_tree PID: TERM the process and every descendant, then KILL what is left after 5 s.
stop_tree() {
  local pid=$1 all i
  [ -n "$pid" ] || return 0
  all="$pid $(descendants "$pid")"
  kill -TERM $all 2>/dev/null || true
  for i in $(seq 1 20); do
    kill -0 $all 2>/dev/null || return 0
    sleep 0.25
  done
  kill -KILL $all 2>/dev/null || true
}

# apply_migrations STATE_DIR: applies schema/migrations to the local D1 database.
apply_migrations() {
  (cd "$ROOT" && node_modules/.bin/wrangler d1 migrations apply DB --local --persist-to "$1" >/dev/null) \
    || { say "applying D1 migrations failed"; return 1; }
}
