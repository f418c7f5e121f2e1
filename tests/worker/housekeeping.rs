//! The cron trigger's housekeeping against the real local D1: the hour rows rounds leave
//! (`hour_stats`) of finished hours are rolled into hourly and daily rollups that the API
//! serves.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::json;

use edgeprobe_core::diagnosis::PathKind;
use edgeprobe_core::record::HourStats;
use edgeprobe_core::rollup::{self, Granularity, Sample};

use crate::client::{d1_execute, expect_status, reports_of, unique, Api};

const HOUR: i64 = 3_600_000;

#[test]
fn cron_rolls_finished_hours_into_rollups() {
    let api = Api::from_env();
    let m = api.post(
        "/api/v1/monitors",
        &json!({"name": "rollup", "slug": unique("rollup"), "url": "http://127.0.0.1:9/", "regions": ["weur"], "paused": true}),
    );
    expect_status(&m, 201);
    let id = m.json()["id"].as_str().expect("id").to_string();

    // The hour row of the hour that ended two hours ago, as rounds leave it (core::record):
    // four edge samples, three up (100, 120, 140 ms), one down.
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_millis() as i64;
    let hour = (now / HOUR - 3) * HOUR;
    let samples: Vec<Sample> = [
        (true, Some(100)),
        (true, Some(120)),
        (true, Some(140)),
        (false, None),
    ]
    .iter()
    .enumerate()
    .map(|(i, &(ok, latency_ms))| Sample {
        monitor_id: id.clone(),
        region: "weur".into(),
        path: PathKind::Edge,
        at: hour + 60_000 * (i as i64 + 1),
        ok,
        latency_ms,
    })
    .collect();
    let stats = HourStats {
        rollups: rollup::rollup(&samples, Granularity::Hour),
        seq: 4,
        last_scheduled_for: hour + 240_000,
        ..HourStats::empty(hour)
    };
    let data = serde_json::to_string(&stats).expect("json");
    d1_execute(&format!(
        "INSERT INTO hour_stats (monitor_id, hour, seq, data) VALUES ('{id}', {hour}, 4, '{data}')"
    ));

    // Other tests' cron runs may have rolled up to the latest hour already: the roller
    // resumes after its marker, so put the marker just before the seeded hour.
    d1_execute(&format!(
        "INSERT INTO meta (key, value) VALUES ('last_rolled_hour', '{}') \
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        hour - HOUR
    ));
    let fired = api.get_public("/__scheduled?cron=*+*+*+*+*");
    assert!(
        fired.status < 300,
        "the cron trigger ran: {} {}",
        fired.status,
        fired.body
    );

    let from = hour - HOUR;
    let r = api.get(&format!(
        "/api/v1/monitors/{id}/rollups?granularity=hour&from={}",
        rfc3339(from)
    ));
    expect_status(&r, 200);
    let v = r.json();
    let items = v["items"].as_array().expect("items");
    let edge: Vec<&serde_json::Value> = items
        .iter()
        .filter(|x| x["bucket_start"] == rfc3339(hour).as_str() && x["path"] == "edge")
        .collect();
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
    assert_eq!(
        checks, 4,
        "the day's rollup is built from its hours: {days}"
    );
}

fn rfc3339(ms: i64) -> String {
    edgeprobe_core::time::format_rfc3339(ms)
}

/// Issue 10 (security): the target policy is re-checked when probing and delivering, not only
/// when saving. A monitor and a channel whose stored targets the policy now refuses (seeded
/// into D1 as if saved before a rule tightened: port 6379 is refused whatever
/// ALLOW_PRIVATE_TARGETS says) are not probed or sent to; the round and the delivery say why;
/// the monitor can still be paused and deleted, while other patches report the problem.
#[test]
fn stored_targets_refused_by_a_tightened_policy_are_not_probed_or_sent_to() {
    let api = Api::from_env();
    let m = api.post(
        "/api/v1/monitors",
        &json!({"name": "policy", "slug": unique("policy"), "url": "http://127.0.0.1:9/", "regions": ["weur", "enam"], "paused": true}),
    );
    expect_status(&m, 201);
    let id = m.json()["id"].as_str().expect("id").to_string();
    d1_execute(&format!(
        "UPDATE monitors SET config = json_set(config, '$.url', 'http://127.0.0.1:6379/', '$.paused', json('false')) WHERE id = '{id}'"
    ));

    let r = api.post_empty(&format!("/api/v1/monitors/{id}/check"));
    expect_status(&r, 200);
    let round = r.json();
    let reports = reports_of(&round);
    let reports = reports.as_array().expect("reports");
    assert_eq!(reports.len(), 2, "{round}");
    for rep in reports {
        assert_eq!(rep["status"], "refused", "not probed: {round}");
        assert!(
            rep["reason"]
                .as_str()
                .is_some_and(|s| s.contains("port 6379")),
            "{round}"
        );
    }
    assert_eq!(round["diagnosis"]["verdict"], "inconclusive", "{round}");
    let summary = round["diagnosis"]["summary"].as_str().unwrap_or_default();
    assert!(
        summary.contains("refused by the target policy"),
        "{summary}"
    );
    let results = api
        .get(&format!("/api/v1/monitors/{id}/results?limit=1"))
        .json();
    let observations = results["items"][0]["observations"]
        .as_array()
        .expect("observations")
        .clone();
    assert_eq!(observations.len(), 2, "{results}");
    assert!(
        observations
            .iter()
            .all(|o| o.to_string().contains("refused_by_policy")),
        "recorded as refusals: {results}"
    );

    // Other patches report the refused target; pausing and deleting still work.
    let renamed = api.patch(
        &format!("/api/v1/monitors/{id}"),
        &json!({"name": "renamed"}),
    );
    expect_status(&renamed, 422);
    assert!(
        renamed.body.contains("/url") && renamed.body.contains("port 6379"),
        "{}",
        renamed.body
    );
    let paused = api.patch(&format!("/api/v1/monitors/{id}"), &json!({"paused": true}));
    expect_status(&paused, 200);
    assert_eq!(paused.json()["paused"], true);
    expect_status(&api.delete(&format!("/api/v1/monitors/{id}")), 204);

    // A channel whose stored URL is now refused: the delivery is dead with the reason, at once.
    let c = api.post(
        "/api/v1/channels",
        &json!({"name": "policy hook", "kind": "webhook", "url": "http://127.0.0.1:9/hook", "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}),
    );
    expect_status(&c, 201);
    let channel = c.json()["id"].as_str().expect("channel id").to_string();
    d1_execute(&format!(
        "UPDATE channels SET config = json_set(config, '$.url', 'http://127.0.0.1:6379/hook') WHERE id = '{channel}'"
    ));
    let t = api.post_empty(&format!("/api/v1/channels/{channel}/test"));
    expect_status(&t, 202);
    let delivery = t.json()["id"].as_str().expect("delivery id").to_string();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let v = loop {
        let v = api.get(&format!("/api/v1/deliveries/{delivery}")).json();
        if v["status"] == "dead" || std::time::Instant::now() >= deadline {
            break v;
        }
        std::thread::sleep(std::time::Duration::from_millis(250));
    };
    assert_eq!(v["status"], "dead", "{v}");
    assert_eq!(v["attempts"], 1, "{v}");
    assert_eq!(
        v["attempt_log"][0]["status_code"],
        serde_json::Value::Null,
        "nothing was sent: {v}"
    );
    let error = v["last_error"].as_str().unwrap_or_default();
    assert!(
        error.contains("refused by the target policy") && error.contains("port 6379"),
        "{v}"
    );
    assert!(
        !v.to_string().contains("127.0.0.1:6379/hook"),
        "the URL is not echoed: {v}"
    );
    expect_status(&api.delete(&format!("/api/v1/channels/{channel}")), 204);
}

/// A round stored with other words (as by an older release, before diagnoses were data) is
/// served with today's summary and checklist, rendered from its verdict and regions: wording
/// fixes apply to history. Its evidence keeps the stored finding, the only thing known of it.
#[test]
fn stored_rounds_are_served_with_todays_words() {
    let api = Api::from_env();
    let m = api.post(
        "/api/v1/monitors",
        &json!({"name": "history", "slug": unique("history"), "url": "http://127.0.0.1:9/", "regions": ["weur"], "paused": true}),
    );
    expect_status(&m, 201);
    let id = m.json()["id"].as_str().expect("id").to_string();
    let old = json!({
        "verdict": "origin_refused",
        "regional_cause": null,
        "severity": "critical",
        "confidence": "high",
        "summary": "The origin is down (old wording).",
        "affected_regions": ["weur"],
        "healthy_regions": [],
        "unanswered_regions": [],
        "evidence": [
            {"region": "weur", "path": "edge", "step": "http", "finding": "edge answered 502 (stored finding)"},
            {"region": "weur", "path": "origin", "step": "connect", "finding": "origin refused (stored finding)"}
        ],
        "alternatives": [],
        "also": [],
        "checklist": ["Reboot it (old wording)."]
    });
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_millis() as i64;
    d1_execute(&format!(
        "INSERT INTO round_log (id, monitor_id, kind, scheduled_for, started_at, finished_at, verdict, severity, diagnosis) \
         VALUES ('rnd_old_{id}', '{id}', 'scheduled', {t}, {t}, {t}, 'origin_refused', 'critical', '{}')",
        old.to_string().replace('\'', "''"),
        t = now - HOUR,
    ));

    let r = api.get(&format!("/api/v1/monitors/{id}/results?limit=1"));
    expect_status(&r, 200);
    let results = r.json();
    let d = &results["items"][0]["diagnosis"];
    assert_eq!(
        d["summary"],
        "The origin server refuses connections: nothing is listening on its port (the web server or app is down or listening elsewhere). Seen from 1 of 1 regions.",
        "{results}"
    );
    let checklist = d["checklist"].as_array().expect("checklist");
    assert_eq!(checklist.len(), 4, "{results}");
    assert!(
        checklist[0]
            .as_str()
            .is_some_and(|c| c.starts_with("Check that the web server or application process")),
        "{results}"
    );
    assert!(!d.to_string().contains("old wording"), "{results}");
    assert_eq!(
        d["evidence"][1]["finding"], "origin refused (stored finding)",
        "{results}"
    );
    assert_eq!(
        d["origin_configured"], true,
        "read from the stored evidence: {results}"
    );
}
