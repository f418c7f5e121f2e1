//! Rounds over time (issue 12): a hanging monitor never holds back the others, monitors due in
//! one tick share one alarm, and the status document is written on change only. Asserted by
//! counts and stored values, never by timings.

use std::collections::BTreeMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

use crate::client::{expect_status, unique, Api};
use crate::rig;
use crate::shared::rig;

fn case(name: &str) -> &'static rig::Case {
    rig()
        .case(name)
        .unwrap_or_else(|| panic!("rig has no case {name}"))
}

/// A time the API serves (RFC 3339) as Unix milliseconds.
fn ms(v: &Value) -> i64 {
    v.as_str()
        .and_then(edgeprobe_core::time::parse_rfc3339)
        .unwrap_or_else(|| panic!("not an RFC 3339 time: {v}"))
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_millis() as i64
}

/// A monitor of a rig case, probed from one region every 30 s; returns its id.
fn create(api: &Api, c: &rig::Case, timeout_ms: u64, origin: bool) -> String {
    let slug = unique(&format!("rounds-{}", c.name.replace('_', "-")));
    let mut body = json!({
        "name": slug,
        "slug": slug,
        "url": c.front_url,
        "regions": ["weur"],
        "timeout_ms": timeout_ms,
        "interval_seconds": 30,
        // Re-checks (asked for by failing rounds) come after these tests are done.
        "confirmation": {"regions_to_agree": 1, "recheck_delay_seconds": 300},
    });
    if origin {
        body["origin"] =
            json!({ "host": c.origin_host, "port": c.origin_port, "scheme": c.origin_scheme });
    }
    let r = api.post("/api/v1/monitors", &body);
    expect_status(&r, 201);
    r.json()["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id in {}", r.body))
        .to_string()
}

/// Deletes the monitors when dropped (also when a test fails half-way): stops their schedule.
struct DeleteOnDrop(Vec<String>);

impl Drop for DeleteOnDrop {
    fn drop(&mut self) {
        let api = Api::from_env();
        for id in &self.0 {
            let _ = api.delete(&format!("/api/v1/monitors/{id}"));
        }
    }
}

/// Checks counted in a monitor's hourly rollups (the current, partial hour included).
fn checks(api: &Api, id: &str, since: i64) -> u64 {
    let from = edgeprobe_core::time::format_rfc3339(since - since % 3_600_000);
    let r = api.get(&format!(
        "/api/v1/monitors/{id}/rollups?granularity=hour&from={from}"
    ));
    expect_status(&r, 200);
    r.json()["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|x| x["path"] == "edge")
        .filter_map(|x| x["checks"].as_u64())
        .sum()
}

/// The stored rounds of a monitor (newest first), up to 100.
fn rounds(api: &Api, id: &str) -> Vec<Value> {
    let r = api.get(&format!("/api/v1/monitors/{id}/results?limit=100"));
    expect_status(&r, 200);
    r.json()["items"].as_array().cloned().unwrap_or_default()
}

/// Issue 12: one hanging origin (and its 20 s timeout) among healthy monitors used to push
/// their rounds late enough to be recorded `missed`. Now every healthy monitor runs each of
/// its slots and the hanging ones still end as classified timeouts.
#[test]
fn hanging_monitors_beside_healthy_ones_keep_their_cadence() {
    let api = Api::from_env();
    let (healthy, hang) = (case("healthy"), case("hang"));
    let start = now_ms();
    let healthy_ids: Vec<String> = (0..8).map(|_| create(&api, healthy, 3_000, true)).collect();
    let hang_ids: Vec<String> = (0..3).map(|_| create(&api, hang, 20_000, true)).collect();
    let _cleanup = DeleteOnDrop(healthy_ids.iter().chain(&hang_ids).cloned().collect());

    // Four slots of every monitor fall within 130 s of its creation.
    std::thread::sleep(Duration::from_secs(130));
    for id in &healthy_ids {
        let n = checks(&api, id, start);
        assert!(
            n >= 3,
            "healthy monitor {id} ran {n} rounds in 130 s (4 slots)"
        );
        let stored = rounds(&api, id);
        let missed: Vec<&Value> = stored.iter().filter(|r| r["kind"] == "missed").collect();
        assert!(
            missed.is_empty(),
            "healthy monitor {id} had missed slots: {missed:?}"
        );
    }
    for id in &hang_ids {
        let stored = rounds(&api, id);
        let scheduled: Vec<&Value> = stored.iter().filter(|r| r["kind"] == "scheduled").collect();
        assert!(
            scheduled.len() >= 3,
            "hanging monitor {id}: {} rounds",
            scheduled.len()
        );
        for r in scheduled {
            assert_eq!(r["verdict"], "origin_timeout", "{r}");
        }
        assert!(!stored.iter().any(|r| r["kind"] == "missed"), "{stored:?}");
    }
}

/// Issue 12: monitors due in the same tick share one alarm (one start time) and one request
/// per region lane; slots lie on the 5 s tick grid.
#[test]
fn monitors_due_in_one_tick_share_one_alarm() {
    let api = Api::from_env();
    let failing = case("app_500");
    let ids: Vec<String> = (0..18)
        .map(|_| create(&api, failing, 3_000, true))
        .collect();
    let _cleanup = DeleteOnDrop(ids.clone());
    std::thread::sleep(Duration::from_secs(70));
    let mut by_slot: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    for id in &ids {
        for r in rounds(&api, id).iter().filter(|r| r["kind"] == "scheduled") {
            let slot = ms(&r["scheduled_for"]);
            let started = ms(&r["started_at"]);
            assert_eq!(slot % 5_000, 0, "slots lie on the tick grid: {r}");
            by_slot.entry(slot).or_default().push(started);
        }
    }
    let rounds_total: usize = by_slot.values().map(Vec::len).sum();
    assert!(
        rounds_total >= 36,
        "18 monitors, 70 s: {rounds_total} rounds"
    );
    for (slot, starts) in &by_slot {
        assert!(
            starts.iter().all(|s| s == &starts[0]),
            "rounds of slot {slot} started together (one alarm): {starts:?}"
        );
    }
    // 18 monitors over at most 6 phases: ticks are shared.
    let largest = by_slot.values().map(Vec::len).max().unwrap_or(0);
    assert!(largest >= 3, "some tick ran several monitors: {by_slot:?}");
}

/// Issue 12: the KV status document is rewritten only when what it shows changes.
#[test]
fn an_unchanged_status_is_not_rewritten_and_a_change_is() {
    let api = Api::from_env();
    let healthy = case("healthy");
    let slug = unique("kv-change");
    let r = api.post(
        "/api/v1/monitors",
        &json!({"name": slug, "slug": slug, "url": healthy.front_url, "regions": ["weur"], "paused": true}),
    );
    expect_status(&r, 201);
    let id = r.json()["id"].as_str().expect("id").to_string();
    let _cleanup = DeleteOnDrop(vec![id.clone()]);
    let status = |api: &Api| {
        let r = api.get(&format!("/api/v1/monitors/{id}/status"));
        expect_status(&r, 200);
        r.json()
    };
    let check = |api: &Api| {
        let r = api.post_empty(&format!("/api/v1/monitors/{id}/check"));
        expect_status(&r, 200);
        r.json()
    };
    let first = check(&api);
    let doc = status(&api);
    assert_eq!(
        doc["round_id"], first["id"],
        "the first round is published: {doc}"
    );
    let second = check(&api);
    assert_ne!(second["id"], first["id"]);
    let doc2 = status(&api);
    assert_eq!(
        doc2["round_id"], first["id"],
        "unchanged: not rewritten: {doc2}"
    );
    assert_eq!(doc2["updated_at"], doc["updated_at"], "{doc2}");
    // Point it at a dead port: the page must say so at once.
    let r = api.patch(
        &format!("/api/v1/monitors/{id}"),
        &json!({"url": "http://127.0.0.1:9/"}),
    );
    expect_status(&r, 200);
    let third = check(&api);
    let doc3 = status(&api);
    assert_eq!(doc3["round_id"], third["id"], "changed: published: {doc3}");
    assert_ne!(doc3["health"], "up", "{doc3}");
}

/// Issue 12 (and the old mixed-batch case): a lane of many hanging monitors — more than run at
/// once — comes back as classified timeouts, never as unanswered regions: each monitor's
/// deadline comes from the same worst case that sized its lane.
#[test]
fn a_lane_of_hanging_monitors_comes_back_as_timeouts_not_unanswered() {
    let api = Api::from_env();
    let hang = case("hang");
    let origin_id = create(&api, hang, 2_000, true);
    let mut all = vec![origin_id.clone()];
    all.extend((0..29).map(|_| create(&api, hang, 2_000, false)));
    let _cleanup = DeleteOnDrop(all.clone());
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut first: Vec<Option<Value>> = vec![None; all.len()];
    while first.iter().any(Option::is_none) && Instant::now() < deadline {
        for (i, id) in all.iter().enumerate() {
            if first[i].is_none() {
                first[i] = rounds(&api, id)
                    .into_iter()
                    .rev()
                    .find(|r| r["kind"] == "scheduled");
            }
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    let mut starts: BTreeMap<i64, usize> = BTreeMap::new();
    for (round, id) in first.iter().zip(&all) {
        let round = round
            .as_ref()
            .unwrap_or_else(|| panic!("monitor {id} had no scheduled round within 120 s"));
        *starts.entry(ms(&round["started_at"])).or_default() += 1;
        let obs = round["observations"].as_array().expect("observations");
        let paths: Vec<&str> = obs.iter().filter_map(|o| o["path"].as_str()).collect();
        let want: &[&str] = if *id == origin_id {
            &["edge", "origin"]
        } else {
            &["edge"]
        };
        assert_eq!(paths, want, "probed, not unanswered: {round}");
        assert_eq!(obs[0]["data"]["outcome"]["failure"], "timeout", "{round}");
        assert_ne!(round["verdict"], "inconclusive", "{round}");
    }
    // 30 monitors over 6 phases: some tick had more than LANE_CONCURRENCY (3) of them.
    let largest = starts.values().copied().max().unwrap_or(0);
    assert!(
        largest > 3,
        "no tick ran more than 3 hanging monitors together: {starts:?}"
    );
}
