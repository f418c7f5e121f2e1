// Seeds the live worker of scripts/screenshots-live.sh through its API.
//   node scripts/screenshots_seed.js RIG_JSON BASE TOKEN setup|updates
// setup: public monitors on rig cases (shop: healthy, checkout: origin down, eu-api: one
// region blocked, search: healthy in a maintenance window, blog: healthy), a first round each,
// a maintenance window (through the maintenance API) and a site-wide manual incident.
// first-update / later-updates: operator updates on checkout's automatic incident and on the
// manual incident.
const [file, base, token, step] = process.argv.slice(2);
const rig = JSON.parse(require('fs').readFileSync(file, 'utf8'));
const h = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
const api = async (method, path, body) => {
  const r = await fetch(`${base}${path}`, { method, headers: h, body: body && JSON.stringify(body) });
  const text = await r.text();
  if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${text}`);
  return text ? JSON.parse(text) : null;
};
const kase = name => {
  const c = rig.cases.find(c => c.name === name);
  if (!c || c.skipped) throw new Error(`rig case ${name} missing or skipped`);
  return c;
};
const iso = min => new Date(Date.now() + min * 60000).toISOString();
const monitors = [
  ['shop', 'Shop', 'healthy'],
  ['checkout', 'Checkout', 'origin_down'],
  ['eu-api', 'EU API', 'one_region_blocked'],
  ['search', 'Search', 'healthy'],
  ['blog', 'Blog', 'healthy'],
];
const find = async slug => (await api('GET', `/api/v1/monitors?slug=${slug}`)).items[0];
(async () => {
  if (step === 'setup') {
    for (const [slug, name, c] of monitors) {
      const k = kase(c);
      const m = await api('POST', '/api/v1/monitors', {
        name, slug, url: k.front_url, public: true, interval_seconds: 60, timeout_ms: 6000,
        origin: { host: k.origin_host, port: k.origin_port, scheme: k.origin_scheme },
        confirmation: { recheck_delay_seconds: 5, regions_to_agree: 1 },
      });
      await api('POST', `/api/v1/monitors/${m.id}/check`);
      console.log(`  ${slug}: ${m.id}`);
    }
    const search = await find('search');
    await api('POST', `/api/v1/monitors/${search.id}/maintenance`, {
      starts_at: iso(-2), ends_at: iso(90), reason: 'Search index rebuild; results may be incomplete',
    });
    await api('POST', `/api/v1/monitors/${(await find('blog')).id}/maintenance`, {
      starts_at: iso(24 * 60), ends_at: iso(25 * 60), reason: 'Moving the blog to a new host',
    });
    await api('POST', '/api/v1/incidents', {
      title: 'Password reset emails delayed', impact: 'minor',
      message: 'Some password reset emails arrive up to 15 minutes late. We are investigating.',
    });
  } else if (step === 'first-update') {
    await api('POST', `/api/v1/incidents/${await checkoutIncident()}/updates`, {
      state: 'investigating', message: 'Checkout pages fail to load. We are looking into it.',
    });
  } else {
    await api('POST', `/api/v1/incidents/${await checkoutIncident()}/updates`, {
      state: 'identified',
      message: 'A database failover left the checkout servers without a connection. We are restarting them.',
    });
    const manual = (await api('GET', '/api/v1/incidents/' + (await latestManual()))).id;
    await api('POST', `/api/v1/incidents/${manual}/updates`, {
      state: 'monitoring', message: 'The mail queue is draining; new emails arrive within a minute.',
    });
  }
})().catch(e => { console.error(e.message); process.exit(1); });

async function checkoutIncident() {
  const checkout = await find('checkout');
  const list = await api('GET', `/api/v1/monitors/${checkout.id}/incidents`);
  const inc = list.items.find(i => i.kind === 'automatic' && !i.closed_at);
  if (!inc) throw new Error('checkout has no open incident yet');
  return inc.id;
}

// The manual incident's id: read back from the site feed (there is no incident list route).
async function latestManual() {
  const xml = await (await fetch(`${base}/status/feed.atom`)).text();
  const m = xml.match(/#incident-(inc_[^<"]+)/);
  if (!m) throw new Error('no manual incident in the site feed');
  return m[1];
}
