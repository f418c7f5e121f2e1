#!/usr/bin/env bash
# `make test`: every test, on a fresh machine or a warm one.
#  1. bootstrap if anything is missing (scripts/bootstrap.sh)
#  1b. the static gates (scripts/gates.sh): cargo fmt --check, clippy native and wasm32 with
#     warnings as errors, unused dependencies, lint tables, no platform crates under the pure
#     crates; each counts as one test in the summary line
#  2. native tests: the pure core, the rig's self-test (cargo test); its firewall tests once
#     more inside a network namespace scripts/netns.sh creates and marks
#  3. build the worker (worker-build)
#  4. integration tests (scripts/integration.sh): in a private network namespace it creates
#     when the machine allows one (so the firewall case can use a real packet filter without
#     touching the host), start wrangler dev on a free port with a fresh local state directory
#     and the rig's test CA trusted, run tests/worker against it over HTTP, stop everything
#  5. the README's run command from a pristine clone (scripts/check-run-command.sh): clone
#     HEAD, `make dev` there, /healthz, Ctrl-C, nothing left running; one pass/fail
#  6. print one summary line over all test runs
set -euo pipefail
SCRIPT_NAME=test
source "$(dirname "$0")/lib.sh"
ensure_tools
cd "$ROOT"
mkdir -p tests/.run
LOG=tests/.run/cargo-test.log
: > "$LOG"

say "static gates (fmt, clippy native + wasm32, unused dependencies, dependency graph)"
set +e
"$ROOT/scripts/gates.sh" 2>&1 | tee tests/.run/gates.out
gates=${PIPESTATUS[0]}
set -e

say "native tests (pure core, rig self-test)"
set +e
# --workspace: the root is also the worker's package, so a plain `cargo test` here would test
# only the worker (natively empty: 0 tests) and none of crates/.
cargo test --workspace --no-fail-fast 2>&1 | tee -a "$LOG"
native=${PIPESTATUS[0]}
# The rig's firewall tests once more where they may act: in a namespace scripts/netns.sh
# created and marked (above, on the host, they must skip).
if [ "$(id -u)" = 0 ] && unshare -n true 2>/dev/null; then
  say "the rig's firewall tests in a private network namespace"
  "$ROOT/scripts/netns.sh" cargo test -p edgeprobe-testkit --test rig_selftest -- firewall 2>&1 | tee -a "$LOG"
  [ "${PIPESTATUS[0]}" = 0 ] || native=1
fi
set -e

scripts/build.sh

say "integration tests against the worker under wrangler dev"
set +e
"$ROOT/scripts/integration.sh" 2>&1 | tee -a "$LOG"
integ=${PIPESTATUS[0]}
set -e

say "the README's run command from a pristine clone"
set +e
"$ROOT/scripts/check-run-command.sh" 2>&1 | tee tests/.run/check-run-command.out
runcmd=${PIPESTATUS[0]}
set -e

passed=$(grep -oE 'test result: [a-zA-Z]+\. [0-9]+ passed' "$LOG" | awk '{s+=$4} END {print s+0}')
failed=$(grep -oE '[0-9]+ failed;' "$LOG" | awk '{s+=$1} END {print s+0}')
if [ "$native" != 0 ] || [ "$integ" != 0 ]; then
  [ "$failed" -gt 0 ] || failed=$((failed + 1))
fi
# Each gate counts as one test.
gates_passed=$(grep -cE ' PASS [a-z-]+ \([0-9]+ s\)$' tests/.run/gates.out || true)
gates_failed=$(grep -cE ' FAIL [a-z-]+ \([0-9]+ s\)$' tests/.run/gates.out || true)
[ "$gates" = 0 ] || [ "$gates_failed" -gt 0 ] || gates_failed=1
passed=$((passed + gates_passed)); failed=$((failed + gates_failed))
# The run-command check counts as one test.
if [ "$runcmd" = 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
echo "$passed passed, $failed failed"
[ "$gates" = 0 ] && [ "$native" = 0 ] && [ "$integ" = 0 ] && [ "$runcmd" = 0 ]
