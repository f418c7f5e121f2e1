#!/usr/bin/env bash
# Builds the Worker (build/index.js + wasm) with worker-build. Skips when nothing changed.
set -euo pipefail
SCRIPT_NAME=build
source "$(dirname "$0")/lib.sh"
ensure_tools
cd "$ROOT"
stamp=$(find src Cargo.toml Cargo.lock -type f -print0 | sort -z | xargs -0 cksum | cksum | cut -d' ' -f1)
if [ -f build/.stamp ] && [ "$(cat build/.stamp)" = "$stamp" ] && [ -f build/index.js ]; then
  say "worker build is up to date"
  exit 0
fi
say "building the worker (worker-build --release; wasm-opt skipped: it cannot be downloaded here)"
worker-build --release --no-opt >target/worker-build.log 2>&1 || { tail -40 target/worker-build.log; say "worker build failed"; exit 1; }
echo "$stamp" > build/.stamp
say "built build/index.js ($(du -h build/index_bg.wasm 2>/dev/null | cut -f1) wasm)"
