#!/usr/bin/env bash
# `make demo`: the failure rig (real nginx front + origins that fail every way), the worker
# under wrangler dev, and one public monitor per failure case. Prints the status page URL;
# every verdict is visible there within about a minute. Ctrl-C stops everything.
#
# The firewall cases need a private network namespace (the test suite makes one); here they
# are listed as skipped by the rig, because a browser on this machine must reach the worker.
set -euo pipefail
SCRIPT_NAME=demo
source "$(dirname "$0")/lib.sh"
ensure_tools
cd "$ROOT"
scripts/build.sh
mkdir -p tests/.run
PORT=${PORT:-8787}
STATE=$(mktemp -d /tmp/edgeprobe-demo.XXXXXX)
TOKEN="demo-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
RIG_JSON=tests/.run/demo-rig.json
RIG_LOG=tests/.run/demo-rig.log
RIG_PID=""; WRANGLER_PID=""; CRON_PID=""
cleanup() {
  trap - EXIT INT TERM
  say "stopping the demo"
  [ -n "$CRON_PID" ] && kill "$CRON_PID" 2>/dev/null || true
  stop_tree "$WRANGLER_PID"
  stop_tree "$RIG_PID"
  rm -rf "$STATE"
}
trap cleanup EXIT INT TERM

# Build the rig first, with cargo's progress visible (a fresh clone compiles it for a minute or
# two); only then start it, so the start wait below is about the rig, not the compiler.
say "building the failure rig (cargo build -p edgeprobe-testkit --example rig; first time about 1-2 minutes)"
cargo build -p edgeprobe-testkit --example rig || { say "building the rig failed (cargo's output is above)"; exit 1; }
RIG_BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug/examples/rig"
[ -x "$RIG_BIN" ] || { say "the rig was built but $RIG_BIN is missing"; exit 1; }

say "starting the failure rig (nginx + origins; log: $ROOT/$RIG_LOG)"
rm -f "$RIG_JSON"
"$RIG_BIN" --json "$RIG_JSON" --ignore-stdin > "$RIG_LOG" 2>&1 &
RIG_PID=$!
# Certificates, nginx and a dozen listeners: a second or two; 30 s is generous.
for _ in $(seq 1 60); do [ -s "$RIG_JSON" ] && break; kill -0 "$RIG_PID" 2>/dev/null || break; sleep 0.5; done
if ! [ -s "$RIG_JSON" ]; then
  tail -20 "$RIG_LOG" || true
  if kill -0 "$RIG_PID" 2>/dev/null; then
    say "the rig did not start: no $RIG_JSON after 30 s (it is still running; full log: $ROOT/$RIG_LOG)"
  else
    rc=0; wait "$RIG_PID" || rc=$?; RIG_PID=""
    say "the rig did not start: it exited with status $rc (full log: $ROOT/$RIG_LOG)"
  fi
  exit 1
fi
# workerd trusts the rig's test CA through NODE_EXTRA_CA_CERTS (read by wrangler's local
# runtime), so the valid-certificate cases verify for real instead of failing TLS.
CA_CERT=$(node -p 'require(process.argv[1]).ca_cert' "$ROOT/$RIG_JSON")

say "starting the worker on http://127.0.0.1:$PORT (log: $ROOT/tests/.run/demo-wrangler.log)"
apply_migrations "$STATE"
NODE_EXTRA_CA_CERTS="$CA_CERT" node_modules/.bin/wrangler dev --port "$PORT" --ip 127.0.0.1 --persist-to "$STATE" \
  --var ALLOW_PRIVATE_TARGETS:true --var RUNTIME:local --var API_TOKEN:"$TOKEN" \
  --var PUBLIC_BASE_URL:"http://127.0.0.1:$PORT" --var DEFAULT_REGIONS:"weur,enam,apac" \
  --var SITE_TITLE:"edgeprobe demo" \
  --test-scheduled --show-interactive-dev-session=false --log-level warn > tests/.run/demo-wrangler.log 2>&1 &
WRANGLER_PID=$!
wait_http "http://127.0.0.1:$PORT/healthz" 90 || {
  tail -30 tests/.run/demo-wrangler.log
  say "wrangler dev did not serve /healthz within 90 s (full log: $ROOT/tests/.run/demo-wrangler.log)"
  exit 1
}

say "creating one public monitor per failure case and running a first round"
node - "$RIG_JSON" "http://127.0.0.1:$PORT" "$TOKEN" <<'JS'
const [file, base, token] = process.argv.slice(2);
const rig = JSON.parse(require('fs').readFileSync(file, 'utf8'));
const h = { 'authorization': `Bearer ${token}`, 'content-type': 'application/json' };
(async () => {
  const ids = [];
  for (const c of rig.cases) {
    if (c.skipped) { console.log(`  skipped ${c.name}: ${c.skipped}`); continue; }
    const body = {
      name: c.name.replace(/_/g, ' '), slug: c.name.replace(/_/g, '-'), url: c.front_url, public: true,
      origin: { host: c.origin_host, port: c.origin_port, scheme: c.origin_scheme },
      timeout_ms: 6000, interval_seconds: 60, tags: ['demo'],
    };
    const r = await fetch(`${base}/api/v1/monitors`, { method: 'POST', headers: h, body: JSON.stringify(body) });
    if (r.status !== 201) { console.log(`  ${c.name}: ${r.status} ${await r.text()}`); continue; }
    ids.push([c, (await r.json()).id]);
  }
  await Promise.all(ids.map(async ([c, id]) => {
    const r = await fetch(`${base}/api/v1/monitors/${id}/check`, { method: 'POST', headers: h });
    if (r.status !== 200) { console.log(`  ${c.name.padEnd(22)} expected ${c.expected.padEnd(28)} got HTTP ${r.status}`); return; }
    const d = (await r.json()).diagnosis;
    // Correct: the expected verdict, a regional one with the expected cause, or (where two
    // causes fit what is observable) another verdict that lists the expected one as its
    // alternative. Only wrong answers print "expected X got Y".
    const alt = (d.alternatives || []).some(a => a.verdict === c.expected);
    if (d.verdict === c.expected || (d.verdict === 'regional' && d.regional_cause === c.expected)) {
      console.log(`  ${c.name.padEnd(22)} ok  ${d.verdict}`);
    } else if (alt) {
      console.log(`  ${c.name.padEnd(22)} ok  ${d.verdict} (alternative: ${c.expected})`);
    } else {
      console.log(`  ${c.name.padEnd(22)} expected ${c.expected.padEnd(28)} got ${d.verdict}`);
    }
  }));
})().catch(e => { console.error(e); process.exit(1); });
JS

( while kill -0 "$WRANGLER_PID" 2>/dev/null; do
    sleep 60
    curl -fsS -o /dev/null --max-time 30 "http://127.0.0.1:$PORT/__scheduled?cron=*+*+*+*+*" || true
  done ) &
CRON_PID=$!

cat <<MSG

  Demo running. Open the status page:   http://127.0.0.1:$PORT/status
  API token (for curl):                 $TOKEN
  Press Ctrl-C to stop the rig and the worker.

MSG
wait "$WRANGLER_PID"
