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

say "starting the failure rig (nginx + origins)"
rm -f "$RIG_JSON"
cargo run -q --example rig -- --json "$RIG_JSON" --ignore-stdin > tests/.run/demo-rig.log 2>&1 &
RIG_PID=$!
for _ in $(seq 1 600); do [ -s "$RIG_JSON" ] && break; kill -0 "$RIG_PID" 2>/dev/null || break; sleep 0.5; done
[ -s "$RIG_JSON" ] || { tail -20 tests/.run/demo-rig.log; say "the rig did not start"; exit 1; }

say "starting the worker on http://127.0.0.1:$PORT"
apply_migrations "$STATE"
node_modules/.bin/wrangler dev --port "$PORT" --ip 127.0.0.1 --persist-to "$STATE" \
  --var ALLOW_PRIVATE_TARGETS:true --var RUNTIME:local --var API_TOKEN:"$TOKEN" \
  --var PUBLIC_BASE_URL:"http://127.0.0.1:$PORT" --var DEFAULT_REGIONS:"weur,enam,apac" \
  --var SITE_TITLE:"edgeprobe demo" \
  --test-scheduled --show-interactive-dev-session=false --log-level warn > tests/.run/demo-wrangler.log 2>&1 &
WRANGLER_PID=$!
wait_http "http://127.0.0.1:$PORT/healthz" 90 || { tail -30 tests/.run/demo-wrangler.log; exit 1; }

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
    const v = r.status === 200 ? (await r.json()).diagnosis.verdict : `HTTP ${r.status}`;
    console.log(`  ${c.name.padEnd(22)} expected ${c.expected.padEnd(28)} got ${v}`);
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
