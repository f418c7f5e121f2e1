//! Regional failures end to end. Every region runs in the one local workerd, so the only way a
//! front can fail for one region is to tell regions apart by what the probes send: the rig's
//! `one_region_blocked` front (real nginx) routes requests whose `edgeprobe-region` header is
//! `apac` to a closed port and every other region to the healthy origin. A monitor probing
//! from weur, enam and apac must then read `regional` with the failing region's cause and
//! per-region evidence, and alerting must confirm a Down only when as many regions as the
//! monitor's `regions_to_agree` fail: one failing region pages with k=1, never with k=2.
//!
//! nginx's own log of `$http_edgeprobe_region` and `$http_user_agent` shows what each path
//! really sent (the front: the edge fetch; the regional origin: the direct socket request).
//! Every wait is bounded; nothing asserts how long something took.

use std::thread;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::client::{expect_status, reports_of, unique, Api, Cleanup};
use crate::rig::webhook::WebhookOptions;
use crate::rig::{Case, BLOCKED_REGION};
use crate::shared::rig;

const REGIONS: [&str; 3] = ["weur", "enam", "apac"];
/// How long a k=1 monitor may take to confirm and deliver (first round, ~1 s re-check, the
/// dispatcher's alarm), generously: a bound for the wait, not an expectation.
const CONFIRM_LIMIT: Duration = Duration::from_secs(45);

fn blocked_case() -> Case {
    rig()
        .case("one_region_blocked")
        .expect("the rig has the one_region_blocked case")
        .clone()
}

/// A signed webhook receiver and its channel.
fn create_monitor(
    api: &Api,
    cleanup: &Cleanup,
    case: &Case,
    regions_to_agree: u32,
    channels: &[&str],
) -> String {
    let body = json!({
        "name": unique("regional"),
        "url": case.front_url,
        "origin": {"host": case.origin_host, "port": case.origin_port, "scheme": case.origin_scheme},
        "regions": REGIONS,
        "timeout_ms": 6000,
        "interval_seconds": 3600,
        "channels": channels,
        "confirmation": {"regions_to_agree": regions_to_agree, "recheck_delay_seconds": 1, "recovery_rounds": 1},
    });
    let r = api.post("/api/v1/monitors", &body);
    expect_status(&r, 201);
    let id = r.json()["id"].as_str().expect("monitor id").to_string();
    cleanup.add(format!("/api/v1/monitors/{id}"));
    id
}

fn check_now(api: &Api, monitor: &str) -> Value {
    let r = api.post_empty(&format!("/api/v1/monitors/{monitor}/check"));
    expect_status(&r, 200);
    r.json()
}

fn strs(v: &Value) -> Vec<&str> {
    v.as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// The edge status a region's report recorded (None when the edge fetch failed).
fn edge_status(reports: &Value, region: &str) -> Option<u64> {
    reports
        .as_array()?
        .iter()
        .find(|r| r["region"] == region)
        .filter(|r| r["edge"]["outcome"]["kind"] == "response")
        .and_then(|r| r["edge"]["outcome"]["status"].as_u64())
}

fn kinds(got: &[(String, Value)]) -> Vec<&str> {
    got.iter().map(|(k, _)| k.as_str()).collect()
}

#[test]
fn one_failing_region_reads_regional_with_its_cause_and_evidence() {
    let api = Api::from_env();
    let cleanup = Cleanup::new(&api);
    let case = blocked_case();
    let monitor = create_monitor(&api, &cleanup, &case, 2, &[]);
    let outcome = check_now(&api, &monitor);
    let d = &outcome["diagnosis"];
    let context = format!(
        "diagnosis: {}\nreports: {}",
        serde_json::to_string_pretty(d).unwrap_or_default(),
        serde_json::to_string_pretty(&reports_of(&outcome)).unwrap_or_default()
    );

    // The front told the regions apart: apac got its 502, the others the origin's 200.
    let reports = &reports_of(&outcome);
    assert_eq!(edge_status(reports, BLOCKED_REGION), Some(502), "{context}");
    for r in ["weur", "enam"] {
        assert_eq!(edge_status(reports, r), Some(200), "region {r}: {context}");
    }

    assert_eq!(d["verdict"], "regional", "{context}");
    assert_eq!(
        strs(&d["affected_regions"]),
        vec![BLOCKED_REGION],
        "{context}"
    );
    assert_eq!(
        strs(&d["healthy_regions"]),
        vec!["enam", "weur"],
        "{context}"
    );
    // From apac the front cannot connect while our direct request works: the origin blocking
    // that region's CDN addresses, or the front being pointed elsewhere there. The engine must
    // name one and list the other (as for the front_misrouted case).
    let cause = d["regional_cause"].as_str().unwrap_or("");
    let listed = |v: &str| {
        d["alternatives"]
            .as_array()
            .is_some_and(|a| a.iter().any(|x| x["verdict"] == v))
    };
    assert!(
        (cause == "origin_blocks_cdn" && listed("edge_error_origin_healthy"))
            || (cause == "edge_error_origin_healthy" && listed("origin_blocks_cdn")),
        "the failing region's cause, with the other reading as an alternative: {context}"
    );
    let summary = d["summary"].as_str().unwrap_or("");
    assert!(
        summary.contains(BLOCKED_REGION),
        "the summary names the failing region: {context}"
    );

    // Per-region evidence: the failing region's 502 and the working regions' answers.
    let evidence = d["evidence"].as_array().expect("evidence");
    let from = |region: &str| {
        evidence
            .iter()
            .filter(|e| e["region"] == region)
            .collect::<Vec<_>>()
    };
    assert!(
        from(BLOCKED_REGION).iter().any(
            |e| e["path"] == "edge" && e["finding"].as_str().is_some_and(|f| f.contains("502"))
        ),
        "apac's evidence shows the front's 502: {context}"
    );
    for r in ["weur", "enam"] {
        assert!(
            from(r).iter().any(|e| e["path"] == "edge"),
            "region {r}'s edge answer is in the evidence: {context}"
        );
    }
    assert!(
        d["checklist"].as_array().is_some_and(|c| !c.is_empty()),
        "{context}"
    );

    // Read back through the API, the same diagnosis.
    let status = api.get(&format!("/api/v1/monitors/{monitor}/status"));
    expect_status(&status, 200);
    assert_eq!(
        status.json()["diagnosis"]["verdict"],
        "regional",
        "{}",
        status.body
    );
}

#[test]
fn probes_identify_themselves_and_their_region_on_both_paths() {
    let api = Api::from_env();
    let cleanup = Cleanup::new(&api);
    let case = blocked_case();
    let monitor = create_monitor(&api, &cleanup, &case, 2, &[]);
    check_now(&api, &monitor);

    let rig = rig();
    let front_port: u16 = case
        .front_url
        .trim_end_matches('/')
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("front port");
    let origin_port = rig.regional_origin_port();
    let log = rig.probe_requests();
    let version = env!("CARGO_PKG_VERSION");
    for region in REGIONS {
        // `edgeprobe/<version> (+<docs base>/probe-traffic.md; region=<region>)`; the docs base
        // is the worker's DOCS_BASE_URL (wrangler.toml).
        let ours = |ua: &str| {
            ua.starts_with(&format!("edgeprobe/{version} (+http"))
                && ua.ends_with(&format!("/probe-traffic.md; region={region})"))
        };
        // The edge fetch reached the front from 127.0.0.1 (the front's own requests to the
        // origin come from 127.0.0.2, so these are the direct probe's).
        for (port, path) in [
            (front_port, "edge fetch"),
            (origin_port, "direct origin request"),
        ] {
            assert!(
                log.iter().any(|l| l.port == port
                    && l.from == "127.0.0.1"
                    && l.region == region
                    && ours(&l.user_agent)),
                "the {path} from {region} sent edgeprobe-region and the User-Agent: {log:#?}"
            );
        }
    }
    // The front decided by that header alone: every apac request failed, no other did.
    for l in log.iter().filter(|l| l.port == front_port) {
        let want = if l.region == BLOCKED_REGION { 502 } else { 200 };
        assert_eq!(l.status, want, "{l:?}");
    }
}

#[test]
fn a_single_failing_region_pages_only_when_one_region_is_enough() {
    let api = Api::from_env();
    let cleanup = Cleanup::new(&api);
    let case = blocked_case();
    let (two_receiver, two_channel) =
        crate::alerts::signed_receiver(&api, &cleanup, WebhookOptions::default());
    let (one_receiver, one_channel) =
        crate::alerts::signed_receiver(&api, &cleanup, WebhookOptions::default());
    let needs_two = create_monitor(&api, &cleanup, &case, 2, &[&two_channel]);
    let needs_one = create_monitor(&api, &cleanup, &case, 1, &[&one_channel]);

    // Both see the same rounds. With k=1 the first makes the monitor suspect and the re-check
    // (~1 s later, driven by the coordinator's alarm) confirms: a Down arrives. With k=2 the
    // same rounds must stay below the quorum: no re-check, no incident, no alert.
    let mut rounds = 0;
    for monitor in [&needs_two, &needs_one] {
        assert_eq!(check_now(&api, monitor)["diagnosis"]["verdict"], "regional");
    }
    rounds += 1;
    let start = Instant::now();
    let mut last_round = Instant::now();
    let one_alerts = loop {
        let got = one_receiver.alerts();
        if got.iter().any(|(k, _)| k == "down") || start.elapsed() > CONFIRM_LIMIT {
            break got;
        }
        // More rounds for the k=2 monitor while we wait (a scheduled round would count too).
        if rounds < 4 && last_round.elapsed() > Duration::from_secs(2) {
            assert_eq!(
                check_now(&api, &needs_two)["diagnosis"]["verdict"],
                "regional"
            );
            rounds += 1;
            last_round = Instant::now();
        }
        thread::sleep(Duration::from_millis(250));
    };
    // How long confirmation and delivery took for k=1: the k=2 monitor is given as long again
    // after its last round, so a Down it wrongly confirmed would have arrived.
    let confirm_took = start.elapsed();
    let downs: Vec<&Value> = one_alerts
        .iter()
        .filter(|(k, _)| k == "down")
        .map(|(_, d)| d)
        .collect();
    assert_eq!(
        downs.len(),
        1,
        "k=1: one failing region confirms one Down: {:?}",
        kinds(&one_alerts)
    );
    let down = downs[0];
    assert_eq!(down["monitor_id"], needs_one.as_str(), "{down}");
    assert_eq!(down["verdict"], "regional", "{down}");
    let tagged: Vec<&str> = down["regions"]
        .as_array()
        .expect("regions")
        .iter()
        .filter_map(|r| r["region"].as_str())
        .collect();
    assert_eq!(
        tagged,
        vec![BLOCKED_REGION],
        "the alert carries the failing region's evidence: {down}"
    );
    assert_eq!(down["regions"][0]["edge_status"], 502, "{down}");

    // The k=2 monitor gets its remaining rounds, then the time k=1 needed to confirm and
    // deliver (at least 3 s): nothing may have been sent and no incident opened.
    while rounds < 4 {
        assert_eq!(
            check_now(&api, &needs_two)["diagnosis"]["verdict"],
            "regional"
        );
        rounds += 1;
    }
    thread::sleep((confirm_took + Duration::from_secs(1)).max(Duration::from_secs(3)));
    let two_alerts = two_receiver.alerts();
    assert!(
        two_alerts.is_empty(),
        "k=2: a single failing region must not page, got {:?}",
        kinds(&two_alerts)
    );
    // The rounds behind it, as recorded: k=1 was confirmed by its re-check; k=2 never asked
    // for one, every one of its rounds read regional and stayed below the quorum.
    let round_kinds = |monitor: &str| -> Vec<(String, String)> {
        let r = api.get(&format!("/api/v1/monitors/{monitor}/results?limit=50"));
        expect_status(&r, 200);
        r.json()["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|i| {
                (
                    i["kind"].as_str().unwrap_or("").to_string(),
                    i["verdict"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect()
    };
    let one_rounds = round_kinds(&needs_one);
    assert!(
        one_rounds
            .iter()
            .any(|(k, v)| k == "recheck" && v == "regional"),
        "k=1: the re-check confirmed: {one_rounds:?}"
    );
    let two_rounds = round_kinds(&needs_two);
    assert!(
        two_rounds.len() >= 4,
        "k=2: every round was recorded: {two_rounds:?}"
    );
    assert!(
        two_rounds
            .iter()
            .all(|(k, v)| k != "recheck" && v == "regional"),
        "k=2: no re-check was asked for: {two_rounds:?}"
    );
    let incidents = api.get(&format!("/api/v1/monitors/{needs_two}/incidents"));
    expect_status(&incidents, 200);
    assert_eq!(
        incidents.json()["items"].as_array().map(Vec::len),
        Some(0),
        "k=2: no incident: {}",
        incidents.body
    );
    let incidents = api.get(&format!("/api/v1/monitors/{needs_one}/incidents"));
    expect_status(&incidents, 200);
    assert_eq!(
        incidents.json()["items"].as_array().map(Vec::len),
        Some(1),
        "k=1: one incident: {}",
        incidents.body
    );
}
