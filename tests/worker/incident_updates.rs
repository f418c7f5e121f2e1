//! Issue 15, incident communication and maintenance through the running worker: manual
//! incidents and operator updates (API, problem+json, bearer token), shown on the public pages
//! and in the Atom feeds right after the API answers (the handlers republish; no cron run is
//! fired here), and maintenance windows as their own resource, honoured by alerting.

use serde_json::{json, Value};

use crate::alerts::{create_monitor, monitor_body, of_kind, signed_receiver, wait_kind};
use crate::client::{expect_status, unique, Api, Cleanup, Resp};
use crate::rig::webhook::WebhookOptions;

/// The JSON Pointers of a 422 problem+json.
#[track_caller]
fn invalid_pointers(r: &Resp) -> Vec<String> {
    expect_status(r, 422);
    assert!(
        r.content_type.starts_with("application/problem+json"),
        "{}",
        r.content_type
    );
    let mut p: Vec<String> = r.json()["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["pointer"].as_str().map(str::to_string))
        .collect();
    p.sort();
    p
}

fn rfc3339(offset_minutes: i64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_millis() as i64;
    edgeprobe_core::time::format_rfc3339(now + offset_minutes * 60_000)
}

/// A public monitor (paused: these tests drive rounds themselves) on a port that refuses.
fn public_monitor(api: &Api, cleanup: &Cleanup) -> (String, String) {
    let slug = unique("comm");
    let r = api.post(
        "/api/v1/monitors",
        &json!({"name": format!("Shop {slug}"), "url": "http://127.0.0.1:9/", "slug": slug,
                "public": true, "paused": true}),
    );
    expect_status(&r, 201);
    let id = r.json()["id"].as_str().expect("id").to_string();
    cleanup.add(format!("/api/v1/monitors/{id}"));
    (id, slug)
}

fn entry_titles(xml: &str) -> Vec<String> {
    let feed = feed_rs::parser::parse(xml.as_bytes()).expect("the feed is valid Atom");
    assert_eq!(feed.feed_type, feed_rs::model::FeedType::Atom);
    feed.entries
        .iter()
        .filter_map(|e| e.title.as_ref().map(|t| t.content.clone()))
        .collect()
}

/// A manual incident on a public monitor: opened, updated and resolved through the API; each
/// step shows on the monitor's page, the index and both feeds as soon as the API answered.
#[test]
fn a_manual_incident_is_opened_updated_and_resolved_and_shows_at_once() {
    let api = Api::from_env();
    let cleanup = Cleanup::new(&api);
    let (monitor, slug) = public_monitor(&api, &cleanup);
    let title = format!("Checkout errors {slug}");
    let r = api.post(
        "/api/v1/incidents",
        &json!({"title": title, "monitor_ids": [monitor], "impact": "major",
                "message": "Some payments fail.\nWe are investigating."}),
    );
    expect_status(&r, 201);
    let created = r.json();
    let id = created["id"].as_str().expect("id").to_string();
    assert_eq!(
        r.header("location"),
        Some(format!("/api/v1/incidents/{id}").as_str())
    );
    assert_eq!(created["kind"], "manual");
    assert_eq!(created["state"], "investigating");
    assert_eq!(created["closed_at"], Value::Null);
    assert_eq!(created["updates"].as_array().map(Vec::len), Some(1));

    let page = api.get_public(&format!("/status/{slug}"));
    expect_status(&page, 200);
    assert!(
        page.body.contains(&title),
        "the monitor page lists it at once"
    );
    assert!(page.body.contains("We are investigating."));
    let index = api.get_public("/status");
    assert!(index.body.contains("Active incidents") && index.body.contains(&title));

    let r = api.post(
        &format!("/api/v1/incidents/{id}/updates"),
        &json!({"state": "identified", "message": format!("A bad release {slug}; rolling back.")}),
    );
    expect_status(&r, 201);
    assert_eq!(r.json()["state"], "identified");
    let page = api.get_public(&format!("/status/{slug}"));
    assert!(page
        .body
        .contains(&format!("A bad release {slug}; rolling back.")));
    assert!(page.body.contains("Identified"));
    let feed = api.get_public(&format!("/status/{slug}/feed.atom"));
    expect_status(&feed, 200);
    let titles = entry_titles(&feed.body);
    assert!(
        titles.contains(&format!("{title}: identified")),
        "{titles:?}"
    );

    let r = api.post(
        &format!("/api/v1/incidents/{id}/updates"),
        &json!({"state": "resolved", "message": "Payments work again."}),
    );
    expect_status(&r, 201);
    let resolved = r.json();
    assert_eq!(resolved["state"], "resolved");
    assert!(resolved["closed_at"].is_string(), "{resolved}");
    let got = api.get(&format!("/api/v1/incidents/{id}")).json();
    assert_eq!(got["updates"].as_array().map(Vec::len), Some(3), "{got}");
    let listed = api
        .get(&format!("/api/v1/monitors/{monitor}/incidents"))
        .json();
    assert!(
        listed["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|i| i["id"] == id.as_str()),
        "the monitor's incident list has it: {listed}"
    );
    let site = entry_titles(&api.get_public("/status/feed.atom").body);
    assert!(site.contains(&format!("{title}: resolved")), "{site:?}");
    let index = api.get_public("/status");
    assert!(
        !index.body.contains(&title),
        "no longer active on the index"
    );

    // Resolved is final; another update names /state.
    let again = api.post(
        &format!("/api/v1/incidents/{id}/updates"),
        &json!({"state": "monitoring", "message": "Still fine."}),
    );
    assert_eq!(invalid_pointers(&again), ["/state"]);
}

/// A site-wide incident shows on the index and the site feed; an update on an automatic
/// incident is commentary (it shows, `resolved` is refused while the checks still fail).
#[test]
fn site_wide_incidents_and_updates_on_automatic_incidents() {
    let api = Api::from_env();
    let cleanup = Cleanup::new(&api);
    let title = unique("Emails delayed");
    let r = api.post(
        "/api/v1/incidents",
        &json!({"title": title, "impact": "critical", "message": "Login emails are late."}),
    );
    expect_status(&r, 201);
    let site_id = r.json()["id"].as_str().expect("id").to_string();
    let index = api.get_public("/status");
    assert!(index.body.contains(&title) && index.body.contains("All services"));
    assert!(
        index.body.contains("Major outage"),
        "critical impact sets the banner"
    );
    let titles = entry_titles(&api.get_public("/status/feed.atom").body);
    assert!(
        titles.contains(&format!("{title}: investigating")),
        "{titles:?}"
    );
    expect_status(
        &api.post(
            &format!("/api/v1/incidents/{site_id}/updates"),
            &json!({"state": "resolved", "message": "Delivered again."}),
        ),
        201,
    );

    // An automatic incident: the monitor fails its check and the re-check confirms (not
    // paused: a paused monitor never alerts nor opens incidents; hourly, so rounds are ours).
    let (monitor, slug) = public_monitor(&api, &cleanup);
    expect_status(
        &api.patch(
            &format!("/api/v1/monitors/{monitor}"),
            &json!({"paused": false, "interval_seconds": 3600,
                    "confirmation": {"recheck_delay_seconds": 1}}),
        ),
        200,
    );
    expect_status(
        &api.post_empty(&format!("/api/v1/monitors/{monitor}/check")),
        200,
    );
    let mut incident = None;
    for _ in 0..60 {
        let _ = api.post_empty(&format!("/api/v1/monitors/{monitor}/check"));
        let list = api
            .get(&format!("/api/v1/monitors/{monitor}/incidents"))
            .json();
        if let Some(i) = list["items"].as_array().and_then(|a| a.first()).cloned() {
            incident = Some(i);
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
    let incident = incident.expect("the failing monitor opens an incident");
    assert_eq!(incident["kind"], "automatic");
    let id = incident["id"].as_str().expect("id");
    let refused = api.post(
        &format!("/api/v1/incidents/{id}/updates"),
        &json!({"state": "resolved", "message": "Fixed?"}),
    );
    assert_eq!(invalid_pointers(&refused), ["/state"]);
    let message = format!("We found the cause {slug}.");
    let r = api.post(
        &format!("/api/v1/incidents/{id}/updates"),
        &json!({"state": "identified", "message": message}),
    );
    expect_status(&r, 201);
    let after = r.json();
    assert_eq!(
        after["closed_at"],
        Value::Null,
        "commentary does not close it"
    );
    assert_eq!(after["updates"][0]["message"], message.as_str());
    let page = api.get_public(&format!("/status/{slug}"));
    assert!(page.body.contains(&message), "the update is public");
    assert!(
        page.body.contains("we are investigating"),
        "customer words stay"
    );
    assert!(
        !page.body.contains("What to check"),
        "no operator checklist"
    );
    let titles = entry_titles(&api.get_public(&format!("/status/{slug}/feed.atom")).body);
    assert!(
        titles.iter().any(|t| t.ends_with(": identified")),
        "{titles:?}"
    );
}

/// Every invalid member is named; unknown incidents are 404; the token is required.
#[test]
fn incident_input_is_checked_and_token_protected() {
    let api = Api::from_env();
    let bad = api.post(
        "/api/v1/incidents",
        &json!({"title": "", "impact": "huge", "state": "fixed", "message": "\u{7}", "x": 1}),
    );
    assert_eq!(
        invalid_pointers(&bad),
        ["/impact", "/message", "/state", "/title", "/x"]
    );
    let missing = api.post(
        "/api/v1/incidents",
        &json!({"title": "t", "message": "m", "monitor_ids": ["mon_no_such_monitor"]}),
    );
    assert_eq!(invalid_pointers(&missing), ["/monitor_ids/0"]);
    let r = api.post(
        "/api/v1/incidents/inc_no_such/updates",
        &json!({"state": "identified", "message": "m"}),
    );
    expect_status(&r, 404);
    let r = api.post("/api/v1/incidents", &json!({"title": "t", "message": "m"}));
    expect_status(&r, 201);
    let id = r.json()["id"].as_str().expect("id").to_string();
    let bad = api.post(
        &format!("/api/v1/incidents/{id}/updates"),
        &json!({"state": 1}),
    );
    assert_eq!(invalid_pointers(&bad), ["/message", "/state"]);
    for (method, path) in [
        ("POST", "/api/v1/incidents".to_string()),
        ("POST", format!("/api/v1/incidents/{id}/updates")),
        ("GET", format!("/api/v1/incidents/{id}")),
        ("GET", "/api/v1/monitors/mon_x/maintenance".to_string()),
        ("POST", "/api/v1/monitors/mon_x/maintenance".to_string()),
        (
            "DELETE",
            "/api/v1/monitors/mon_x/maintenance/mw_1".to_string(),
        ),
    ] {
        let r = api.raw(
            method,
            &path,
            None,
            Some("application/json"),
            Some(b"{}"),
            &[],
        );
        expect_status(&r, 401);
    }
    expect_status(
        &api.post(
            &format!("/api/v1/incidents/{id}/updates"),
            &json!({"state": "resolved", "message": "Done."}),
        ),
        201,
    );
}

/// Maintenance windows as a resource: created, listed, shown on the page at once, refused when
/// invalid, deleted; the PATCH still sets the whole list.
#[test]
fn maintenance_windows_are_a_resource_beside_the_monitor_patch() {
    let api = Api::from_env();
    let cleanup = Cleanup::new(&api);
    let (monitor, slug) = public_monitor(&api, &cleanup);
    let path = format!("/api/v1/monitors/{monitor}/maintenance");
    let reason = format!("database upgrade {slug}");
    let r = api.post(
        &path,
        &json!({"starts_at": rfc3339(-1), "ends_at": rfc3339(60), "reason": reason}),
    );
    expect_status(&r, 201);
    let window = r.json();
    let wid = window["id"].as_str().expect("id").to_string();
    assert!(wid.starts_with("mw_"));
    assert_eq!(window["active"], true);
    assert_eq!(r.header("location"), Some(format!("{path}/{wid}").as_str()));
    let page = api.get_public(&format!("/status/{slug}"));
    expect_status(&page, 200);
    assert!(page.body.contains("Under maintenance") && page.body.contains(&reason));
    let again = api.post(
        &path,
        &json!({"starts_at": window["starts_at"], "ends_at": window["ends_at"], "reason": reason}),
    );
    expect_status(&again, 200);
    assert_eq!(
        again.json()["id"],
        wid.as_str(),
        "the same window, not a second one"
    );
    let listed = api.get(&path).json();
    assert_eq!(
        listed["items"].as_array().map(Vec::len),
        Some(1),
        "{listed}"
    );
    let m = api.get(&format!("/api/v1/monitors/{monitor}")).json();
    assert_eq!(
        m["maintenance"][0]["reason"],
        reason.as_str(),
        "a member of the monitor"
    );

    let bad = api.post(
        &path,
        &json!({"starts_at": rfc3339(60), "ends_at": rfc3339(0), "why": 1}),
    );
    assert_eq!(invalid_pointers(&bad), ["/ends_at", "/why"]);
    expect_status(
        &api.post("/api/v1/monitors/mon_no_such/maintenance", &json!({})),
        404,
    );
    expect_status(&api.delete(&format!("{path}/mw_no_such")), 404);

    expect_status(&api.delete(&format!("{path}/{wid}")), 204);
    assert_eq!(api.get(&path).json()["items"], json!([]));
    let page = api.get_public(&format!("/status/{slug}"));
    assert!(!page.body.contains("Under maintenance"), "gone at once");

    let patched = api.patch(
        &format!("/api/v1/monitors/{monitor}"),
        &json!({"maintenance": [{"starts_at": rfc3339(120), "ends_at": rfc3339(180)}]}),
    );
    expect_status(&patched, 200);
    let listed = api.get(&path).json();
    assert_eq!(listed["items"][0]["active"], false, "{listed}");
}

/// A window created through the maintenance API mutes alerts: a confirmed outage inside it
/// queues no Down; once the window is deleted through the API, the next round announces it.
#[test]
fn a_window_created_through_the_api_mutes_alerts_until_deleted() {
    let api = Api::from_env();
    let cleanup = Cleanup::new(&api);
    let rig = crate::shared::rig();
    let down = rig.case("origin_down").expect("origin_down case");
    let (receiver, channel) = signed_receiver(&api, &cleanup, WebhookOptions::default());
    let confirmation =
        json!({"regions_to_agree": 1, "recheck_delay_seconds": 1, "recovery_rounds": 1});
    let monitor = create_monitor(
        &api,
        &cleanup,
        &monitor_body(down, &channel, &["weur"], confirmation),
    );
    let path = format!("/api/v1/monitors/{monitor}/maintenance");
    let r = api.post(
        &path,
        &json!({"starts_at": rfc3339(-1), "ends_at": rfc3339(60)}),
    );
    expect_status(&r, 201);
    let wid = r.json()["id"].as_str().expect("id").to_string();

    // Fail until the incident is confirmed (recorded in maintenance), then look at the outbox:
    // the Down would have been queued in the same batch as the incident.
    let mut confirmed = false;
    for _ in 0..60 {
        let _ = api.post_empty(&format!("/api/v1/monitors/{monitor}/check"));
        let list = api
            .get(&format!("/api/v1/monitors/{monitor}/incidents"))
            .json();
        if list["items"].as_array().is_some_and(|a| !a.is_empty()) {
            confirmed = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
    assert!(confirmed, "the outage is recorded during maintenance");
    let queued = api
        .get(&format!("/api/v1/channels/{channel}/deliveries"))
        .json();
    assert_eq!(
        queued["items"],
        json!([]),
        "nothing queued in maintenance: {queued}"
    );
    assert!(of_kind(&receiver, "down").is_empty());

    expect_status(&api.delete(&format!("{path}/{wid}")), 204);
    let downs = wait_kind(
        &receiver,
        "down",
        std::time::Duration::from_secs(30),
        || {
            let _ = api.post_empty(&format!("/api/v1/monitors/{monitor}/check"));
        },
    );
    assert_eq!(
        downs.len(),
        1,
        "announced on the first round after the window: {downs:?}"
    );
}
