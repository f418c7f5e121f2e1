//! The JSON API through the running worker: auth, CRUD of monitors and channels, every class
//! of bad input, pagination, the reading endpoints and "check now".
//!
//! Loopback targets: the worker runs with ALLOW_PRIVATE_TARGETS=true under the test script, so
//! monitors pointing at 127.0.0.1 are accepted here (that is how the rig is probed). That the
//! policy refuses them by default is tested in the core (`core::validate::target` tests,
//! `refuses_non_public_addresses_unless_allowed`).

use std::io::{Read, Write};
use std::net::TcpListener;

use base64::Engine;
use serde_json::{json, Value};

use crate::client::{expect_status, unique, Api, Resp};

/// A minimal monitor body with a unique name and slug.
pub fn monitor_body(url: &str) -> (Value, String) {
    let slug = unique("mon");
    // Paused: these tests drive rounds themselves ("check now" runs paused monitors too); the
    // scheduler would otherwise add rounds at moments the assertions cannot know.
    (
        json!({"name": format!("Monitor {slug}"), "url": url, "slug": slug, "paused": true}),
        slug,
    )
}

pub fn create_monitor(api: &Api, body: &Value) -> Value {
    let r = api.post("/api/v1/monitors", body);
    expect_status(&r, 201);
    r.json()
}

/// A unique Standard Webhooks secret (whsec_ + base64 of 32 bytes).
pub fn webhook_secret() -> String {
    let raw = format!("{:<32}", unique("s")).replace(' ', "x");
    format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(raw.as_bytes())
    )
}

/// An HTTP server on loopback that answers 200 "edgeprobe-ok" to every request, forever (one
/// thread per connection; the process exit ends it). Returns its base URL.
pub fn healthy_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let mut s = stream;
                let _ = s.set_read_timeout(Some(std::time::Duration::from_secs(10)));
                let mut buf = [0u8; 4096];
                let mut seen = Vec::new();
                while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                    match s.read(&mut buf) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => seen.extend_from_slice(&buf[..n]),
                    }
                }
                let body = "<html><body>edgeprobe-ok</body></html>";
                let _ = write!(
                    s,
                    "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            });
        }
    });
    format!("http://127.0.0.1:{}/", addr.port())
}

/// An RFC 9457 problem with this status and one of the documented problem types.
#[track_caller]
pub fn expect_problem(r: &Resp, status: u16) -> Value {
    expect_status(r, status);
    assert!(
        r.content_type.starts_with("application/problem+json"),
        "content type {} for {}",
        r.content_type,
        r.body
    );
    let v = r.json();
    assert_eq!(v["status"], status, "{v}");
    assert!(
        v["type"]
            .as_str()
            .is_some_and(|t| t.starts_with("https://edgeprobe.dev/problems/")),
        "{v}"
    );
    v
}

/// The JSON Pointers a validation problem names.
#[track_caller]
fn pointers(r: &Resp) -> Vec<String> {
    let v = expect_problem(r, 422);
    v["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["pointer"].as_str().unwrap_or("").to_string())
        .collect()
}

#[track_caller]
fn assert_points_at(r: &Resp, expected: &[&str]) {
    let got = pointers(r);
    for p in expected {
        assert!(
            got.iter().any(|g| g == p),
            "expected pointer {p} in {got:?}"
        );
    }
}

// ---------- authentication ----------

#[test]
fn every_authenticated_route_refuses_missing_wrong_and_altered_tokens() {
    let api = Api::from_env();
    let routes: [(&str, &str); 12] = [
        ("GET", "/api/v1/monitors"),
        ("POST", "/api/v1/monitors"),
        ("GET", "/api/v1/monitors/mon_x"),
        ("PATCH", "/api/v1/monitors/mon_x"),
        ("DELETE", "/api/v1/monitors/mon_x"),
        ("POST", "/api/v1/monitors/mon_x/check"),
        ("GET", "/api/v1/monitors/mon_x/status"),
        ("GET", "/api/v1/monitors/mon_x/results"),
        ("GET", "/api/v1/monitors/mon_x/incidents"),
        ("GET", "/api/v1/monitors/mon_x/rollups"),
        ("GET", "/api/v1/incidents/inc_x"),
        ("GET", "/api/v1/channels"),
    ];
    let wrong = format!("{}x", api.token);
    let cases: [(&str, Option<String>); 5] = [
        ("missing", None),
        ("basic scheme", Some(format!("Basic {}", api.token))),
        ("wrong token", Some("Bearer not-the-token".to_string())),
        ("extra character", Some(format!("Bearer {wrong}"))),
        ("empty bearer", Some("Bearer ".to_string())),
    ];
    for (method, path) in routes {
        for (what, header) in &cases {
            let extra: Vec<(&str, &str)> = header
                .iter()
                .map(|h| ("authorization", h.as_str()))
                .collect();
            let r = api.raw(
                method,
                path,
                None,
                Some("application/json"),
                Some(b"{}"),
                &extra,
            );
            let v = expect_problem(&r, 401);
            assert!(
                r.header("www-authenticate")
                    .is_some_and(|h| h.starts_with("Bearer")),
                "{method} {path} {what}"
            );
            assert!(!r.body.contains(&api.token), "the token must not be echoed");
            assert_eq!(v["type"], "https://edgeprobe.dev/problems/unauthorized");
        }
    }
    // Channel routes too, with one representative failure each.
    for (method, path) in [
        ("POST", "/api/v1/channels"),
        ("GET", "/api/v1/channels/ch_x"),
        ("PATCH", "/api/v1/channels/ch_x"),
        ("DELETE", "/api/v1/channels/ch_x"),
    ] {
        let r = api.raw(
            method,
            path,
            Some(&wrong),
            Some("application/json"),
            Some(b"{}"),
            &[],
        );
        expect_problem(&r, 401);
    }
}

#[test]
fn public_routes_need_no_token() {
    let api = Api::from_env();
    for path in ["/healthz", "/api/v1/openapi.json", "/status"] {
        let r = api.get_public(path);
        expect_status(&r, 200);
    }
}

#[test]
fn openapi_document_is_served() {
    let api = Api::from_env();
    let r = api.get_public("/api/v1/openapi.json");
    expect_status(&r, 200);
    assert!(
        r.content_type.starts_with("application/json"),
        "{}",
        r.content_type
    );
    let v = r.json();
    assert!(
        v["openapi"].as_str().is_some_and(|s| s.starts_with("3.1")),
        "{}",
        v["openapi"]
    );
    for p in [
        "/api/v1/monitors",
        "/api/v1/monitors/{id}",
        "/api/v1/channels",
        "/status/{slug}",
        "/badge/{slug}.svg",
    ] {
        assert!(v["paths"].get(p).is_some(), "missing path {p}");
    }
}

// ---------- routing ----------

#[test]
fn unknown_route_is_404_and_wrong_method_is_405_with_allow() {
    let api = Api::from_env();
    let r = api.get("/api/v1/nothing-here");
    expect_problem(&r, 404);
    let r = api.get_public("/no/such/page");
    expect_problem(&r, 404);

    let r = api.raw(
        "PUT",
        "/api/v1/monitors/mon_x",
        Some(&api.token),
        Some("application/json"),
        Some(b"{}"),
        &[],
    );
    expect_problem(&r, 405);
    let mut allow: Vec<String> = r
        .header("allow")
        .expect("Allow")
        .split(',')
        .map(|s| s.trim().to_string())
        .collect();
    allow.sort();
    assert_eq!(allow, ["DELETE", "GET", "HEAD", "PATCH"]);

    let r = api.raw(
        "DELETE",
        "/api/v1/monitors",
        Some(&api.token),
        None,
        None,
        &[],
    );
    expect_problem(&r, 405);
    let allow = r.header("allow").expect("Allow");
    assert!(allow.contains("GET") && allow.contains("POST"), "{allow}");

    let r = api.raw(
        "POST",
        "/status",
        None,
        Some("application/json"),
        Some(b"{}"),
        &[],
    );
    expect_problem(&r, 405);
}

// ---------- monitors ----------

#[test]
fn monitor_create_get_list_patch_delete_round_trip() {
    let api = Api::from_env();
    let (body, slug) = monitor_body("http://127.0.0.1:9/health");
    let r = api.post("/api/v1/monitors", &body);
    expect_status(&r, 201);
    assert!(r.content_type.starts_with("application/json"));
    let created = r.json();
    let id = created["id"].as_str().expect("id").to_string();
    assert!(id.starts_with("mon_"), "{id}");
    assert_eq!(
        r.header("location"),
        Some(format!("/api/v1/monitors/{id}").as_str())
    );
    assert_eq!(created["slug"], slug.as_str());
    assert_eq!(
        created["url"], "http://127.0.0.1:9/health",
        "loopback is accepted under ALLOW_PRIVATE_TARGETS"
    );
    assert_eq!(
        created["regions"],
        json!(["weur", "enam", "apac"]),
        "DEFAULT_REGIONS fill in"
    );
    assert_eq!(created["interval_seconds"], 60);
    assert_eq!(created["public"], false);

    let got = api.get(&format!("/api/v1/monitors/{id}"));
    expect_status(&got, 200);
    assert_eq!(got.json(), created);

    // PATCH: change two members; everything else stays.
    let r = api.patch(
        &format!("/api/v1/monitors/{id}"),
        &json!({"name": "Renamed", "interval_seconds": 120, "tags": ["a"]}),
    );
    expect_status(&r, 200);
    let patched = r.json();
    assert_eq!(
        (
            patched["name"].as_str(),
            patched["interval_seconds"].as_u64()
        ),
        (Some("Renamed"), Some(120))
    );
    assert_eq!(patched["tags"], json!(["a"]));
    for key in [
        "id",
        "url",
        "slug",
        "regions",
        "expect",
        "confirmation",
        "created_at",
        "public",
    ] {
        assert_eq!(patched[key], created[key], "{key} changed");
    }
    let again = api.get(&format!("/api/v1/monitors/{id}")).json();
    assert_eq!(
        again, patched,
        "GET after PATCH returns the patched monitor"
    );

    // A GET body, minus read-only members, PATCHed back changes nothing.
    let mut echo = again.clone();
    for k in ["id", "created_at", "updated_at"] {
        echo.as_object_mut().unwrap().remove(k);
    }
    let r = api.patch(&format!("/api/v1/monitors/{id}"), &echo);
    expect_status(&r, 200);
    let mut after = r.json();
    after["updated_at"] = again["updated_at"].clone();
    assert_eq!(after, again);

    // Read-only members are refused by name; null resets to the default.
    let r = api.patch(
        &format!("/api/v1/monitors/{id}"),
        &json!({"id": "mon_other", "created_at": "2020-01-01T00:00:00Z"}),
    );
    assert_points_at(&r, &["/id", "/created_at"]);
    let r = api.patch(
        &format!("/api/v1/monitors/{id}"),
        &json!({"interval_seconds": null}),
    );
    expect_status(&r, 200);
    assert_eq!(r.json()["interval_seconds"], 60);

    let listed = list_all(&api, "/api/v1/monitors", 100);
    assert!(
        listed.iter().any(|m| m["id"] == id.as_str()),
        "new monitor is listed"
    );

    let r = api.delete(&format!("/api/v1/monitors/{id}"));
    expect_status(&r, 204);
    assert!(r.body.is_empty());
    expect_problem(&api.get(&format!("/api/v1/monitors/{id}")), 404);
    expect_problem(&api.delete(&format!("/api/v1/monitors/{id}")), 404);
    expect_problem(
        &api.patch(&format!("/api/v1/monitors/{id}"), &json!({"name": "x"})),
        404,
    );
    expect_problem(&api.get(&format!("/api/v1/monitors/{id}/status")), 404);
}

#[test]
fn monitor_bodies_report_every_invalid_field_with_its_pointer() {
    let api = Api::from_env();
    // Wrong types, all at once.
    let r = api.post(
        "/api/v1/monitors",
        &json!({"name": 5, "url": ["x"], "interval_seconds": "60", "public": "yes", "regions": "weur", "tags": {}}),
    );
    assert_points_at(
        &r,
        &[
            "/name",
            "/url",
            "/interval_seconds",
            "/public",
            "/regions",
            "/tags",
        ],
    );
    // Missing required fields.
    assert_points_at(
        &api.post("/api/v1/monitors", &json!({})),
        &["/name", "/url"],
    );
    // Unknown fields, including nested ones.
    let (mut body, _) = monitor_body("http://127.0.0.1:9/");
    body["colour"] = json!("red");
    body["expect"] = json!({"statuses": [200], "speed": 1});
    assert_points_at(
        &api.post("/api/v1/monitors", &body),
        &["/colour", "/expect/speed"],
    );
    // Out-of-range numbers and bad enums.
    let (mut body, _) = monitor_body("http://127.0.0.1:9/");
    body["interval_seconds"] = json!(5);
    body["timeout_ms"] = json!(999_999);
    body["method"] = json!("DELETE");
    body["regions"] = json!(["mars"]);
    assert_points_at(
        &api.post("/api/v1/monitors", &body),
        &["/interval_seconds", "/timeout_ms", "/method", "/regions/0"],
    );
    // Invalid URLs.
    for url in [
        "not a url",
        "ftp://example.com/",
        "http://user:pw@example.com/",
        "/relative",
        "http://",
    ] {
        let (body, _) = monitor_body(url);
        assert_points_at(&api.post("/api/v1/monitors", &body), &["/url"]);
    }
    // Not an object at all.
    assert_points_at(&api.post("/api/v1/monitors", &json!([1, 2])), &[""]);
    // Bad slug.
    let (mut body, _) = monitor_body("http://127.0.0.1:9/");
    body["slug"] = json!("Not A Slug");
    assert_points_at(&api.post("/api/v1/monitors", &body), &["/slug"]);
}

#[test]
fn monitor_body_transport_errors_are_400_413_415() {
    let api = Api::from_env();
    let t = api.token.clone();
    // Malformed JSON: 400 with line and column.
    let r = api.raw(
        "POST",
        "/api/v1/monitors",
        Some(&t),
        Some("application/json"),
        Some(b"{\"name\": "),
        &[],
    );
    let v = expect_problem(&r, 400);
    assert_eq!(v["type"], "https://edgeprobe.dev/problems/malformed-json");
    assert!(
        v["detail"].as_str().is_some_and(|d| d.contains("line 1")),
        "{v}"
    );
    // Wrong and missing content types.
    for ct in [
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        None,
    ] {
        let r = api.raw("POST", "/api/v1/monitors", Some(&t), ct, Some(b"{}"), &[]);
        expect_problem(&r, 415);
    }
    let r = api.raw(
        "PATCH",
        "/api/v1/monitors/mon_x",
        Some(&t),
        Some("text/plain"),
        Some(b"{}"),
        &[],
    );
    expect_problem(&r, 415);
    // Oversized: 64 KiB + 1.
    let big = format!("{{\"name\": \"{}\"}}", "a".repeat(64 * 1024));
    let r = api.raw(
        "POST",
        "/api/v1/monitors",
        Some(&t),
        Some("application/json"),
        Some(big.as_bytes()),
        &[],
    );
    expect_problem(&r, 413);
    let r = api.raw(
        "POST",
        "/api/v1/channels",
        Some(&t),
        Some("application/json"),
        Some(big.as_bytes()),
        &[],
    );
    expect_problem(&r, 413);
    // Charset parameter is fine.
    let (body, _) = monitor_body("http://127.0.0.1:9/");
    let r = api.raw(
        "POST",
        "/api/v1/monitors",
        Some(&t),
        Some("application/json; charset=utf-8"),
        Some(body.to_string().as_bytes()),
        &[],
    );
    expect_status(&r, 201);
}

#[test]
fn duplicate_slugs_conflict_on_create_and_patch() {
    let api = Api::from_env();
    let (body, slug) = monitor_body("http://127.0.0.1:9/");
    create_monitor(&api, &body);
    let r = api.post(
        "/api/v1/monitors",
        &json!({"name": "Other", "url": "http://127.0.0.1:9/", "slug": slug}),
    );
    let v = expect_problem(&r, 409);
    assert_eq!(v["type"], "https://edgeprobe.dev/problems/conflict");

    let (body2, _) = monitor_body("http://127.0.0.1:9/");
    let second = create_monitor(&api, &body2);
    let r = api.patch(
        &format!("/api/v1/monitors/{}", second["id"].as_str().unwrap()),
        &json!({"slug": slug}),
    );
    expect_problem(&r, 409);
    // Patching a monitor to its own slug is no conflict.
    let r = api.patch(
        &format!("/api/v1/monitors/{}", second["id"].as_str().unwrap()),
        &json!({"slug": second["slug"]}),
    );
    expect_status(&r, 200);
}

#[test]
fn monitors_must_reference_existing_channels() {
    let api = Api::from_env();
    let ch = api.post(
        "/api/v1/channels",
        &json!({"name": "ok", "kind": "webhook", "url": "https://hooks.example.com/x", "secret": webhook_secret()}),
    );
    expect_status(&ch, 201);
    let ch_id = ch.json()["id"].as_str().unwrap().to_string();
    let (mut body, _) = monitor_body("http://127.0.0.1:9/");
    body["channels"] = json!([ch_id, "ch_missing1", "ch_missing2"]);
    let got = pointers(&api.post("/api/v1/monitors", &body));
    assert_eq!(got, ["/channels/1", "/channels/2"]);
    body["channels"] = json!([ch_id]);
    let m = create_monitor(&api, &body);
    assert_eq!(m["channels"], json!([ch_id]));
    let r = api.patch(
        &format!("/api/v1/monitors/{}", m["id"].as_str().unwrap()),
        &json!({"channels": ["ch_nope"]}),
    );
    assert_eq!(pointers(&r), ["/channels/0"]);
}

/// Follows `next_cursor` to the end; returns every item and asserts there were `> 1` pages
/// when more than `limit` items exist.
fn list_all(api: &Api, path: &str, limit: u32) -> Vec<Value> {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let url = match &cursor {
            Some(c) => format!("{path}?limit={limit}&cursor={c}"),
            None => format!("{path}?limit={limit}"),
        };
        let r = api.get(&url);
        expect_status(&r, 200);
        let v = r.json();
        let page = v["items"].as_array().expect("items").clone();
        assert!(page.len() <= limit as usize);
        items.extend(page);
        pages += 1;
        assert!(pages < 1000, "pagination does not end");
        match v["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => {
                assert!(v["next_cursor"].is_null(), "{v}");
                break;
            }
        }
    }
    if items.len() > limit as usize {
        assert!(pages > 1);
    }
    items
}

#[test]
fn monitor_and_channel_lists_page_through_everything_once() {
    let api = Api::from_env();
    let mut mine = Vec::new();
    for _ in 0..5 {
        let (body, _) = monitor_body("http://127.0.0.1:9/");
        mine.push(
            create_monitor(&api, &body)["id"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    let all = list_all(&api, "/api/v1/monitors", 2);
    assert!(all.len() >= 5);
    let ids: Vec<&str> = all.iter().map(|m| m["id"].as_str().unwrap()).collect();
    let mut dedup = ids.clone();
    dedup.sort();
    dedup.dedup();
    assert_eq!(dedup.len(), ids.len(), "no monitor twice across pages");
    for id in &mine {
        assert_eq!(
            ids.iter().filter(|i| *i == id).count(),
            1,
            "{id} listed once"
        );
    }

    let mut chans = Vec::new();
    for i in 0..3 {
        let r = api.post(
            "/api/v1/channels",
            &json!({"name": format!("c{i}"), "kind": "webhook", "url": "https://hooks.example.com/p", "secret": webhook_secret()}),
        );
        expect_status(&r, 201);
        chans.push(r.json()["id"].as_str().unwrap().to_string());
    }
    let all = list_all(&api, "/api/v1/channels", 1);
    for id in &chans {
        assert_eq!(all.iter().filter(|c| c["id"] == id.as_str()).count(), 1);
    }

    // Bad paging parameters.
    assert_points_at(&api.get("/api/v1/monitors?limit=0"), &["/query/limit"]);
    assert_points_at(
        &api.get("/api/v1/monitors?limit=101&cursor=%21%21"),
        &["/query/limit", "/query/cursor"],
    );
    assert_points_at(&api.get("/api/v1/channels?sort=asc"), &["/query/sort"]);
}

// ---------- channels ----------

#[test]
fn channel_secrets_and_urls_never_appear_in_any_response() {
    let api = Api::from_env();
    let secret = webhook_secret();
    let url_token = unique("tok");
    let url = format!("https://hooks.example.com/hook/{url_token}");
    let mut bodies = Vec::new();

    let r = api.post(
        "/api/v1/channels",
        &json!({"name": "Ops", "kind": "webhook", "url": url, "secret": secret}),
    );
    expect_status(&r, 201);
    let id = r.json()["id"].as_str().unwrap().to_string();
    assert_eq!(
        r.header("location"),
        Some(format!("/api/v1/channels/{id}").as_str())
    );
    let v = r.json();
    assert_eq!(v["has_secret"], true);
    assert_eq!(v["kind"], "webhook");
    assert_eq!(v["url_hint"], "https://hooks.example.com/…");
    assert!(v.get("secret").is_none() && v.get("url").is_none(), "{v}");
    bodies.push(r.body);

    let r = api.get(&format!("/api/v1/channels/{id}"));
    expect_status(&r, 200);
    assert_eq!(r.json(), v);
    bodies.push(r.body);
    bodies.push(api.get("/api/v1/channels?limit=100").body);

    // PATCH without touching the secret keeps it; the response still hides it.
    let r = api.patch(
        &format!("/api/v1/channels/{id}"),
        &json!({"enabled": false, "name": "Ops (paused)"}),
    );
    expect_status(&r, 200);
    let p = r.json();
    assert_eq!(
        (
            p["enabled"].as_bool(),
            p["has_secret"].as_bool(),
            p["name"].as_str()
        ),
        (Some(false), Some(true), Some("Ops (paused)"))
    );
    bodies.push(r.body);

    // Invalid patches do not echo the values either.
    let r = api.patch(
        &format!("/api/v1/channels/{id}"),
        &json!({"secret": format!("{secret}!!"), "url": format!("hooks.example.com/{url_token}")}),
    );
    assert_points_at(&r, &["/secret", "/url"]);
    bodies.push(r.body);
    let r = api.patch(
        &format!("/api/v1/channels/{id}"),
        &json!({"has_secret": false, "url_hint": "x"}),
    );
    assert_points_at(&r, &["/has_secret", "/url_hint"]);
    bodies.push(r.body);

    let r = api.delete(&format!("/api/v1/channels/{id}"));
    expect_status(&r, 204);
    bodies.push(r.body);
    let r = api.get(&format!("/api/v1/channels/{id}"));
    expect_problem(&r, 404);
    bodies.push(r.body);

    for b in &bodies {
        assert!(!b.contains(&secret), "secret leaked: {b}");
        assert!(!b.contains(&url_token), "url token leaked: {b}");
        assert!(
            !b.contains(&secret["whsec_".len()..]),
            "secret body leaked: {b}"
        );
    }
}

#[test]
fn channel_bodies_are_validated() {
    let api = Api::from_env();
    assert_points_at(
        &api.post("/api/v1/channels", &json!({})),
        &["/name", "/kind"],
    );
    assert_points_at(
        &api.post(
            "/api/v1/channels",
            &json!({"name": "x", "kind": "sms", "extra": 1}),
        ),
        &["/kind", "/extra"],
    );
    assert_points_at(
        &api.post(
            "/api/v1/channels",
            &json!({"name": "x", "kind": "webhook", "url": "nope", "secret": "short"}),
        ),
        &["/url", "/secret"],
    );
    assert_points_at(
        &api.post(
            "/api/v1/channels",
            &json!({"name": 1, "kind": "slack", "url": "https://hooks.slack.com/services/a", "enabled": "no"}),
        ),
        &["/name", "/enabled"],
    );
    let r = api.raw(
        "POST",
        "/api/v1/channels",
        Some(&api.token),
        Some("application/json"),
        Some(b"[1,"),
        &[],
    );
    expect_problem(&r, 400);
    let r = api.raw(
        "POST",
        "/api/v1/channels",
        Some(&api.token),
        Some("text/json"),
        Some(b"{}"),
        &[],
    );
    expect_problem(&r, 415);
    expect_problem(&api.delete("/api/v1/channels/ch_does_not_exist"), 404);
    expect_problem(
        &api.patch("/api/v1/channels/ch_does_not_exist", &json!({"name": "x"})),
        404,
    );
}

// ---------- reading endpoints ----------

#[test]
fn reading_endpoints_of_a_never_probed_monitor() {
    let api = Api::from_env();
    let (body, slug) = monitor_body("http://127.0.0.1:9/");
    let m = create_monitor(&api, &body);
    let id = m["id"].as_str().unwrap();

    let s = api.get(&format!("/api/v1/monitors/{id}/status"));
    expect_status(&s, 200);
    let s = s.json();
    assert_eq!(
        (
            s["health"].as_str(),
            s["never_probed"].as_bool(),
            s["slug"].as_str()
        ),
        (Some("unknown"), Some(true), Some(slug.as_str()))
    );
    assert!(s["updated_at"].is_null());

    for path in ["results", "incidents"] {
        let r = api.get(&format!("/api/v1/monitors/{id}/{path}"));
        expect_status(&r, 200);
        assert_eq!(
            r.json(),
            json!({"items": [], "next_cursor": null}),
            "{path}"
        );
    }
    for q in [
        "",
        "?granularity=day",
        "?granularity=hour&region=weur&path=edge&from=2026-01-01T00:00:00Z",
    ] {
        let r = api.get(&format!("/api/v1/monitors/{id}/rollups{q}"));
        expect_status(&r, 200);
        assert_eq!(r.json(), json!({"items": []}), "{q}");
    }

    // Bad queries: every parameter named.
    let r = api.get(&format!(
        "/api/v1/monitors/{id}/results?from=yesterday&path=cdn&limit=1000&x=1"
    ));
    assert_points_at(
        &r,
        &["/query/from", "/query/path", "/query/limit", "/query/x"],
    );
    let r = api.get(&format!(
        "/api/v1/monitors/{id}/results?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z"
    ));
    assert_points_at(&r, &["/query/to"]);
    assert_points_at(
        &api.get(&format!(
            "/api/v1/monitors/{id}/rollups?granularity=week&region=West"
        )),
        &["/query/granularity", "/query/region"],
    );
    assert_points_at(
        &api.get(&format!("/api/v1/monitors/{id}/incidents?cursor=zzz")),
        &["/query/cursor"],
    );

    // Unknown monitor: 404 everywhere.
    for path in ["status", "results", "incidents", "rollups"] {
        expect_problem(
            &api.get(&format!("/api/v1/monitors/mon_unknown/{path}")),
            404,
        );
    }
    expect_problem(&api.get("/api/v1/incidents/inc_unknown"), 404);
    expect_problem(&api.post_empty("/api/v1/monitors/mon_unknown/check"), 404);
}

#[test]
fn check_now_fills_status_and_results() {
    let api = Api::from_env();
    let target = healthy_server();
    let (mut body, _) = monitor_body(&target);
    body["regions"] = json!(["weur"]);
    // Paused: the scheduler leaves it alone, so the only rounds are the two asked for here
    // ("check now" runs paused monitors too).
    body["paused"] = json!(true);
    let m = create_monitor(&api, &body);
    let id = m["id"].as_str().unwrap();

    let first = api.post_empty(&format!("/api/v1/monitors/{id}/check"));
    expect_status(&first, 200);
    let outcome = first.json();
    assert_eq!(outcome["monitor_id"], id);
    assert_eq!(outcome["diagnosis"]["verdict"], "healthy", "{outcome}");
    let second = api.post_empty(&format!("/api/v1/monitors/{id}/check"));
    expect_status(&second, 200);

    let s = api.get(&format!("/api/v1/monitors/{id}/status")).json();
    assert_eq!(s["health"], "up", "{s}");
    assert_eq!(s["monitor_id"], id);

    // Two rounds, newest first, one per page with limit=1.
    let r = api.get(&format!("/api/v1/monitors/{id}/results?limit=1"));
    expect_status(&r, 200);
    let p1 = r.json();
    assert_eq!(p1["items"].as_array().unwrap().len(), 1);
    let newest = &p1["items"][0];
    assert_eq!(newest["id"], second.json()["id"]);
    // One round shape: check now answers what GET /results reads back, times in RFC 3339.
    let answered = second.json();
    let keys = |v: &Value| v.as_object().map(|o| o.keys().cloned().collect::<Vec<_>>());
    assert_eq!(keys(&answered), keys(newest), "{answered}\n{newest}");
    for (field, value) in [
        ("started_at", &answered),
        ("finished_at", &answered),
        ("started_at", newest),
    ] {
        let t = value[field].as_str().unwrap_or_default();
        assert!(
            t.len() == 24 && t.ends_with('Z') && &t[10..11] == "T",
            "{field} is RFC 3339: {value}"
        );
    }
    assert_eq!(answered["started_at"], newest["started_at"]);
    assert_eq!(answered["verdict"], newest["verdict"]);
    assert_eq!(
        answered["observations"][0]["data"], newest["observations"][0]["data"],
        "{answered}\n{newest}"
    );
    assert!(
        newest["observations"]
            .as_array()
            .is_some_and(|o| !o.is_empty()),
        "{newest}"
    );
    assert!(newest["observations"]
        .as_array()
        .unwrap()
        .iter()
        .all(|o| o["region"] == "weur"));
    let cursor = p1["next_cursor"].as_str().expect("a second page");
    let p2 = api
        .get(&format!(
            "/api/v1/monitors/{id}/results?limit=1&cursor={cursor}"
        ))
        .json();
    assert_eq!(p2["items"][0]["id"], outcome["id"]);
    let p3 = match p2["next_cursor"].as_str() {
        Some(c) => api
            .get(&format!("/api/v1/monitors/{id}/results?limit=1&cursor={c}"))
            .json()["items"]
            .clone(),
        None => json!([]),
    };
    assert_eq!(p3, json!([]));

    // Filters: a region the monitor does not probe has no rounds; edge only keeps edge rows.
    let none = api
        .get(&format!("/api/v1/monitors/{id}/results?region=apac"))
        .json();
    assert_eq!(none["items"], json!([]));
    let edge = api
        .get(&format!("/api/v1/monitors/{id}/results?path=edge"))
        .json();
    let rounds = edge["items"].as_array().unwrap();
    assert_eq!(rounds.len(), 2);
    assert!(rounds
        .iter()
        .flat_map(|r| r["observations"].as_array().unwrap())
        .all(|o| o["path"] == "edge"));
    let future = api
        .get(&format!(
            "/api/v1/monitors/{id}/results?from=2100-01-01T00:00:00Z"
        ))
        .json();
    assert_eq!(future["items"], json!([]));
}

/// Issue 10 (security): unsafe text, headers and ports are refused through the API, every one
/// named by its JSON Pointer at once, each detail saying why (and not echoing the value).
#[test]
fn unsafe_text_headers_and_ports_are_named_by_pointer() {
    let api = Api::from_env();
    let (mut body, _) = monitor_body("http://127.0.0.1:25/");
    body["name"] = json!("Shop\u{202e}gnp.exe");
    body["headers"] = json!({"TE": "trailers", "Upgrade": "h2c", "X-Note": "café", "X-Split": "a\r\nInjected: 1"});
    body["origin"] = json!({"host": "127.0.0.1", "port": 6379, "scheme": "http"});
    body["tags"] = json!(["\u{200b}"]);
    let r = api.post("/api/v1/monitors", &body);
    let v = expect_problem(&r, 422);
    let errors = v["errors"].as_array().expect("errors");
    let detail = |p: &str| {
        errors
            .iter()
            .find(|e| e["pointer"] == p)
            .and_then(|e| e["detail"].as_str())
            .unwrap_or_else(|| panic!("no error at {p}: {v}"))
            .to_string()
    };
    assert!(detail("/url").contains("SMTP"), "{v}");
    assert!(detail("/name").contains("bidirectional"), "{v}");
    assert!(detail("/headers/TE").contains("hop-by-hop"), "{v}");
    assert!(detail("/headers/Upgrade").contains("hop-by-hop"), "{v}");
    assert!(detail("/headers/X-Note").contains("visible ASCII"), "{v}");
    assert!(detail("/headers/X-Split").contains("CR, LF"), "{v}");
    assert!(detail("/origin/port").contains("non-HTTP"), "{v}");
    assert!(detail("/tags/0").contains("visible character"), "{v}");
    assert_eq!(errors.len(), 8, "exactly these fields: {v}");
    assert!(
        !r.body.contains("café") && !r.body.contains("gnp.exe"),
        "values are not echoed: {}",
        r.body
    );
}
