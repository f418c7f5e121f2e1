//! Issue 15's alert channels through the real worker: Teams, Telegram, Opsgenie and ntfy
//! requests as their services expect them (path, auth header, body shape), received by real
//! HTTP receivers on loopback (the rig's `WebhookReceiver`, which records path and headers);
//! and an outage during which a channel is attached mid-incident (no Resolved for it), one
//! channel filters out downs, Slack mentions `@here` and Opsgenie's alert is closed by alias.
//! The Telegram and Opsgenie channels point their `url` (the API base) at a receiver.

use std::thread;
use std::time::Duration;

use serde_json::{json, Value};

use crate::alerts::{
    create_channel, create_monitor, monitor_body, of_kind, one_record, poll_delivery, status_is,
    test_send, wait_kind,
};
use crate::client::{expect_status, unique, Api, Cleanup};
use crate::rig::webhook::{WebhookOptions, WebhookReceiver};

const TELEGRAM_TOKEN: &str = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw";
const OPSGENIE_KEY: &str = "eb243592-faa2-4ba2-a551-1afdf565c889";
const NTFY_TOKEN: &str = "tk_AgQdq7mVBoFD37zQVN29RhuMzNIz2";

fn receiver() -> WebhookReceiver {
    WebhookReceiver::start(WebhookOptions::default()).expect("receiver")
}

/// `http://127.0.0.1:<port>`: a receiver as an API base.
fn base(r: &WebhookReceiver) -> String {
    format!("http://127.0.0.1:{}", r.port())
}

#[test]
fn teams_telegram_opsgenie_and_ntfy_get_their_service_requests() {
    let api = Api::from_env();
    let cleanup = Cleanup::new(&api);
    let (teams, telegram, opsgenie, ntfy) = (receiver(), receiver(), receiver(), receiver());
    let ids = [
        create_channel(
            &api,
            &cleanup,
            json!({"name": unique("teams"), "kind": "teams", "url": teams.url()}),
        ),
        create_channel(
            &api,
            &cleanup,
            json!({"name": unique("tg"), "kind": "telegram", "url": base(&telegram),
                   "secret": TELEGRAM_TOKEN, "chat_id": "-1001234567890"}),
        ),
        create_channel(
            &api,
            &cleanup,
            json!({"name": unique("og"), "kind": "opsgenie", "url": base(&opsgenie),
                   "secret": OPSGENIE_KEY}),
        ),
        create_channel(
            &api,
            &cleanup,
            json!({"name": unique("ntfy"), "kind": "ntfy",
                   "url": format!("{}/ops-alerts", base(&ntfy)), "secret": NTFY_TOKEN}),
        ),
    ];
    let deliveries: Vec<String> = ids.iter().map(|c| test_send(&api, c)).collect();

    let rec = one_record(&teams, "teams");
    assert_eq!((rec.method.as_str(), rec.path.as_str()), ("POST", "/hook"));
    let b = rec.body_json().expect("teams JSON");
    assert_eq!(b["type"], "message", "{b}");
    assert_eq!(
        b["attachments"][0]["contentType"], "application/vnd.microsoft.card.adaptive",
        "{b}"
    );
    assert_eq!(
        b["attachments"][0]["content"]["type"], "AdaptiveCard",
        "{b}"
    );

    let rec = one_record(&telegram, "telegram");
    assert_eq!(rec.path, format!("/bot{TELEGRAM_TOKEN}/sendMessage"));
    let b = rec.body_json().expect("telegram JSON");
    assert_eq!(b["chat_id"], "-1001234567890", "{b}");
    assert_eq!(b["parse_mode"], "HTML", "{b}");
    assert!(
        b["text"].as_str().is_some_and(|t| t.contains("<b>TEST: ")),
        "{b}"
    );

    let rec = one_record(&opsgenie, "opsgenie");
    assert_eq!(rec.path, "/v2/alerts");
    assert_eq!(
        rec.header("authorization"),
        Some(format!("GenieKey {OPSGENIE_KEY}").as_str())
    );
    let b = rec.body_json().expect("opsgenie JSON");
    assert!(
        b["alias"].as_str().is_some_and(|a| a.starts_with("test_")),
        "{b}"
    );
    assert!(
        b["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("TEST: ")),
        "{b}"
    );

    let rec = one_record(&ntfy, "ntfy");
    assert_eq!(rec.path, "/", "JSON publish goes to the server root");
    assert_eq!(
        rec.header("authorization"),
        Some(format!("Bearer {NTFY_TOKEN}").as_str())
    );
    let b = rec.body_json().expect("ntfy JSON");
    assert_eq!(b["topic"], "ops-alerts", "{b}");
    assert!(
        b["title"].as_str().is_some_and(|t| t.starts_with("TEST: ")),
        "{b}"
    );

    for id in &deliveries {
        let v = poll_delivery(&api, id, Duration::from_secs(20), status_is("delivered"));
        assert_eq!(v["status"], "delivered", "{v}");
    }
    // Secrets stay write-only: neither the channel views nor the deliveries show them.
    let mut shown = String::new();
    for c in &ids {
        shown.push_str(&api.get(&format!("/api/v1/channels/{c}")).json().to_string());
        shown.push_str(
            &api.get(&format!("/api/v1/channels/{c}/deliveries"))
                .json()
                .to_string(),
        );
    }
    for id in &deliveries {
        shown.push_str(
            &api.get(&format!("/api/v1/deliveries/{id}"))
                .json()
                .to_string(),
        );
    }
    for secret in [TELEGRAM_TOKEN, OPSGENIE_KEY, NTFY_TOKEN, "AAHdqTcvCH1v"] {
        assert!(!shown.contains(secret), "{secret} leaked: {shown}");
    }
    let tg = api.get(&format!("/api/v1/channels/{}", ids[1])).json();
    assert_eq!(tg["chat_id"], "-1001234567890", "{tg}");
    assert_eq!(tg["has_secret"], true, "{tg}");
}

#[test]
fn invalid_mentions_and_filters_are_refused_naming_the_field() {
    let api = Api::from_env();
    let r = api.post(
        "/api/v1/channels",
        &json!({"name": unique("bad"), "kind": "slack", "url": "https://hooks.slack.com/services/T/B/X",
                "mention": "@everyone", "filter": {"kinds": ["down", "pages"], "min_severity": "loud"}}),
    );
    expect_status(&r, 422);
    assert!(
        r.header("content-type")
            .is_some_and(|c| c.starts_with("application/problem+json")),
        "{r:?}"
    );
    let body = r.json();
    let mut pointers: Vec<String> = body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["pointer"].as_str().map(str::to_string))
        .collect();
    pointers.sort();
    assert_eq!(
        pointers,
        ["/filter/kinds/1", "/filter/min_severity", "/mention"],
        "{body}"
    );
}

/// Records whose JSON body satisfies `pick`.
fn bodies(r: &WebhookReceiver, pick: impl Fn(&Value) -> bool) -> Vec<(String, Value)> {
    r.records()
        .into_iter()
        .filter_map(|rec| rec.body_json().map(|b| (rec.path.clone(), b)))
        .filter(|(_, b)| pick(b))
        .collect()
}

#[test]
fn an_outage_routes_per_channel_and_a_channel_attached_mid_incident_gets_no_resolved() {
    let api = Api::from_env();
    let cleanup = Cleanup::new(&api);
    let rig = crate::shared::rig();
    let down = rig.case("origin_down").expect("origin_down case");
    let healthy = rig.case("healthy").expect("healthy case");
    let (early, early_ch) =
        crate::alerts::signed_receiver(&api, &cleanup, WebhookOptions::default());
    let (late, late_ch) = crate::alerts::signed_receiver(&api, &cleanup, WebhookOptions::default());
    let (filtered, filtered_ch) =
        crate::alerts::signed_receiver(&api, &cleanup, WebhookOptions::default());
    expect_status(
        &api.patch(
            &format!("/api/v1/channels/{filtered_ch}"),
            &json!({"filter": {"kinds": ["flapping", "cert"]}}),
        ),
        200,
    );
    let slack = receiver();
    let slack_ch = create_channel(
        &api,
        &cleanup,
        json!({"name": unique("slack"), "kind": "slack", "url": slack.url(), "mention": "@here"}),
    );
    let opsgenie = receiver();
    let og_ch = create_channel(
        &api,
        &cleanup,
        json!({"name": unique("og"), "kind": "opsgenie", "url": base(&opsgenie), "secret": OPSGENIE_KEY}),
    );
    let regions = ["weur", "enam"];
    let confirmation =
        json!({"regions_to_agree": 2, "recheck_delay_seconds": 1, "recovery_rounds": 1});
    let mut body = monitor_body(down, &early_ch, &regions, confirmation);
    body["channels"] = json!([early_ch, filtered_ch, slack_ch, og_ch]);
    let monitor = create_monitor(&api, &cleanup, &body);

    expect_status(
        &api.post_empty(&format!("/api/v1/monitors/{monitor}/check")),
        200,
    );
    let downs = wait_kind(&early, "down", Duration::from_secs(30), || {});
    assert_eq!(downs.len(), 1, "one Down: {downs:?}");
    let incident = downs[0]["data"]["incident_id"]
        .as_str()
        .expect("incident id")
        .to_string();
    let page = downs[0]["data"]["links"]["monitor_page"]
        .as_str()
        .expect("monitor page link")
        .to_string();
    assert!(page.contains("/status/"), "{page}");

    // The late channel is attached while the incident is open.
    expect_status(
        &api.patch(
            &format!("/api/v1/monitors/{monitor}"),
            &json!({"channels": [early_ch, filtered_ch, slack_ch, og_ch, late_ch]}),
        ),
        200,
    );
    // Recovery: a healthy front and origin; one healthy round resolves.
    let fix = json!({"url": healthy.front_url, "origin": {"host": healthy.origin_host, "port": healthy.origin_port, "scheme": healthy.origin_scheme}});
    expect_status(
        &api.patch(&format!("/api/v1/monitors/{monitor}"), &fix),
        200,
    );
    let mut checks = 0;
    let resolved = wait_kind(&early, "resolved", Duration::from_secs(30), || {
        if checks < 3 {
            checks += 1;
            let _ = api.post_empty(&format!("/api/v1/monitors/{monitor}/check"));
        }
    });
    assert_eq!(resolved.len(), 1, "the early channel got the Resolved");
    let close = format!("/v2/alerts/{incident}/close?identifierType=alias");
    let closed = (0..80).find(|_| {
        let done = opsgenie.records().iter().any(|r| r.path == close);
        if !done {
            thread::sleep(Duration::from_millis(250));
        }
        done
    });
    assert!(
        closed.is_some(),
        "opsgenie closed the alias: {:?}",
        opsgenie.records()
    );
    // Every channel's rows were queued in the batches of the same rounds as the early
    // channel's, and the dispatcher delivers them in one pass: give it a moment, then check
    // that nothing else arrived.
    thread::sleep(Duration::from_secs(3));
    assert_eq!(
        late.records().len(),
        0,
        "no Resolved for a Down the late channel never got: {:?}",
        of_kind(&late, "resolved")
    );
    assert_eq!(
        filtered.records().len(),
        0,
        "the filtered channel takes only flapping and cert alerts"
    );
    let created = bodies(&opsgenie, |b| b["alias"] == incident.as_str());
    assert_eq!(
        created.len(),
        1,
        "one Opsgenie create with alias = incident id"
    );
    assert_eq!(created[0].0, "/v2/alerts");
    let slack_down = bodies(&slack, |b| {
        b["text"].as_str().is_some_and(|t| t.contains("DOWN "))
    });
    assert_eq!(slack_down.len(), 1, "{:?}", slack.records());
    let text = slack_down[0].1["text"].as_str().unwrap_or_default();
    assert!(text.starts_with("<!here> DOWN "), "{text}");
    let slack_resolved = bodies(&slack, |b| {
        b["text"].as_str().is_some_and(|t| t.contains("RESOLVED "))
    });
    assert_eq!(slack_resolved.len(), 1, "{:?}", slack.records());
    assert!(
        !slack_resolved[0].1.to_string().contains("<!here>"),
        "a Resolved does not ping"
    );
    assert!(
        slack_down[0].1.to_string().contains(&page),
        "slack links the monitor page"
    );
}

/// Outbox rows written before migration 0005 have no `dedup_key`: an incident open across
/// that deploy must still get its Resolved (routing falls back to the key in the alert JSON).
/// Simulated by clearing the column of this monitor's rows after the Down was queued.
#[test]
fn an_incident_queued_before_migration_0005_still_resolves() {
    let api = Api::from_env();
    let cleanup = Cleanup::new(&api);
    let rig = crate::shared::rig();
    let down = rig.case("origin_down").expect("origin_down case");
    let healthy = rig.case("healthy").expect("healthy case");
    let (hook, channel) = crate::alerts::signed_receiver(&api, &cleanup, WebhookOptions::default());
    let confirmation =
        json!({"regions_to_agree": 1, "recheck_delay_seconds": 1, "recovery_rounds": 1});
    let monitor = create_monitor(
        &api,
        &cleanup,
        &monitor_body(down, &channel, &["weur"], confirmation),
    );
    expect_status(
        &api.post_empty(&format!("/api/v1/monitors/{monitor}/check")),
        200,
    );
    assert_eq!(
        wait_kind(&hook, "down", Duration::from_secs(30), || {}).len(),
        1
    );
    let cleared = crate::client::d1_execute(&format!(
        "UPDATE deliveries SET dedup_key = NULL WHERE monitor_id = '{monitor}' RETURNING id"
    ));
    assert!(!cleared.is_empty(), "the Down's row was there to clear");
    let fix = json!({"url": healthy.front_url, "origin": {"host": healthy.origin_host, "port": healthy.origin_port, "scheme": healthy.origin_scheme}});
    expect_status(
        &api.patch(&format!("/api/v1/monitors/{monitor}"), &fix),
        200,
    );
    let mut checks = 0;
    let resolved = wait_kind(&hook, "resolved", Duration::from_secs(30), || {
        if checks < 3 {
            checks += 1;
            let _ = api.post_empty(&format!("/api/v1/monitors/{monitor}/check"));
        }
    });
    assert_eq!(
        resolved.len(),
        1,
        "alerts received: {:?}",
        hook.unique_ids()
    );
}
