//! The cron trigger's housekeeping against the real local D1: raw observations of finished
//! hours are rolled into hourly and daily rollups that the API serves.

use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::json;

use crate::client::{expect_status, unique, Api};

const HOUR: i64 = 3_600_000;

/// Runs SQL on the worker's local D1 from outside (to seed rows dated in the past). The worker
/// writes to the same SQLite file concurrently, so a busy database is retried, boundedly.
fn d1(sql: &str) {
    let state = std::env::var("EDGEPROBE_STATE").expect("EDGEPROBE_STATE");
    let mut last = String::new();
    for _ in 0..40 {
        let out = Command::new("node_modules/.bin/wrangler")
            .args(["d1", "execute", "DB", "--local", "--persist-to", &state, "--command", sql])
            .output()
            .expect("run wrangler d1 execute");
        if out.status.success() {
            return;
        }
        last = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        if !last.contains("SQLITE_BUSY") && !last.contains("database is locked") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(250));
    }
    panic!("wrangler d1 execute failed: {last}");
}

#[test]
fn cron_rolls_finished_hours_into_rollups() {
    let api = Api::from_env();
    let m = api.post(
        "/api/v1/monitors",
        &json!({"name": "rollup", "slug": unique("rollup"), "url": "http://127.0.0.1:9/", "regions": ["weur"], "paused": true}),
    );
    expect_status(&m, 201);
    let id = m.json()["id"].as_str().expect("id").to_string();

    // Four edge samples in the hour that ended two hours ago: three up (100, 120, 140 ms), one down.
    let now = SystemTime::now().duration_since(UNIX_EPOCH).expect("clock").as_millis() as i64;
    let hour = (now / HOUR - 3) * HOUR;
    let rows: Vec<String> = [(1, Some(100)), (1, Some(120)), (1, Some(140)), (0, None)]
        .iter()
        .enumerate()
        .map(|(i, (ok, ms))| {
            let ms = ms.map_or("NULL".to_string(), |v: i32| v.to_string());
            format!(
                "('rnd_seed_{id}_{i}', '{id}', 'weur', 'edge', {}, {ok}, {ms}, 'local', '{{}}')",
                hour + 60_000 * (i as i64 + 1)
            )
        })
        .collect();
    d1(&format!(
        "INSERT INTO observations (round_id, monitor_id, region, path, at, ok, latency_ms, colo, data) VALUES {}",
        rows.join(", ")
    ));

    let fired = api.get_public("/__scheduled?cron=*+*+*+*+*");
    assert!(fired.status < 300, "the cron trigger ran: {} {}", fired.status, fired.body);

    let from = hour - HOUR;
    let r = api.get(&format!("/api/v1/monitors/{id}/rollups?granularity=hour&from={}", rfc3339(from)));
    expect_status(&r, 200);
    let v = r.json();
    let items = v["items"].as_array().expect("items");
    let edge: Vec<&serde_json::Value> = items.iter().filter(|x| x["bucket_start"] == hour && x["path"] == "edge").collect();
    assert_eq!(edge.len(), 1, "one hourly rollup for that hour: {v}");
    assert_eq!(edge[0]["checks"], 4, "{v}");
    assert_eq!(edge[0]["failures"], 1, "{v}");
    assert_eq!(edge[0]["uptime"], 75.0, "{v}");
    let p50 = edge[0]["p50_ms"].as_u64().expect("p50");
    assert!(
        (100..=140).contains(&p50),
        "p50 within the samples' range (histogram buckets): {p50}"
    );

    let r = api.get(&format!(
        "/api/v1/monitors/{id}/rollups?granularity=day&from={}",
        rfc3339(hour - 48 * HOUR)
    ));
    expect_status(&r, 200);
    let days = r.json();
    let checks: u64 = days["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|x| x["path"] == "edge")
        .filter_map(|x| x["checks"].as_u64())
        .sum();
    assert_eq!(checks, 4, "the day's rollup is built from its hours: {days}");
}

fn rfc3339(ms: i64) -> String {
    edgeprobe::core::time::format_rfc3339(ms)
}
