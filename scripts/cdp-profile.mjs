// CPU profile of one V8 isolate of a local workerd through its inspector (Chrome DevTools
// Protocol: Profiler.enable / setSamplingInterval / start / stop), for the capacity benchmark
// (crates/edgeprobe-testkit/examples/capacity.rs), which sums the profile itself.
//
//   node --experimental-websocket scripts/cdp-profile.mjs profile PORT TARGET INTERVAL_US OUT
//     starts the profiler, prints "started <unix ms>", and stops when a line (or EOF) arrives
//     on stdin; writes the profile (.cpuprofile JSON) to OUT and prints "stopped".
//   node --experimental-websocket scripts/cdp-profile.mjs calibrate PORT TARGET INTERVAL_US OUT N
//     profiles a tight loop of N iterations evaluated inside the isolate (Runtime.evaluate),
//     writes the profile to OUT and prints "done <ms the evaluation took>".
//
// PORT is workerd's own inspector (`--inspector-addr`, not wrangler's proxy of it), TARGET an
// id from http://127.0.0.1:PORT/json such as `core:user:edgeprobe` (the user Worker's
// isolate, which also runs its Durable Objects and its wasm). Why Node and not a Rust client:
// Node is already required (wrangler), its WebSocket needs no new dependency, and the
// protocol is JSON. Node 20 needs --experimental-websocket; without a global WebSocket the
// `ws` package wrangler installs is used. Loopback only; every wait is bounded.

const [mode, port, target, intervalUs, out, iterations] = process.argv.slice(2);
if (!['profile', 'calibrate'].includes(mode) || !port || !target || !intervalUs || !out) {
  console.error('usage: cdp-profile.mjs profile|calibrate PORT TARGET INTERVAL_US OUT [N]');
  process.exit(2);
}
const fs = await import('node:fs');
const fail = (why) => {
  console.error(`cdp-profile: ${why}`);
  process.exit(1);
};
const timeout = (ms, what) =>
  new Promise((_, reject) => setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms).unref());

const list = await Promise.race([
  fetch(`http://127.0.0.1:${port}/json`).then((r) => r.json()),
  timeout(10_000, 'GET /json'),
]).catch((e) => fail(e.message));
const entry = list.find((t) => t.id === target);
if (!entry) fail(`no inspector target ${target} at port ${port} (have: ${list.map((t) => t.id).join(', ')})`);
const url = `ws://127.0.0.1:${port}/${encodeURIComponent(target).replace(/%3A/g, ':')}`;

let Socket = globalThis.WebSocket;
if (!Socket) Socket = (await import('ws')).default;
// workerd keeps one inspector session per isolate and boots the older one when another client
// attaches (wrangler's inspector proxy attaches once after each reload). The profiler belongs
// to the isolate, not to the session, so a booted session reconnects and still stops it.
const pending = new Map();
const echoes = new Map();
let context = null;
let ws = null;
let next = 1;
const connect = async () => {
  const socket = new Socket(url);
  socket.onerror = (e) => fail(`websocket ${url}: ${e.message ?? e.type}`);
  // workerd echoes commands it handles itself (Profiler.*) before (or instead of) answering, so
  // a command is answered only by a message with its id and a result or error.
  socket.onmessage = (ev) => {
    const m = JSON.parse(String(ev.data));
    if (process.env.CDP_DEBUG) console.error(String(ev.data).slice(0, 200));
    if (m.method === 'Runtime.executionContextCreated') context = m.params.context.id;
    if (m.id !== undefined && pending.has(m.id) && ('result' in m || 'error' in m)) {
      pending.get(m.id)(m);
      pending.delete(m.id);
    }
    if (m.id !== undefined && echoes.has(m.id)) {
      echoes.get(m.id)(m);
      echoes.delete(m.id);
    }
  };
  socket.onclose = () => {
    if (ws === socket) ws = null;
    for (const [, resolve] of pending) resolve({ error: { message: 'inspector session closed' } });
    pending.clear();
  };
  await Promise.race([new Promise((resolve) => (socket.onopen = resolve)), timeout(10_000, 'websocket open')]).catch(
    (e) => fail(e.message),
  );
  ws = socket;
};
const call = async (method, params = {}, ms = 60_000) => {
  if (!ws) await connect();
  return Promise.race([
    new Promise((resolve) => {
      const id = next++;
      pending.set(id, resolve);
      ws.send(JSON.stringify({ id, method, params }));
    }),
    timeout(ms, method),
  ]);
};
// Commands workerd handles itself (Profiler.*) are echoed once done, with no other answer:
// resolves on the echo.
const tell = (method, params = {}) =>
  Promise.race([
    new Promise((resolve) => {
      const id = next++;
      echoes.set(id, resolve);
      ws.send(JSON.stringify({ id, method, params }));
    }),
    timeout(60_000, method),
  ]).catch((e) => fail(e.message));
const keepAlive = setInterval(() => {}, 1000);
await connect();

const stop = async () => {
  let answer = await call('Profiler.stop', {}, 120_000).catch((e) => fail(e.message));
  if (answer.error?.message === 'inspector session closed') {
    answer = await call('Profiler.stop', {}, 120_000).catch((e) => fail(e.message));
  }
  if (!answer.result?.profile) fail(`Profiler.stop: ${JSON.stringify(answer).slice(0, 300)}`);
  fs.writeFileSync(out, JSON.stringify(answer.result.profile));
};

if (mode === 'calibrate') {
  await call('Runtime.enable').catch((e) => fail(e.message));
  if (context === null) fail('no execution context announced');
}
await tell('Profiler.enable');
await tell('Profiler.setSamplingInterval', { interval: Number(intervalUs) });
// Starting logs every compiled function (the wasm's thousands included) once: done when echoed,
// so that cost stays out of the measured window.
await tell('Profiler.start');

if (mode === 'profile') {
  console.log(`started ${Date.now()}`);
  process.stdin.resume();
  await new Promise((resolve) => {
    process.stdin.once('data', resolve);
    process.stdin.once('end', resolve);
  });
  await stop();
  console.log('stopped');
} else {
  const n = Number(iterations ?? 100_000_000);
  const expression = `(() => { let x = 0; for (let i = 0; i < ${n}; i++) { x = (x * 31 + i) % 1000003; } return x; })()`;
  const began = Date.now();
  const r = await call('Runtime.evaluate', { contextId: context, expression }, 120_000).catch((e) => fail(e.message));
  const took = Date.now() - began;
  if (r.error || r.result?.exceptionDetails) fail(`Runtime.evaluate: ${JSON.stringify(r).slice(0, 300)}`);
  await stop();
  console.log(`done ${took}`);
}
clearInterval(keepAlive);
ws.close();
process.exit(0);
