#!/usr/bin/env python3
"""Seeds a local worker (wrangler dev) with demo data for screenshots: the status-page fixture
monitors (tests/fixtures/status_page/monitors.json) are created through the API as public
monitors, and their current status (KV), hourly and daily rollups and incidents (local D1)
are written with wrangler, shifted so the fixture's "now" is the real now.

    scripts/seed_demo.py BASE_URL TOKEN STATE_DIR

STATE_DIR is the --persist-to directory of the running `wrangler dev`. Demo only: the rows
imitate what the coordinator and the cron write; nothing here is used by the worker.
"""
import bisect
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WRANGLER = os.path.join(ROOT, "node_modules", ".bin", "wrangler")
HOUR, DAY = 3_600_000, 86_400_000
# core::rollup::histogram::BOUNDS (bucket lower bounds, ms).
BOUNDS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 13, 17, 22, 28, 37, 49, 65, 85, 113, 149, 196, 258, 341, 450, 594, 784,
          1034, 1365, 1801, 2378, 3138, 4143, 5468, 7218, 9527, 12576, 16600, 21911, 28923, 38178, 50395, 66521]


def api(base, token, method, path, body=None):
    req = urllib.request.Request(base + path, method=method, data=None if body is None else json.dumps(body).encode(),
                                 headers={"authorization": f"Bearer {token}", "content-type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read() or b"null")


def sql_str(s):
    return "'" + s.replace("'", "''") + "'"


def histogram(latencies):
    counts = {}
    for ms in latencies:
        b = bisect.bisect_right(BOUNDS, ms) - 1
        counts[b] = counts.get(b, 0) + 1
    return sorted(counts.items())


def snapshot(rel):
    """The content of an insta snapshot under tests/fixtures (the text after its `---` header)."""
    with open(os.path.join(ROOT, rel)) as f:
        return f.read().split("---\n", 2)[2]


def diagnosis_for(m):
    d = json.loads(snapshot("tests/fixtures/rounds/cf_522_origin_blocks_cdn_9_regions.expected.json.snap"))
    d.update(verdict=m["verdict"], summary=m["summary"], checklist=m["checklist"], regional_cause=None,
             affected_regions=[], healthy_regions=[r["region"] for r in m["regions"]], unanswered_regions=[],
             evidence=[], alternatives=[], also=[],
             severity={"up": "info", "degraded": "warning"}.get(m["health"], "critical"))
    return d


def main():
    base, token, state = sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3]
    with open(os.path.join(ROOT, "tests/fixtures/status_page/monitors.json")) as f:
        fx = json.load(f)
    now = int(time.time() * 1000)
    shift = now - fx["now"]
    hour_now = now - now % HOUR
    today = now - now % DAY
    rnd = random.Random(7)
    sql = []
    for m in fx["monitors"]:
        regions = [r["region"] for r in m["regions"]] or ["weur", "enam", "apac"]
        created = api(base, token, "POST", "/api/v1/monitors", {
            "name": m["name"], "url": f"https://{m['slug']}.example.com/", "slug": m["slug"], "public": True,
            "regions": regions,
        })
        mid = created["id"]
        if m["updated_at"] is None:
            continue
        status = {"monitor_id": mid, "slug": m["slug"], "name": m["name"], "public": True, "health": m["health"],
                  "diagnosis": diagnosis_for(m), "regions": m["regions"], "round_id": "rnd_demo",
                  "updated_at": m["updated_at"] + shift}
        subprocess.run([WRANGLER, "kv", "key", "put", f"status:{mid}", json.dumps(status), "--binding", "STATUS",
                        "--local", "--persist-to", state], check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
        series = [v for _, v in m["latency_series"] if v] or [120]
        incidents = [(i["started_at"] + shift, None if i["ended_at"] is None else i["ended_at"] + shift) for i in m["incidents"]]

        def failing(t):
            return any(s <= t < (e if e is not None else now + HOUR) for s, e in incidents)

        def row(granularity, start, checks, per_check_fail):
            for region in regions:
                lat = [max(1, int(series[(start // HOUR) % len(series)] * rnd.uniform(0.85, 1.2))) for _ in range(checks)]
                fails = sum(1 for _ in range(checks) if rnd.random() < per_check_fail)
                data = {"monitor_id": mid, "region": region, "path": "edge", "granularity": granularity,
                        "bucket_start": start, "checks": checks, "failures": fails,
                        "latency": histogram(lat[: checks - fails])}
                sql.append("INSERT INTO rollups (monitor_id, region, path, granularity, bucket_start, checks, failures, data) "
                           f"VALUES ({sql_str(mid)}, {sql_str(region)}, 'edge', '{granularity}', {start}, {checks}, {fails}, {sql_str(json.dumps(data))});")

        for h in range(1, 7 * 24 + 1):
            start = hour_now - h * HOUR
            row("hour", start, 60, 0.9 if failing(start) else 0.002)
        for d in range(1, 31):
            start = today - d * DAY
            row("day", start, 1440, 0.01 if any(s < start + DAY and (e or now) > start for s, e in incidents) else 0.001)
        for n, (inc, (s, e)) in enumerate(zip(m["incidents"], incidents)):
            iid = f"inc_demo_{m['slug']}_{n}"
            doc = {"id": iid, "monitor_id": mid, "started_at": s, "confirmed_at": s + 60_000, "verdict": inc["verdict"],
                   "severity": "critical", "summary": inc["summary"], "regions": inc["regions"], "timeline": []}
            sql.append("INSERT INTO incidents (id, monitor_id, opened_at, closed_at, verdict, data) VALUES "
                       f"({sql_str(iid)}, {sql_str(mid)}, {s}, {'NULL' if e is None else e}, {sql_str(inc['verdict'])}, {sql_str(json.dumps(doc))});")
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as f:
        f.write("\n".join(sql))
        path = f.name
    try:
        subprocess.run([WRANGLER, "d1", "execute", "DB", "--local", "--persist-to", state, "--file", path],
                       check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    finally:
        os.unlink(path)
    print(f"seeded {len(fx['monitors'])} monitors")


if __name__ == "__main__":
    main()
