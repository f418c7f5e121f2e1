#!/usr/bin/env bash
# The static gates `make test` runs before the native tests (scripts/test.sh), each one line
# "[gates] PASS name" or "[gates] FAIL name" (test.sh counts each as one test). Runnable on its
# own: `scripts/gates.sh` (exit status: the number of failed gates). On a warm machine (target/
# built by an earlier `make test`) they take well under a minute together.
#  fmt           cargo fmt --all --check (width: rustfmt.toml)
#  clippy        every native target of every crate, tests included, with -D warnings
#                semantics; also the unused-dependency check (scripts/clippy_gate.py): the
#                compiler's unused_crate_dependencies, exact for libraries and binaries (each
#                crate root enables it) and, aggregated over test/bench/example targets, for
#                dev-dependencies
#  clippy-wasm   the worker for wasm32 with -D warnings (its wasm32-only dependencies included)
#  lint-tables   every crate opts into [workspace.lints] (scripts/lint_tables.py)
#  core-deps     edgeprobe-core and edgeprobe-web depend on none of worker, js-sys,
#                wasm-bindgen, web-sys, tokio (on any target)
set -uo pipefail
SCRIPT_NAME=gates
source "$(dirname "$0")/lib.sh"
ensure_tools
cd "$ROOT"

failed=0
gate() { # gate NAME WHAT COMMAND...: runs COMMAND, prints one PASS/FAIL line with its time
  local name=$1 what=$2 started=$SECONDS; shift 2
  say "$name: $what"
  if "$@"; then
    say "PASS $name ($((SECONDS - started)) s)"
  else
    say "FAIL $name ($((SECONDS - started)) s)"
    failed=$((failed + 1))
  fi
}

fmt_check() {
  cargo fmt --all --check >tests/.run/fmt.diff 2>&1 && return 0
  echo "cargo fmt would change $(grep -c '^Diff in' tests/.run/fmt.diff) places (full diff: tests/.run/fmt.diff); run: cargo fmt --all"
  grep '^Diff in' tests/.run/fmt.diff | head -10
  return 1
}

clippy_native() {
  cargo clippy --workspace --all-targets --all-features --message-format json \
    -- -W unused_crate_dependencies 2>tests/.run/clippy.log | python3 scripts/clippy_gate.py
  local st=("${PIPESTATUS[@]}")
  if [ "${st[0]}" != 0 ]; then tail -20 tests/.run/clippy.log; return 1; fi
  [ "${st[1]}" = 0 ]
}

clippy_wasm() {
  cargo clippy -p edgeprobe-worker --target wasm32-unknown-unknown --quiet -- -D warnings
}

# The pure crates' whole dependency graph on every target (what they link), and the plain
# `cargo tree -p X` (host target, dev-dependencies too) the issue names.
core_deps() {
  local p bad=0 found
  for p in edgeprobe-core edgeprobe-web; do
    for args in "-e normal,build --target all" ""; do
      # shellcheck disable=SC2086 # args is two words on purpose
      found=$(cargo tree -p "$p" $args --prefix none -f '{p}' | awk '{print $1}' | sort -u \
        | grep -xE 'worker|worker-sys|worker-macros|js-sys|wasm-bindgen|web-sys|tokio' || true)
      if [ -n "$found" ]; then
        echo "$p depends on $(echo $found) (cargo tree -p $p $args -i <name> shows the path)"
        bad=1
      fi
    done
  done
  return $bad
}

mkdir -p tests/.run
gate fmt "cargo fmt --all --check" fmt_check
gate clippy "cargo clippy, every native target, warnings fail, unused dependencies fail" clippy_native
gate clippy-wasm "cargo clippy -p edgeprobe-worker --target wasm32-unknown-unknown -- -D warnings" clippy_wasm
gate lint-tables "every crate opts into [workspace.lints]" python3 scripts/lint_tables.py
gate core-deps "no worker, js-sys, wasm-bindgen, web-sys, tokio under edgeprobe-core and edgeprobe-web" core_deps
exit $failed
