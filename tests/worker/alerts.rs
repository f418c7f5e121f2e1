//! Alert delivery through the real worker: the outbox, the dispatcher Durable Object and the
//! delivery API, against real HTTP receivers on loopback (the rig's `WebhookReceiver`, which
//! verifies Standard Webhooks signatures, plus a tiny receiver here that answers 400).
//!
//! Waits are bounded polls; nothing asserts how long something took. Every test deletes the
//! channels and monitors it created, so the dispatcher stops retrying towards receivers that
//! are gone (a deleted channel's pending delivery is marked dead).

use std::io::Write;
use std::net::{Shutdown, TcpListener};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::client::{expect_status, unique, Api, Cleanup};
use crate::rig::net::read_request_head;
use crate::rig::webhook::{WebhookOptions, WebhookReceiver, WebhookRecord};

/// The Standard Webhooks documentation's example secret (24 bytes decoded).
pub(crate) const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const ROUTING_KEY: &str = "R0ut1ngKeyR0ut1ngKeyR0ut1ngKey12";

pub(crate) fn create_channel(api: &Api, cleanup: &Cleanup, body: Value) -> String {
    let r = api.post("/api/v1/channels", &body);
    expect_status(&r, 201);
    let id = r.json()["id"].as_str().expect("channel id").to_string();
    cleanup.add(format!("/api/v1/channels/{id}"));
    id
}

fn webhook_channel(api: &Api, cleanup: &Cleanup, url: &str) -> String {
    create_channel(
        api,
        cleanup,
        json!({"name": unique("hook"), "kind": "webhook", "url": url, "secret": SECRET}),
    )
}

/// A webhook receiver that verifies signatures with [`SECRET`] (its other options as given)
/// and a webhook channel pointing at it; returns both.
pub(crate) fn signed_receiver(
    api: &Api,
    cleanup: &Cleanup,
    options: WebhookOptions,
) -> (WebhookReceiver, String) {
    let receiver = WebhookReceiver::start(WebhookOptions {
        secret: Some(SECRET.into()),
        ..options
    })
    .expect("receiver");
    let channel = webhook_channel(api, cleanup, &receiver.url());
    (receiver, channel)
}

/// Queues a test alert; returns the delivery id (checked against the Location header).
pub(crate) fn test_send(api: &Api, channel: &str) -> String {
    let r = api.post_empty(&format!("/api/v1/channels/{channel}/test"));
    expect_status(&r, 202);
    let id = r.json()["id"].as_str().expect("delivery id").to_string();
    assert_eq!(
        r.header("location"),
        Some(format!("/api/v1/deliveries/{id}").as_str()),
        "{r:?}"
    );
    id
}

/// Polls the delivery until `done` holds (bounded); returns the last body either way.
pub(crate) fn poll_delivery(
    api: &Api,
    id: &str,
    timeout: Duration,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + timeout;
    loop {
        let r = api.get(&format!("/api/v1/deliveries/{id}"));
        expect_status(&r, 200);
        let v = r.json();
        if done(&v) || Instant::now() >= deadline {
            return v;
        }
        thread::sleep(Duration::from_millis(250));
    }
}

pub(crate) fn status_is(s: &'static str) -> impl Fn(&Value) -> bool {
    move |v| v["status"] == s
}

fn attempt_codes(v: &Value) -> Vec<Value> {
    v["attempt_log"]
        .as_array()
        .map(|a| a.iter().map(|x| x["status_code"].clone()).collect())
        .unwrap_or_default()
}

/// Nothing the API returns about deliveries may carry the channel's URL or secret.
fn assert_no_secrets(text: &str, url: &str, secret: &str) {
    assert!(!text.contains(url), "the channel URL leaked: {text}");
    assert!(!text.contains(secret), "the channel secret leaked: {text}");
}

#[test]
fn test_send_reaches_a_signed_webhook() {
    let api = Api::from_env();
    let cleanup = Cleanup::new(&api);
    let (receiver, channel) = signed_receiver(&api, &cleanup, WebhookOptions::default());

    let delivery = test_send(&api, &channel);
    let records = receiver.wait_for(1, Duration::from_secs(30));
    assert_eq!(records.len(), 1, "the receiver got the test alert");
    let rec = &records[0];
    assert_eq!(rec.method, "POST");
    assert_eq!(
        rec.signature_valid,
        Some(true),
        "signature verifies: {:?}",
        rec.headers
    );
    let webhook_id = rec
        .header("webhook-id")
        .expect("webhook-id header")
        .to_string();
    assert!(
        rec.header("webhook-timestamp")
            .is_some_and(|t| t.parse::<i64>().is_ok()),
        "{:?}",
        rec.headers
    );
    let body = rec.body_json().expect("JSON body");
    assert_eq!(body["type"], "monitor.test", "{body}");
    assert_eq!(body["data"]["id"], webhook_id.as_str());

    let v = poll_delivery(
        &api,
        &delivery,
        Duration::from_secs(20),
        status_is("delivered"),
    );
    assert_eq!(v["status"], "delivered", "{v}");
    assert_eq!(v["webhook_id"], webhook_id.as_str());
    assert_eq!(v["channel_id"], channel.as_str());
    assert_eq!(v["attempts"], 1, "{v}");
    assert_eq!(attempt_codes(&v), vec![json!(200)], "{v}");
    assert_no_secrets(&v.to_string(), &receiver.url(), SECRET);

    let list = api.get(&format!("/api/v1/channels/{channel}/deliveries"));
    expect_status(&list, 200);
    let list = list.json();
    assert_eq!(list["items"].as_array().map(Vec::len), Some(1), "{list}");
    assert_eq!(list["items"][0]["id"], delivery.as_str());
    assert_eq!(list["next_cursor"], Value::Null);
    assert_no_secrets(&list.to_string(), &receiver.url(), SECRET);
}

#[test]
fn delivery_log_pages_newest_first() {
    let api = Api::from_env();
    let cleanup = Cleanup::new(&api);
    let receiver = WebhookReceiver::start(WebhookOptions::default()).expect("receiver");
    let channel = webhook_channel(&api, &cleanup, &receiver.url());
    let ids: Vec<String> = (0..3)
        .map(|_| {
            let id = test_send(&api, &channel);
            // Distinct created_at values make "newest first" observable.
            thread::sleep(Duration::from_millis(5));
            id
        })
        .collect();
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..5 {
        let q = cursor
            .as_ref()
            .map(|c| format!("&cursor={c}"))
            .unwrap_or_default();
        let r = api.get(&format!("/api/v1/channels/{channel}/deliveries?limit=2{q}"));
        expect_status(&r, 200);
        let v = r.json();
        seen.extend(
            v["items"]
                .as_array()
                .expect("items")
                .iter()
                .map(|i| i["id"].as_str().unwrap_or("").to_string()),
        );
        match v["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    let newest_first: Vec<String> = ids.iter().rev().cloned().collect();
    assert_eq!(seen, newest_first);
    let bad = api.get(&format!("/api/v1/channels/{channel}/deliveries?limit=0"));
    expect_status(&bad, 422);
    expect_status(
        &api.get("/api/v1/channels/chn_does_not_exist/deliveries"),
        404,
    );
    expect_status(&api.get("/api/v1/deliveries/dlv_does_not_exist"), 404);
    receiver.wait_for(3, Duration::from_secs(30));
}

#[test]
fn retries_keep_one_webhook_id_until_delivered() {
    let api = Api::from_env();
    let cleanup = Cleanup::new(&api);
    let (receiver, channel) = signed_receiver(
        &api,
        &cleanup,
        WebhookOptions {
            fail_first: 2,
            ..Default::default()
        },
    );
    let delivery = test_send(&api, &channel);

    // Default policy: ≤5 s then ≤10 s of full-jitter backoff (at least 1 s each).
    let records = receiver.wait_for(3, Duration::from_secs(60));
    assert_eq!(records.len(), 3, "two 503s then a 200");
    assert_eq!(
        receiver.unique_ids().len(),
        1,
        "one logical alert: {:?}",
        receiver.unique_ids()
    );
    assert!(
        records.iter().all(|r| r.signature_valid == Some(true)),
        "every attempt is signed validly"
    );
    assert!(
        records.windows(2).all(|w| w[0].body == w[1].body),
        "a retry sends the same body"
    );
    assert_eq!(
        records.iter().map(|r| r.answered).collect::<Vec<_>>(),
        vec![Some(503), Some(503), Some(200)]
    );

    let v = poll_delivery(
        &api,
        &delivery,
        Duration::from_secs(20),
        status_is("delivered"),
    );
    assert_eq!(v["status"], "delivered", "{v}");
    assert_eq!(v["attempts"], 3, "{v}");
    assert_eq!(
        attempt_codes(&v),
        vec![json!(503), json!(503), json!(200)],
        "{v}"
    );
    assert_eq!(v["attempt_log"][0]["error"], "HTTP 503", "{v}");
    thread::sleep(Duration::from_secs(2));
    assert_eq!(receiver.records().len(), 3, "nothing is sent after the 200");
}

/// A receiver that gives every request the same canned answer (a 400, a redirect, …) and keeps
/// the webhook-id of each request it got.
struct Canned {
    port: u16,
    stop: Arc<AtomicBool>,
    got: Arc<Mutex<Vec<String>>>,
    count: Arc<AtomicUsize>,
}

impl Canned {
    /// `head`: the status line and any headers (CRLF-separated, no final blank line); `body` is
    /// sent after them with its Content-Length.
    fn start(head: String, body: &str) -> Canned {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("nonblocking");
        let port = listener.local_addr().expect("addr").port();
        let stop = Arc::new(AtomicBool::new(false));
        let got = Arc::new(Mutex::new(Vec::new()));
        let count = Arc::new(AtomicUsize::new(0));
        let (s, g, c) = (stop.clone(), got.clone(), count.clone());
        let answer = format!(
            "{head}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        thread::spawn(move || {
            while !s.load(Ordering::SeqCst) {
                let Ok((mut stream, _)) = listener.accept() else {
                    thread::sleep(Duration::from_millis(5));
                    continue;
                };
                let _ = stream.set_nonblocking(false);
                let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
                let head = read_request_head(&mut stream);
                let text = String::from_utf8_lossy(&head.head).to_ascii_lowercase();
                let id = text
                    .lines()
                    .find_map(|l| l.strip_prefix("webhook-id:"))
                    .map(|v| v.trim().to_string())
                    .unwrap_or_default();
                g.lock().unwrap_or_else(|p| p.into_inner()).push(id);
                c.fetch_add(1, Ordering::SeqCst);
                let _ = stream.write_all(answer.as_bytes());
                let _ = stream.shutdown(Shutdown::Both);
            }
        });
        Canned {
            port,
            stop,
            got,
            count,
        }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/hook", self.port)
    }
}

impl Drop for Canned {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

#[test]
fn rejected_delivery_dies_at_once_and_can_be_redriven_after_a_fix() {
    let api = Api::from_env();
    let cleanup = Cleanup::new(&api);
    let rejecting = Canned::start("HTTP/1.1 400 Bad Request".into(), "bad\n");
    let channel = webhook_channel(&api, &cleanup, &rejecting.url());
    let delivery = test_send(&api, &channel);

    let v = poll_delivery(&api, &delivery, Duration::from_secs(30), status_is("dead"));
    assert_eq!(v["status"], "dead", "a 400 is permanent: {v}");
    assert_eq!(v["attempts"], 1, "{v}");
    assert_eq!(attempt_codes(&v), vec![json!(400)]);
    assert!(
        v["last_error"].as_str().is_some_and(|e| e.contains("400")),
        "{v}"
    );
    assert_eq!(
        rejecting.count.load(Ordering::SeqCst),
        1,
        "no retry after a 400"
    );
    let webhook_id = v["webhook_id"].as_str().expect("webhook_id").to_string();
    assert_eq!(
        rejecting
            .got
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone(),
        vec![webhook_id.to_ascii_lowercase()]
    );

    // Fix the channel (point it at a receiver that accepts), then re-drive the same message.
    let good = WebhookReceiver::start(WebhookOptions {
        secret: Some(SECRET.into()),
        ..Default::default()
    })
    .expect("receiver");
    expect_status(
        &api.patch(
            &format!("/api/v1/channels/{channel}"),
            &json!({"url": good.url()}),
        ),
        200,
    );
    let r = api.post_empty(&format!("/api/v1/deliveries/{delivery}/redrive"));
    expect_status(&r, 202);
    assert_eq!(r.json()["id"], delivery.as_str());

    let records = good.wait_for(1, Duration::from_secs(30));
    assert_eq!(records.len(), 1, "the re-driven delivery arrived");
    assert_eq!(
        records[0].header("webhook-id"),
        Some(webhook_id.as_str()),
        "same webhook-id after a re-drive"
    );
    assert_eq!(records[0].signature_valid, Some(true));
    let v = poll_delivery(
        &api,
        &delivery,
        Duration::from_secs(20),
        status_is("delivered"),
    );
    assert_eq!(v["status"], "delivered", "{v}");
    assert_eq!(v["attempts"], 2, "the history is kept: {v}");
    assert_eq!(attempt_codes(&v), vec![json!(400), json!(200)]);

    let again = api.post_empty(&format!("/api/v1/deliveries/{delivery}/redrive"));
    expect_status(&again, 409);
    assert!(
        again.content_type.starts_with("application/problem+json"),
        "{}",
        again.content_type
    );
    expect_status(
        &api.post_empty("/api/v1/deliveries/dlv_does_not_exist/redrive"),
        404,
    );
}

pub(crate) fn one_record(receiver: &WebhookReceiver, what: &str) -> WebhookRecord {
    let records = receiver.wait_for(1, Duration::from_secs(30));
    assert_eq!(records.len(), 1, "{what}: one request");
    records[0].clone()
}

#[test]
fn chat_and_pager_channels_get_their_own_body_shapes() {
    let api = Api::from_env();
    let cleanup = Cleanup::new(&api);
    let slack = WebhookReceiver::start(WebhookOptions::default()).expect("receiver");
    let discord = WebhookReceiver::start(WebhookOptions::default()).expect("receiver");
    let pager = WebhookReceiver::start(WebhookOptions::default()).expect("receiver");
    let slack_id = create_channel(
        &api,
        &cleanup,
        json!({"name": unique("slack"), "kind": "slack", "url": slack.url()}),
    );
    let discord_id = create_channel(
        &api,
        &cleanup,
        json!({"name": unique("discord"), "kind": "discord", "url": discord.url()}),
    );
    let pager_id = create_channel(
        &api,
        &cleanup,
        json!({"name": unique("pd"), "kind": "pagerduty", "url": pager.url(), "secret": ROUTING_KEY}),
    );
    let deliveries = [
        test_send(&api, &slack_id),
        test_send(&api, &discord_id),
        test_send(&api, &pager_id),
    ];

    let s = one_record(&slack, "slack").body_json().expect("slack JSON");
    assert!(
        s["blocks"].as_array().is_some_and(|b| !b.is_empty()),
        "slack blocks: {s}"
    );
    assert!(
        s["text"].as_str().is_some_and(|t| !t.is_empty()),
        "slack fallback text: {s}"
    );

    let d = one_record(&discord, "discord")
        .body_json()
        .expect("discord JSON");
    assert!(
        d["embeds"].as_array().is_some_and(|e| !e.is_empty()),
        "discord embeds: {d}"
    );

    let rec = one_record(&pager, "pagerduty");
    assert!(
        rec.header("webhook-signature").is_none(),
        "only generic webhooks are signed"
    );
    let p = rec.body_json().expect("pagerduty JSON");
    assert_eq!(p["routing_key"], ROUTING_KEY, "{p}");
    assert_eq!(p["event_action"], "trigger", "{p}");
    assert!(
        p["dedup_key"].as_str().is_some_and(|k| !k.is_empty()),
        "{p}"
    );

    for id in deliveries {
        let v = poll_delivery(&api, &id, Duration::from_secs(20), status_is("delivered"));
        assert_eq!(v["status"], "delivered", "{v}");
        let text = v.to_string();
        assert!(
            !text.contains(ROUTING_KEY),
            "the routing key leaked: {text}"
        );
        for r in [&slack, &discord, &pager] {
            assert!(!text.contains(&r.url()), "a channel URL leaked: {text}");
        }
    }
}

pub(crate) fn monitor_body(
    case: &crate::rig::Case,
    channel: &str,
    regions: &[&str],
    confirmation: Value,
) -> Value {
    json!({
        "name": unique("alerts"),
        "url": case.front_url,
        "origin": {"host": case.origin_host, "port": case.origin_port, "scheme": case.origin_scheme},
        "interval_seconds": 3600,
        "regions": regions,
        "confirmation": confirmation,
        "channels": [channel],
    })
}

pub(crate) fn create_monitor(api: &Api, cleanup: &Cleanup, body: &Value) -> String {
    let r = api.post("/api/v1/monitors", body);
    expect_status(&r, 201);
    let id = r.json()["id"].as_str().expect("monitor id").to_string();
    cleanup.add(format!("/api/v1/monitors/{id}"));
    id
}

#[test]
fn a_hanging_receiver_does_not_hold_up_checks() {
    let api = Api::from_env();
    let cleanup = Cleanup::new(&api);
    let rig = crate::shared::rig();
    let healthy = rig.case("healthy").expect("healthy case");
    let hanging = WebhookReceiver::start(WebhookOptions {
        hang: true,
        hang_limit: Duration::from_secs(60),
        ..Default::default()
    })
    .expect("receiver");
    let channel = create_channel(
        &api,
        &cleanup,
        json!({"name": unique("hang"), "kind": "webhook", "url": hanging.url(), "secret": SECRET}),
    );
    let delivery = test_send(&api, &channel);
    assert_eq!(
        hanging.wait_for(1, Duration::from_secs(30)).len(),
        1,
        "the dispatcher is now waiting on the receiver"
    );

    let monitor = create_monitor(
        &api,
        &cleanup,
        &monitor_body(healthy, &channel, &["weur"], json!({"regions_to_agree": 1})),
    );
    let r = api.post_empty(&format!("/api/v1/monitors/{monitor}/check"));
    expect_status(&r, 200);

    // The check finished while the dispatcher's POST was still open: its attempt is not
    // recorded yet (it is recorded when the dispatcher's timeout fires).
    let v = api.get(&format!("/api/v1/deliveries/{delivery}")).json();
    assert_eq!(
        v["attempts"], 0,
        "the check did not wait for the hanging delivery: {v}"
    );

    let v = poll_delivery(&api, &delivery, Duration::from_secs(40), |v| {
        v["attempts"].as_u64().is_some_and(|n| n >= 1)
    });
    assert_eq!(v["status"], "pending", "a timeout is retryable: {v}");
    assert!(
        v["attempt_log"][0]["error"]
            .as_str()
            .is_some_and(|e| e.contains("timed out")),
        "{v}"
    );
    assert_eq!(v["attempt_log"][0]["status_code"], Value::Null, "{v}");
}

/// Webhook bodies received so far of one alert kind (`down`, `resolved`, ...).
pub(crate) fn of_kind(receiver: &WebhookReceiver, kind: &str) -> Vec<Value> {
    receiver
        .records()
        .iter()
        .filter_map(|r| r.body_json())
        .filter(|b| b["data"]["kind"] == kind)
        .collect()
}

pub(crate) fn wait_kind(
    receiver: &WebhookReceiver,
    kind: &str,
    timeout: Duration,
    mut between: impl FnMut(),
) -> Vec<Value> {
    let deadline = Instant::now() + timeout;
    loop {
        let got = of_kind(receiver, kind);
        if !got.is_empty() || Instant::now() >= deadline {
            return got;
        }
        between();
        thread::sleep(Duration::from_millis(250));
    }
}

#[test]
fn a_confirmed_outage_alerts_once_with_region_evidence_then_resolves() {
    let api = Api::from_env();
    let cleanup = Cleanup::new(&api);
    let rig = crate::shared::rig();
    let down = rig.case("origin_down").expect("origin_down case");
    let healthy = rig.case("healthy").expect("healthy case");
    let (receiver, channel) = signed_receiver(&api, &cleanup, WebhookOptions::default());
    let regions = ["weur", "enam", "apac"];
    let confirmation =
        json!({"regions_to_agree": 2, "recheck_delay_seconds": 1, "recovery_rounds": 1});
    let monitor = create_monitor(
        &api,
        &cleanup,
        &monitor_body(down, &channel, &regions, confirmation),
    );

    // The first failing round makes the monitor suspect; the coordinator re-checks ~1 s later
    // and confirms.
    expect_status(
        &api.post_empty(&format!("/api/v1/monitors/{monitor}/check")),
        200,
    );
    let downs = wait_kind(&receiver, "down", Duration::from_secs(30), || {});
    assert_eq!(downs.len(), 1, "one Down alert: {downs:?}");
    thread::sleep(Duration::from_secs(3));
    let ids: Vec<String> = receiver
        .records()
        .iter()
        .filter(|r| r.body_json().is_some_and(|b| b["data"]["kind"] == "down"))
        .filter_map(|r| r.header("webhook-id").map(str::to_string))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    assert_eq!(ids.len(), 1, "exactly one logical Down alert: {ids:?}");
    assert!(receiver
        .records()
        .iter()
        .all(|r| r.signature_valid == Some(true)));
    let data = &downs[0]["data"];
    assert_eq!(data["monitor_id"], monitor.as_str(), "{data}");
    assert!(data["incident_id"].as_str().is_some(), "{data}");
    let evidence = data["regions"].as_array().expect("regions");
    let mut names: Vec<&str> = evidence
        .iter()
        .filter_map(|r| r["region"].as_str())
        .collect();
    names.sort_unstable();
    assert_eq!(names, vec!["apac", "enam", "weur"], "{data}");
    for r in evidence {
        assert_eq!(r["edge_status"], 502, "the front answered 502: {r}");
        assert_eq!(
            r["origin_failed_step"], "connect",
            "the origin refused connections: {r}"
        );
    }

    // Recovery: point the monitor at a healthy front and origin; one healthy round resolves.
    let fix = json!({"url": healthy.front_url, "origin": {"host": healthy.origin_host, "port": healthy.origin_port, "scheme": healthy.origin_scheme}});
    expect_status(
        &api.patch(&format!("/api/v1/monitors/{monitor}"), &fix),
        200,
    );
    let mut checks = 0;
    let resolved = wait_kind(&receiver, "resolved", Duration::from_secs(30), || {
        // Another healthy round every few polls, in case the first one raced the re-check.
        if checks < 3 {
            checks += 1;
            let _ = api.post_empty(&format!("/api/v1/monitors/{monitor}/check"));
        }
    });
    assert_eq!(resolved.len(), 1, "one Resolved alert: {resolved:?}");
    assert_eq!(
        resolved[0]["data"]["incident_id"], data["incident_id"],
        "it closes the same incident"
    );
    assert_eq!(of_kind(&receiver, "down").len(), 1, "still one Down");
}

/// Issue 10: `flap_threshold: 0` (flap detection off) and the hold of a Down while flapping
/// are accepted by the API and shown back; out-of-range values name their field.
#[test]
fn the_api_accepts_flap_threshold_zero_and_a_sustained_down_hold() {
    let api = Api::from_env();
    let cleanup = Cleanup::new(&api);
    let healthy = crate::shared::rig().case("healthy").expect("healthy case");
    let mut body = json!({
        "name": unique("flap-off"),
        "url": healthy.front_url,
        "regions": ["weur"],
        "paused": true,
        "confirmation": {"flap_threshold": 0, "sustained_down_rounds": 4},
    });
    let id = create_monitor(&api, &cleanup, &body);
    let view = api.get(&format!("/api/v1/monitors/{id}")).json();
    assert_eq!(view["confirmation"]["flap_threshold"], 0, "{view}");
    assert_eq!(view["confirmation"]["sustained_down_rounds"], 4, "{view}");

    let r = api.patch(
        &format!("/api/v1/monitors/{id}"),
        &json!({"confirmation": {"flap_threshold": 2}}),
    );
    expect_status(&r, 200);
    assert_eq!(
        r.json()["confirmation"]["sustained_down_rounds"],
        4,
        "{}",
        r.body
    );

    body["name"] = json!(unique("flap-bad"));
    body["confirmation"] = json!({"flap_threshold": 101, "sustained_down_rounds": 0});
    let r = api.post("/api/v1/monitors", &body);
    expect_status(&r, 422);
    for field in [
        "/confirmation/flap_threshold",
        "/confirmation/sustained_down_rounds",
    ] {
        assert!(r.body.contains(field), "{field} named: {}", r.body);
    }
}

/// Rounds of one kind ("recheck", "manual", ...) recorded for a monitor so far.
fn rounds_of_kind(api: &Api, monitor: &str, kind: &str) -> usize {
    let r = api.get(&format!("/api/v1/monitors/{monitor}/results?limit=100"));
    expect_status(&r, 200);
    r.json()["items"].as_array().map_or(0, |items| {
        items.iter().filter(|i| i["kind"] == kind).count()
    })
}

/// The distinct alerts a receiver got, oldest first, as `(kind, incident_id)`; retries of one
/// alert (same alert id) count once.
fn alerts_received(receiver: &WebhookReceiver) -> Vec<(String, String)> {
    let mut seen = std::collections::BTreeSet::new();
    // `timestamp` is the alert's time (RFC 3339, one format), so it sorts as text.
    let mut out: Vec<(String, String, String)> = receiver
        .records()
        .iter()
        .filter_map(|r| r.body_json())
        .filter(|b| seen.insert(b["data"]["id"].to_string()))
        .map(|b| {
            let d = &b["data"];
            (
                b["timestamp"].as_str().unwrap_or("").to_string(),
                d["kind"].as_str().unwrap_or("").to_string(),
                d["incident_id"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    out.sort();
    out.into_iter().map(|(_, k, i)| (k, i)).collect()
}

/// Issue 10, through the worker: an origin that goes down and up, with a strict flap threshold
/// (more than one incident within the window is flapping). The first outage pages and
/// resolves; the second is confirmed while flapping, so one Flapping notice goes out and its
/// Down is held back until it has failed `sustained_down_rounds` (3) rounds; it is then paged
/// and its Resolved follows. Rounds are driven by "check now" (the confirming re-check comes
/// from the coordinator's alarm, waited for before the origin changes); the origin is a real
/// HTTP server on loopback, stopped (the port refuses) and restarted on the same port.
#[test]
fn a_flapping_origin_pages_once_it_stays_down_and_resolves() {
    use crate::rig::origin::{Behaviour, OriginServer};

    let api = Api::from_env();
    let cleanup = Cleanup::new(&api);
    let (receiver, channel) = signed_receiver(&api, &cleanup, WebhookOptions::default());
    let up = || OriginServer::start(Behaviour::Healthy { max_age: None }).expect("origin");
    let mut origin = Some(up());
    let port = origin.as_ref().map(OriginServer::port).unwrap_or(0);
    let monitor = create_monitor(
        &api,
        &cleanup,
        &json!({
            "name": unique("flapping"),
            "url": format!("http://127.0.0.1:{port}/"),
            // Scheduled rounds are a day apart: only this test's checks drive the monitor.
            "interval_seconds": 86400,
            "regions": ["weur"],
            "channels": [channel],
            "confirmation": {
                "regions_to_agree": 1,
                "recheck_delay_seconds": 1,
                "recovery_rounds": 1,
                "flap_threshold": 1,
                "sustained_down_rounds": 3,
            },
        }),
    );
    let check = || {
        expect_status(
            &api.post_empty(&format!("/api/v1/monitors/{monitor}/check")),
            200,
        )
    };
    let wait_until = |what: &str, cond: &dyn Fn() -> bool| {
        let deadline = Instant::now() + Duration::from_secs(60);
        while !cond() {
            assert!(
                Instant::now() < deadline,
                "{what} did not happen within 60 s; alerts so far: {:?}",
                alerts_received(&receiver)
            );
            thread::sleep(Duration::from_millis(250));
        }
    };
    let kinds = || {
        alerts_received(&receiver)
            .into_iter()
            .map(|(k, _)| k)
            .collect::<Vec<_>>()
    };
    let count = |kind: &str| kinds().iter().filter(|k| *k == kind).count();
    let outage = |origin: &mut Option<OriginServer>, rechecks_before: usize| {
        *origin = None; // the port refuses from now on
        check();
        wait_until("the confirming re-check", &|| {
            rounds_of_kind(&api, &monitor, "recheck") > rechecks_before
        });
    };

    // Outage 1: paged at its confirmation, resolved by one healthy round.
    outage(&mut origin, 0);
    wait_until("the first Down", &|| count("down") == 1);
    origin = Some(
        OriginServer::start_on(port, Behaviour::Healthy { max_age: None }).expect("origin back"),
    );
    check();
    wait_until("the first Resolved", &|| count("resolved") == 1);

    // Outage 2 is the second incident within the window: flapping, its Down held back...
    outage(&mut origin, 1);
    wait_until("the Flapping notice", &|| count("flapping") == 1);
    assert_eq!(
        count("down"),
        1,
        "the Down of a fresh incident is held while flapping: {:?}",
        kinds()
    );
    // ...until it has failed three rounds (the confirming re-check was the first).
    check();
    check();
    wait_until("the sustained Down", &|| count("down") == 2);
    origin = Some(
        OriginServer::start_on(port, Behaviour::Healthy { max_age: None }).expect("origin back"),
    );
    check();
    wait_until("the second Resolved", &|| count("resolved") == 2);
    drop(origin);

    let got = alerts_received(&receiver);
    let kinds: Vec<&str> = got.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        kinds,
        ["down", "resolved", "flapping", "down", "resolved"],
        "{got:?}"
    );
    assert_eq!(
        got[3].1, got[4].1,
        "the Resolved closes the paged incident: {got:?}"
    );
    assert_ne!(got[0].1, got[3].1, "two incidents: {got:?}");
}

/// Issue 10 (security): a webhook host answering 307 towards another address (here a second
/// receiver on loopback, standing for an internal service) must not get the signed POST
/// delivered there. The attempt is a failure that names the redirect and its Location (without
/// its query, which may carry a token).
#[test]
fn delivery_never_follows_a_redirect() {
    let api = Api::from_env();
    let cleanup = Cleanup::new(&api);
    let inner = WebhookReceiver::start(WebhookOptions {
        secret: Some(SECRET.into()),
        ..Default::default()
    })
    .expect("receiver");
    let location = format!(
        "http://127.0.0.1:{}/moved-here?token=t0kenvalue",
        inner.port()
    );
    let redirecting = Canned::start(
        format!("HTTP/1.1 307 Temporary Redirect\r\nLocation: {location}"),
        "",
    );
    let channel = webhook_channel(&api, &cleanup, &redirecting.url());
    let delivery = test_send(&api, &channel);

    let v = poll_delivery(&api, &delivery, Duration::from_secs(30), |v| {
        v["attempt_log"].as_array().is_some_and(|a| !a.is_empty())
    });
    assert_eq!(
        attempt_codes(&v).first(),
        Some(&json!(307)),
        "the 3xx is the attempt's status: {v}"
    );
    assert_ne!(v["status"], "delivered", "{v}");
    let error = v["attempt_log"][0]["error"].as_str().unwrap_or_default();
    assert!(error.contains("307") && error.contains("redirect"), "{v}");
    assert!(
        error.contains(&format!(":{}", inner.port())) && error.contains("moved-here"),
        "Location is named: {v}"
    );
    assert!(
        !error.contains("t0kenvalue"),
        "the Location's query is not stored: {v}"
    );
    assert!(
        redirecting.count.load(Ordering::SeqCst) >= 1,
        "the channel's host was asked"
    );
    // Bounded wait for something that must not happen: the redirect target stays untouched.
    let reached = inner.wait_for(1, Duration::from_secs(3));
    assert!(
        reached.is_empty(),
        "the signed POST followed the redirect: {reached:?}"
    );
    assert_no_secrets(&v.to_string(), &redirecting.url(), SECRET);
}
