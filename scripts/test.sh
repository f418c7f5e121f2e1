#!/usr/bin/env bash
# `make test`: every test, on a fresh machine or a warm one.
#  1. bootstrap if anything is missing (scripts/bootstrap.sh)
#  2. native tests: the pure core, the rig's self-test (cargo test)
#  3. build the worker (worker-build)
#  4. in a private network namespace when the machine allows one (so the firewall case can use
#     a real packet filter without touching the host): start wrangler dev on a free port with a
#     fresh local state directory, apply the D1 migrations, run the integration tests against
#     it over HTTP (cargo test --features integration --test worker), stop everything by pid
#  5. print one summary line over all test runs
set -euo pipefail
SCRIPT_NAME=test
source "$(dirname "$0")/lib.sh"
ensure_tools
cd "$ROOT"
mkdir -p tests/.run
LOG=tests/.run/cargo-test.log
: > "$LOG"

say "native tests (pure core, rig self-test)"
set +e
cargo test --no-fail-fast 2>&1 | tee -a "$LOG"
native=${PIPESTATUS[0]}
set -e

scripts/build.sh

say "integration tests against the worker under wrangler dev"
set +e
if [ "$(id -u)" = 0 ] && unshare -n true 2>/dev/null; then
  unshare -n "$ROOT/scripts/integration.sh" 2>&1 | tee -a "$LOG"
  integ=${PIPESTATUS[0]}
else
  say "no private network namespace here: running on the host's loopback (the firewall case will report itself skipped)"
  "$ROOT/scripts/integration.sh" 2>&1 | tee -a "$LOG"
  integ=${PIPESTATUS[0]}
fi
set -e

passed=$(grep -oE 'test result: [a-zA-Z]+\. [0-9]+ passed' "$LOG" | awk '{s+=$4} END {print s+0}')
failed=$(grep -oE '[0-9]+ failed;' "$LOG" | awk '{s+=$1} END {print s+0}')
if [ "$native" != 0 ] || [ "$integ" != 0 ]; then
  [ "$failed" -gt 0 ] || failed=1
fi
echo "$passed passed, $failed failed"
[ "$native" = 0 ] && [ "$integ" = 0 ]
