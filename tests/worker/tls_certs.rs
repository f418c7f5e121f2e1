//! Issue 13's certificate items end to end: the edge certificate read by the own TLS client's
//! handshake with the public host (a front nginx serving a certificate that expires in 5
//! days), reported apart from the origin's; the `cert_expiring` alert sent once per
//! certificate to a real webhook receiver; days left in the status API; and the per-invocation
//! cap on own handshakes over a lane of failing-TLS monitors (asserted by counts of stored
//! rounds, never by timings).

use std::collections::BTreeMap;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::alerts::{signed_receiver, test_send};
use crate::client::{expect_status, reports_of, unique, Api, Cleanup};
use crate::own_tls::rig_anchor;
use crate::rig::tls::EXPIRING_DAYS;
use crate::rig::webhook::WebhookOptions;
use crate::shared::rig;

/// The SHA-256 fingerprint of a PEM certificate as the own client writes it (colon-separated
/// upper-case hex).
fn fingerprint(pem: &std::path::Path) -> String {
    let out = Command::new("openssl")
        .args(["x509", "-noout", "-fingerprint", "-sha256", "-in"])
        .arg(pem)
        .output()
        .expect("run openssl");
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .split_once('=')
        .map(|(_, v)| v.to_ascii_uppercase())
        .unwrap_or_default()
}

/// The certificate alerts (`data` of kind `cert_*`) the receiver got so far, one per alert.
fn cert_alerts(receiver: &crate::rig::webhook::WebhookReceiver) -> Vec<Value> {
    receiver
        .alerts()
        .into_iter()
        .filter(|(kind, _)| kind.starts_with("cert_"))
        .map(|(_, data)| data)
        .collect()
}

#[test]
fn an_expiring_front_certificate_warns_once_on_the_edge_path_apart_from_the_origin() {
    let api = Api::from_env();
    let cleanup = Cleanup::new(&api);
    let (receiver, channel) = signed_receiver(&api, &cleanup, WebhookOptions::default());
    // The front: an nginx TLS server presenting the rig's 5-day certificate; the origin: one
    // presenting the rig's valid (365-day) certificate.
    let front = rig().case("tls_expiring").expect("tls_expiring").clone();
    let origin = rig().case("tls_valid").expect("tls_valid").clone();
    let slug = unique("edge-cert");
    let r = api.post(
        "/api/v1/monitors",
        &json!({
            "name": slug, "slug": slug,
            "url": format!("https://127.0.0.1:{}/", front.origin_port),
            "origin": {"host": "127.0.0.1", "port": origin.origin_port, "scheme": "https",
                "tls": {"extra_trust_anchors_pem": rig_anchor()}},
            "regions": ["weur"],
            "timeout_ms": 3000,
            "interval_seconds": 300,
            "channels": [channel],
            "public": true,
            "confirmation": {"regions_to_agree": 1},
        }),
    );
    expect_status(&r, 201);
    let id = r.json()["id"].as_str().expect("id").to_string();
    cleanup.add(format!("/api/v1/monitors/{id}"));
    let left = i64::from(EXPIRING_DAYS) - 1;
    let edge_fp = fingerprint(&rig().certs().expiring.cert);
    let origin_fp = fingerprint(&rig().certs().valid.cert);
    assert_ne!(edge_fp, origin_fp);

    let check = || {
        let r = api.post_empty(&format!("/api/v1/monitors/{id}/check"));
        expect_status(&r, 200);
        r.json()
    };
    let round = check();
    let reports = reports_of(&round);
    let report = &reports[0];
    let edge = &report["edge"];
    assert_eq!(edge["own_tls"]["outcome"]["result"], "ok", "{edge}");
    assert_eq!(edge["own_tls"]["leaf"]["days_left"], left, "{edge}");
    assert_eq!(
        edge["own_tls"]["leaf"]["sha256"],
        edge_fp.as_str(),
        "{edge}"
    );
    assert_eq!(edge["certificate"]["kind"], "known", "{edge}");
    let o = &report["origin"];
    assert_eq!(o["own_tls"]["leaf"]["sha256"], origin_fp.as_str(), "{o}");

    // The diagnosis names the edge certificate, with its days left, and not the origin's.
    let d = &round["diagnosis"];
    assert_eq!(d["verdict"], "cert_expiring", "{d}");
    let certs: Vec<&Value> = d["evidence"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["step"] == "certificate")
        .collect();
    assert_eq!(certs.len(), 1, "{d}");
    assert_eq!(certs[0]["path"], "edge", "{d}");
    assert_eq!(certs[0]["fact"]["days_left"], left, "{d}");

    // One cert_expiring alert, naming the edge path, its days left and fingerprint.
    let deadline = Instant::now() + Duration::from_secs(60);
    while cert_alerts(&receiver).is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(300));
    }
    let alerts = cert_alerts(&receiver);
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    let a = &alerts[0];
    assert_eq!(a["kind"], "cert_expiring", "{a}");
    let c = &a["certificate"];
    assert_eq!(c["path"], "edge", "{a}");
    assert_eq!(c["days_left"], left, "{a}");
    assert_eq!(c["sha256"], edge_fp.as_str(), "{a}");
    assert!(
        c["not_after"].as_str().is_some_and(|t| t.ends_with('Z')),
        "{a}"
    );
    assert!(
        a["checklist"].as_array().is_some_and(|l| l
            .iter()
            .any(|i| i.as_str().unwrap_or("").starts_with("Renew"))),
        "renewal checklist: {a}"
    );

    // A second round (still the monitor's first interval, so the own client runs again)
    // reads the same certificate: no second warning. (A test alert queued after it is
    // delivered once everything queued before it was.)
    let again = check();
    assert_eq!(
        reports_of(&again)[0]["edge"]["own_tls"]["leaf"]["sha256"],
        edge_fp.as_str(),
        "{again}"
    );
    let marker = test_send(&api, &channel);
    let deadline = Instant::now() + Duration::from_secs(60);
    while !receiver
        .records()
        .iter()
        .any(|r| r.body_json().is_some_and(|b| b["type"] == "monitor.test"))
        && Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(300));
    }
    assert!(!marker.is_empty());
    assert_eq!(
        cert_alerts(&receiver).len(),
        1,
        "warned once per certificate"
    );

    // The status API lists both certificates apart, with days left.
    let r = api.get(&format!("/api/v1/monitors/{id}/status"));
    expect_status(&r, 200);
    let status = r.json();
    let seen: BTreeMap<String, Value> = status["certificates"]
        .as_array()
        .expect("certificates")
        .iter()
        .map(|c| (c["path"].as_str().unwrap_or("").to_string(), c.clone()))
        .collect();
    let e = &seen["edge"];
    assert_eq!(e["region"], "weur");
    assert_eq!(e["days_left"], left, "{status}");
    assert_eq!(e["sha256"], edge_fp.as_str());
    assert_eq!(e["warned"], true);
    assert!(e["not_after"].as_str().is_some_and(|t| t.ends_with('Z')));
    let o = &seen["origin"];
    assert_eq!(o["sha256"], origin_fp.as_str());
    assert_eq!(o["warned"], false);
    assert!(o["days_left"].as_i64().unwrap_or(0) > 300, "{status}");

    // The status page: the operator view (API token) lists both with days left once the cron
    // published the page; visitors (public_detail: summary) do not see them.
    let page = format!("/status/{slug}");
    let want = format!("<td class=\"days-left\">{left}</td>");
    let mut operator = String::new();
    for _ in 0..30 {
        let fired = api.get_public("/__scheduled?cron=*+*+*+*+*");
        assert!(fired.status < 300, "cron: {}", fired.status);
        operator = api.get(&page).body;
        if operator.contains(&want) {
            break;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    assert!(operator.contains(&want), "operator view: {operator}");
    assert!(operator.contains(&origin_fp) && operator.contains(&edge_fp));
    let public = api.get_public(&page);
    expect_status(&public, 200);
    assert!(!public.body.contains("Certificates"), "{}", public.body);
    assert!(!public.body.contains(&edge_fp));
}

/// The stored rounds of a monitor (newest first), up to 100.
fn rounds(api: &Api, id: &str) -> Vec<Value> {
    let r = api.get(&format!("/api/v1/monitors/{id}/results?limit=100"));
    expect_status(&r, 200);
    r.json()["items"].as_array().cloned().unwrap_or_default()
}

/// The origin observation of a stored round's (single) region.
fn origin_of(round: &Value) -> Value {
    round["observations"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|o| o["path"] == "origin")
        .map(|o| o["data"].clone())
        .unwrap_or(Value::Null)
}

#[test]
fn a_lane_of_more_failing_tls_monitors_than_the_cap_names_each_within_a_few_rounds() {
    const CAP: usize = edgeprobe_core::tls::plan::DEFAULT_CAP as usize;
    // 19 monitors over the 6 phases of a 30 s interval: some tick holds at least 4 (> cap).
    const MONITORS: usize = 19;
    let api = Api::from_env();
    let cleanup = Cleanup::new(&api);
    let case = rig()
        .case("tls_self_signed")
        .expect("tls_self_signed")
        .clone();
    let ids: Vec<String> = (0..MONITORS)
        .map(|_| {
            let slug = unique("tls-cap");
            let r = api.post(
                "/api/v1/monitors",
                &json!({
                    "name": slug, "slug": slug,
                    "url": case.front_url,
                    "origin": {"host": "127.0.0.1", "port": case.origin_port, "scheme": "https"},
                    "regions": ["weur"],
                    "timeout_ms": 3000,
                    "interval_seconds": 30,
                    "confirmation": {"regions_to_agree": 1, "recheck_delay_seconds": 300},
                }),
            );
            expect_status(&r, 201);
            let id = r.json()["id"].as_str().expect("id").to_string();
            cleanup.add(format!("/api/v1/monitors/{id}"));
            id
        })
        .collect();
    // Wait (bounded) until every monitor has 4 scheduled rounds stored (failing rounds always
    // are).
    let scheduled = |id: &str| -> Vec<Value> {
        let mut r: Vec<Value> = rounds(&api, id)
            .into_iter()
            .filter(|r| r["kind"] == "scheduled")
            .collect();
        r.reverse();
        r
    };
    let deadline = Instant::now() + Duration::from_secs(240);
    while ids.iter().any(|id| scheduled(id).len() < 4) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_secs(2));
    }
    let mut per_tick: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for id in &ids {
        let rs = scheduled(id);
        assert!(rs.len() >= 4, "monitor {id}: {} scheduled rounds", rs.len());
        for r in &rs {
            let o = origin_of(r);
            let t = per_tick
                .entry(r["started_at"].as_str().unwrap_or("").to_string())
                .or_default();
            t.0 += 1;
            if !o["own_tls"].is_null() {
                t.1 += 1;
            }
        }
        // Its exact reason within its first 4 rounds (8 wanted handshakes at most per tick
        // at 3 per invocation: the FIFO bound is 3 invocations).
        let named = rs.iter().take(4).any(|r| {
            let o = origin_of(r);
            o["own_tls"]["outcome"]["result"] == "self_signed" && o["tls"]["result"] == "untrusted"
        });
        assert!(named, "monitor {id} never named self-signed: {rs:?}");
    }
    let busiest = per_tick.values().map(|t| t.0).max().unwrap_or(0);
    assert!(
        busiest > CAP,
        "no tick held more than {CAP} monitors: {per_tick:?}"
    );
    for (tick, (monitors, handshakes)) in &per_tick {
        assert!(
            *handshakes <= CAP,
            "tick {tick}: {handshakes} own handshakes for {monitors} monitors (cap {CAP})"
        );
    }
}
