#!/usr/bin/env bash
# Starts the worker under wrangler dev with a fresh local state and runs tests/worker against
# it. Called by scripts/test.sh. When the machine allows (root, unshare), it re-runs itself in
# a private network namespace it creates (scripts/netns.sh), so the rig's firewall cases use a
# real packet filter without touching the host; otherwise they report themselves skipped.
# Arguments, when given, are test-name filters passed to the test binary:
# `scripts/integration.sh rig_cases::`.
#
# TLS: the rig's test CA is made before wrangler starts (crates/edgeprobe-testkit/examples/rig.rs --make-ca) and given
# to workerd as NODE_EXTRA_CA_CERTS, and to the rig as EDGEPROBE_RIG_CA_DIR, so certificates
# the rig issues from it verify for real on both probe paths.
set -euo pipefail
SCRIPT_NAME=integration
source "$(dirname "$0")/lib.sh"
ensure_tools
cd "$ROOT"

if [ -z "${EDGEPROBE_NETNS_MARKER:-}" ]; then
  if [ "$(id -u)" = 0 ] && unshare -n true 2>/dev/null; then
    exec "$ROOT/scripts/netns.sh" "$ROOT/scripts/integration.sh" "$@"
  fi
  say "no private network namespace here (needs root and unshare): running on the host's loopback; the firewall cases will report themselves skipped"
fi

mkdir -p tests/.run
STATE=$(mktemp -d /tmp/edgeprobe-state.XXXXXX)
CA_DIR=$(mktemp -d /tmp/edgeprobe-ca.XXXXXX)
PORT=$(free_port)
TOKEN="test-token-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')"
WRANGLER_PID=""
cleanup() {
  stop_tree "$WRANGLER_PID"
  rm -rf "$STATE" "$CA_DIR"
}
trap cleanup EXIT INT TERM

say "making the rig's test CA in $CA_DIR (workerd trusts it through NODE_EXTRA_CA_CERTS)"
cargo run -q -p edgeprobe-testkit --example rig -- --make-ca "$CA_DIR" >/dev/null
export EDGEPROBE_RIG_CA_DIR="$CA_DIR"
apply_migrations "$STATE"
NODE_EXTRA_CA_CERTS="$CA_DIR/ca.pem" node_modules/.bin/wrangler dev --port "$PORT" --ip 127.0.0.1 --persist-to "$STATE" \
  --var ALLOW_PRIVATE_TARGETS:true --var RUNTIME:local --var API_TOKEN:"$TOKEN" \
  --var PUBLIC_BASE_URL:"http://127.0.0.1:$PORT" --var DEFAULT_REGIONS:"weur,enam,apac" \
  --test-scheduled --show-interactive-dev-session=false --log-level warn >tests/.run/wrangler.log 2>&1 &
WRANGLER_PID=$!
if ! wait_http "http://127.0.0.1:$PORT/healthz" 90; then
  say "wrangler dev did not serve /healthz within 90 s; its log:"
  tail -50 tests/.run/wrangler.log
  exit 1
fi
say "worker up at http://127.0.0.1:$PORT (state $STATE)"
export EDGEPROBE_URL="http://127.0.0.1:$PORT" EDGEPROBE_TOKEN="$TOKEN" EDGEPROBE_STATE="$STATE"
# Tests that open the worker's SQLite file from outside (`wrangler d1 execute`, a second process:
# housekeeping:: seeds rows, the delete-mid-round test reads tables) run alone, one at a time,
# after everything else: while they hold the file's lock the worker's own queries fail with
# SQLITE_BUSY, which made unrelated tests that ran beside them fail with 503.
# The tests that start (and kill) a wrangler dev of their own run there too: a second
# workerd starting beside the suite's hanging probes on 2 cores sometimes missed its 90 s.
# The CLI's apply test runs `apply --prune`, which deletes every monitor its file does not
# declare, so it must not run beside tests that create monitors.
RUN_ALONE=(housekeeping:: api_races::deleting_a_monitor_mid_round_leaves_nothing_behind
  api_races::a_round_cut_short_by_killing_workerd_is_recorded_missed
  api_races::more_coordinator_shards_rehome_monitors_keeping_phase_and_state
  api_races::a_stale_channel_reference_never_blocks_a_patch_that_leaves_channels_alone
  api_races::a_longer_tick_puts_monitors_of_one_interval_on_the_same_slots
  api_races::a_restarted_coordinator_does_not_store_a_steady_monitors_rounds_again
  alert_channels::an_incident_queued_before_migration_0005_still_resolves
  cli::cli_apply_plans_diffs_prunes_and_export_round_trips)
status=0
if [ $# -gt 0 ]; then
  # `scripts/integration.sh FILTER…`: only the named tests (a developer's quick loop); the full
  # suite, as `make test` runs it, takes no arguments.
  cargo test --features integration --test worker -- --test-threads 4 --show-output "$@" || status=$?
  exit $status
fi
skips=(); for t in "${RUN_ALONE[@]}"; do skips+=(--skip "$t"); done
cargo test --features integration --test worker -- --test-threads 4 --show-output "${skips[@]}" || status=$?
cargo test --features integration --test worker -- --test-threads 1 --show-output "${RUN_ALONE[@]}" || status=$?
exit $status
