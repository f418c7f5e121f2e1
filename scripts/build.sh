#!/usr/bin/env bash
# Builds the Worker (build/index.js + wasm) with worker-build. Skips when nothing changed.
#
# Works on a fresh clone (no target/, no build/): it creates the directories it writes to. The
# cold build is silent for minutes (worker-build prints nothing useful until the end), so it
# says where the log is, how long to expect, and every 30 s how far it got.
set -euo pipefail
SCRIPT_NAME=build
source "$(dirname "$0")/lib.sh"
ensure_tools
cd "$ROOT"
stamp=$(find src crates/edgeprobe-core crates/edgeprobe-web Cargo.toml Cargo.lock -type f -print0 | sort -z | xargs -0 cksum | cksum | cut -d' ' -f1)
if [ -f build/.stamp ] && [ "$(cat build/.stamp)" = "$stamp" ] && [ -f build/index.js ]; then
  say "worker build is up to date"
  exit 0
fi
mkdir -p target build
LOG="$ROOT/target/worker-build.log"
# Cold = cargo has no compiled wasm dependencies yet (fresh clone, or after `make clean`).
wasm_deps="${CARGO_TARGET_DIR:-$ROOT/target}/wasm32-unknown-unknown/release/deps"
if compgen -G "$wasm_deps/*.rlib" >/dev/null; then
  estimate="about 1-3 minutes (dependencies already compiled)"
else
  estimate="about 3-6 minutes the first time (compiling every dependency for wasm32); later builds take 1-3 minutes"
fi
say "building the worker (worker-build --release; wasm-opt skipped: it cannot be downloaded here)"
say "this takes $estimate; log: $LOG"
started=$SECONDS
worker-build --release --no-opt >"$LOG" 2>&1 &
build_pid=$!
# Progress while it runs: elapsed time and the crate cargo is on. Ends when worker-build does.
while kill -0 "$build_pid" 2>/dev/null; do
  for _ in $(seq 1 30); do kill -0 "$build_pid" 2>/dev/null || break; sleep 1; done
  if kill -0 "$build_pid" 2>/dev/null; then
    last=$(grep -oE '(Compiling|Running|Finished|Optimizing|Generating)[^\r]*' "$LOG" 2>/dev/null | tail -1 || true)
    say "still building ($((SECONDS - started)) s)${last:+: $last}"
  fi
done
status=0
wait "$build_pid" || status=$?
if [ "$status" != 0 ]; then
  tail -40 "$LOG" || true
  say "worker build failed (worker-build exited with $status after $((SECONDS - started)) s); full log: $LOG"
  exit 1
fi
# No wasm-opt here (--no-opt): at least drop the debug name section (~115 KB gzip).
# The names go to target/ (not deployed), for the capacity benchmark's CPU profile.
python3 scripts/strip_wasm_names.py build/index_bg.wasm "${CARGO_TARGET_DIR:-$ROOT/target}/worker-function-names.tsv" >>"$LOG" || { say "stripping the wasm name section failed"; exit 1; }
echo "$stamp" > build/.stamp
say "built build/index.js ($(du -h build/index_bg.wasm 2>/dev/null | cut -f1) wasm, $(( ($(gzip -9c build/index_bg.wasm | wc -c) + $(gzip -9c build/index.js | wc -c)) / 1024 )) KB gzip with index.js) in $((SECONDS - started)) s"
