//! The public status pages and badges through the running worker: only public monitors are
//! shown, a private one is indistinguishable from a missing one, badges are well-formed SVG
//! with caching headers and ETag revalidation, and the shields endpoint JSON follows its schema.

use serde_json::{json, Value};

use crate::api::{create_monitor, healthy_server, monitor_body};
use crate::client::{expect_status, Api, Resp};

/// A new public monitor, once its page is published (pages and badges read documents the cron
/// builds, so a new monitor shows after the cron's next run).
fn public_monitor(api: &Api, url: &str, name_suffix: &str) -> (Value, String) {
    let (mut body, slug) = monitor_body(url);
    body["public"] = json!(true);
    body["name"] = json!(format!("Public {slug}{name_suffix}"));
    let m = create_monitor(api, &body);
    refresh_until(api, &format!("/status/{slug}"), |r| r.status == 200);
    (m, slug)
}

/// Runs the cron (wrangler dev's `/__scheduled`) until `path` answers as `done` wants: the
/// page documents are rebuilt by the cron, and a run may be skipped while another test's run
/// holds the rebuild lease, so this retries a bounded number of times.
fn refresh_until(api: &Api, path: &str, done: impl Fn(&Resp) -> bool) -> Resp {
    let mut last = None;
    for _ in 0..30 {
        let fired = api.get_public("/__scheduled?cron=*+*+*+*+*");
        assert!(fired.status < 300, "cron: {} {}", fired.status, fired.body);
        let r = api.get_public(path);
        if done(&r) {
            return r;
        }
        last = Some(r);
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
    let r = last.expect("at least one try");
    panic!(
        "{path} never became as expected after 30 cron runs: {} {}",
        r.status,
        &r.body[..r.body.len().min(300)]
    );
}

/// The backend calls (KV and D1) a public response reports in local runs.
#[track_caller]
fn backend_calls(r: &Resp) -> u32 {
    r.header("x-edgeprobe-backend-calls")
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no backend call count on {}", r.status))
}

fn private_monitor(api: &Api) -> (Value, String) {
    let (mut body, slug) = monitor_body("http://127.0.0.1:9/");
    body["name"] = json!(format!("Secret project {slug}"));
    (create_monitor(api, &body), slug)
}

#[track_caller]
fn expect_html(r: &Resp, status: u16) {
    expect_status(r, status);
    assert_eq!(r.content_type, "text/html; charset=utf-8");
    assert!(
        r.body.starts_with("<!DOCTYPE html>") || r.body.starts_with("<!doctype html>"),
        "{}",
        &r.body[..r.body.len().min(80)]
    );
}

/// `max-age` of a Cache-Control header.
fn max_age(r: &Resp) -> u64 {
    let cc = r.header("cache-control").expect("Cache-Control");
    assert!(cc.contains("public"), "{cc}");
    cc.split(',')
        .find_map(|d| {
            d.trim()
                .strip_prefix("max-age=")
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or_else(|| panic!("no max-age in {cc}"))
}

/// Parses an SVG badge and returns its visible text.
fn svg_text(body: &str) -> String {
    let doc = roxmltree::Document::parse(body)
        .unwrap_or_else(|e| panic!("badge is not XML ({e}): {body}"));
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    assert_eq!(
        doc.root_element().tag_name().namespace(),
        Some("http://www.w3.org/2000/svg")
    );
    doc.descendants()
        .filter(|n| n.is_text())
        .filter_map(|n| n.text())
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn status_index_lists_public_monitors_only() {
    let api = Api::from_env();
    let (public, _) = public_monitor(&api, "http://127.0.0.1:9/", " & <friends>");
    let (private, _) = private_monitor(&api);
    let r = api.get_public("/status");
    expect_html(&r, 200);
    let public_name = public["name"].as_str().unwrap();
    // The pages' templates (askama) escape as numeric character references.
    let escaped = public_name
        .replace('&', "&#38;")
        .replace('<', "&#60;")
        .replace('>', "&#62;");
    assert!(
        r.body.contains(&escaped),
        "public monitor (escaped) is listed"
    );
    assert!(!r.body.contains(public_name), "names are HTML-escaped");
    assert!(r.body.contains(&format!(
        "href=\"/status/{}\"",
        public["slug"].as_str().unwrap()
    )));
    assert!(
        !r.body.contains(private["name"].as_str().unwrap()),
        "private monitor leaked"
    );
    assert!(
        !r.body.contains(private["slug"].as_str().unwrap()),
        "private slug leaked"
    );
    assert!(
        r.body.contains("Not checked yet"),
        "never-probed monitors say so"
    );
}

#[test]
fn monitor_page_404s_alike_for_private_and_unknown_slugs() {
    let api = Api::from_env();
    let (public, slug) = public_monitor(&api, "http://127.0.0.1:9/", "");
    let r = api.get_public(&format!("/status/{slug}"));
    expect_html(&r, 200);
    assert!(r.body.contains(public["name"].as_str().unwrap()));
    assert!(r.body.contains("Waiting for the first check"));
    assert!(r.body.contains("No incidents recorded"));

    let (private, private_slug) = private_monitor(&api);
    let hidden = api.get_public(&format!("/status/{private_slug}"));
    expect_html(&hidden, 404);
    let missing = api.get_public("/status/no-such-monitor-anywhere");
    expect_html(&missing, 404);
    assert_eq!(
        hidden.body, missing.body,
        "a private monitor must look exactly like a missing one"
    );
    assert!(!hidden.body.contains(private["name"].as_str().unwrap()));

    // Making it public shows it; making it private again hides it.
    // (After the cron's next run: pages are published documents.)
    let id = private["id"].as_str().unwrap();
    let page = format!("/status/{private_slug}");
    expect_status(
        &api.patch(&format!("/api/v1/monitors/{id}"), &json!({"public": true})),
        200,
    );
    expect_html(&refresh_until(&api, &page, |r| r.status == 200), 200);
    expect_status(
        &api.patch(&format!("/api/v1/monitors/{id}"), &json!({"public": false})),
        200,
    );
    expect_html(&refresh_until(&api, &page, |r| r.status == 404), 404);
}

#[test]
fn svg_badge_is_xml_with_caching_headers_and_etag() {
    let api = Api::from_env();
    let (m, slug) = public_monitor(&api, "http://127.0.0.1:9/", " <&\"'>");
    let r = api.get_public(&format!("/badge/{slug}.svg"));
    expect_status(&r, 200);
    assert_eq!(r.content_type, "image/svg+xml; charset=utf-8");
    let text = svg_text(&r.body);
    assert!(
        text.contains(m["name"].as_str().unwrap()),
        "label is the name: {text}"
    );
    assert!(
        text.contains("unknown"),
        "never probed reads unknown: {text}"
    );
    assert!(max_age(&r) <= 60);
    let etag = r.header("etag").expect("ETag").to_string();
    assert!(etag.starts_with('"') && etag.ends_with('"'), "{etag}");

    for matching in [
        etag.clone(),
        format!("W/{etag}"),
        format!("\"other\", {etag}"),
        "*".to_string(),
    ] {
        let again = api.raw(
            "GET",
            &format!("/badge/{slug}.svg"),
            None,
            None,
            None,
            &[("if-none-match", &matching)],
        );
        assert_eq!(again.status, 304, "If-None-Match: {matching}");
        assert!(again.body.is_empty());
        assert_eq!(again.header("etag"), Some(etag.as_str()));
        assert!(max_age(&again) <= 60);
    }
    let stale = api.raw(
        "GET",
        &format!("/badge/{slug}.svg"),
        None,
        None,
        None,
        &[("if-none-match", "\"stale\"")],
    );
    expect_status(&stale, 200);
    assert_eq!(stale.body, r.body);

    // Every metric, window and style renders as XML; uptime without rollups reads "no data".
    for q in [
        "metric=uptime",
        "metric=uptime&window=7d",
        "metric=latency&window=30d",
        "style=flat-square",
        "region=weur",
        "label=API&v=2",
    ] {
        let r = api.get_public(&format!("/badge/{slug}.svg?{q}"));
        expect_status(&r, 200);
        let text = svg_text(&r.body);
        if q.starts_with("metric=") {
            assert!(text.contains("no data"), "{q}: {text}");
        }
        if q.starts_with("label=") {
            assert!(text.contains("API"), "{text}");
        }
    }
}

#[test]
fn badge_json_follows_the_shields_endpoint_schema() {
    let api = Api::from_env();
    let (m, slug) = public_monitor(&api, "http://127.0.0.1:9/", "");
    let r = api.get_public(&format!("/badge/{slug}.json"));
    expect_status(&r, 200);
    assert!(
        r.content_type.starts_with("application/json"),
        "{}",
        r.content_type
    );
    assert!(max_age(&r) <= 60);
    let v = r.json();
    assert_eq!(
        v,
        json!({"schemaVersion": 1, "label": m["name"], "message": "unknown", "color": "lightgrey"})
    );
    let etag = r.header("etag").expect("ETag").to_string();
    let again = api.raw(
        "GET",
        &format!("/badge/{slug}.json"),
        None,
        None,
        None,
        &[("if-none-match", &etag)],
    );
    assert_eq!(again.status, 304);

    let v = api
        .get_public(&format!(
            "/badge/{slug}.json?metric=latency&style=flat-square&label="
        ))
        .json();
    assert_eq!(
        v,
        json!({"schemaVersion": 1, "label": "", "message": "no data", "color": "lightgrey", "style": "flat-square"})
    );
}

#[test]
fn badges_for_private_and_unknown_slugs_are_404_without_the_name() {
    let api = Api::from_env();
    let (private, slug) = private_monitor(&api);
    let name = private["name"].as_str().unwrap();
    let mut bodies = Vec::new();
    for s in [slug.as_str(), "no-such-badge-anywhere"] {
        let svg = api.get_public(&format!("/badge/{s}.svg"));
        expect_status(&svg, 404);
        assert!(svg_text(&svg.body).contains("not found"));
        assert!(!svg.body.contains(name));
        bodies.push(svg.body);
        let js = api.get_public(&format!("/badge/{s}.json"));
        expect_status(&js, 404);
        assert!(!js.body.contains(name));
    }
    assert_eq!(
        bodies[0], bodies[1],
        "private and missing badges are identical"
    );
}

/// A bad query: the JSON badge answers a 400 problem naming the parameter; the SVG badge a 400
/// grey "invalid query" image (issue 15: a problem+json body is a broken image in a README).
#[test]
fn bad_badge_queries_are_400_problems_or_an_invalid_svg() {
    let api = Api::from_env();
    let (_, slug) = public_monitor(&api, "http://127.0.0.1:9/", "");
    for (q, mentions) in [
        ("metric=speed", "metric"),
        ("window=1y&style=round", "window"),
        ("region=West%20EU", "region"),
        ("metric=latency&stat=p99", "stat"),
    ] {
        let r = api.get_public(&format!("/badge/{slug}.json?{q}"));
        expect_status(&r, 400);
        assert!(
            r.content_type.starts_with("application/problem+json"),
            "{}",
            r.content_type
        );
        let v = r.json();
        assert_eq!(v["status"], 400);
        assert!(
            v["detail"].as_str().is_some_and(|d| d.contains(mentions)),
            "{v}"
        );
        let svg = api.get_public(&format!("/badge/{slug}.svg?{q}"));
        expect_status(&svg, 400);
        assert_eq!(svg.content_type, "image/svg+xml; charset=utf-8");
        let text = svg_text(&svg.body);
        assert!(text.contains("invalid query"), "{q}: {text}");
        assert!(svg.body.contains("#9f9f9f"), "grey: {}", svg.body);
    }
}

/// Issue 15: badge labels say what they measure unless `label=` replaces them.
#[test]
fn badge_labels_name_the_metric() {
    let api = Api::from_env();
    let (m, slug) = public_monitor(&api, "http://127.0.0.1:9/", "");
    for (q, label) in [
        ("", m["name"].as_str().unwrap().to_string()),
        ("metric=uptime&window=30d", "uptime 30d".to_string()),
        ("metric=latency&stat=p95", "p95 latency 24h".to_string()),
        ("metric=latency&window=7d", "p50 latency 7d".to_string()),
        ("metric=uptime&region=weur", "uptime 24h (weur)".to_string()),
        ("metric=uptime&label=Uptime", "Uptime".to_string()),
    ] {
        let v = api.get_public(&format!("/badge/{slug}.json?{q}")).json();
        assert_eq!(v["label"], label.as_str(), "{q}: {v}");
    }
}

/// Issue 15: `/` leads to the status page; the pages have an icon, a title and OpenGraph tags.
#[test]
fn root_redirects_and_pages_have_icon_and_opengraph() {
    let api = Api::from_env();
    let r = api.get_public("/");
    assert_eq!(r.status, 302);
    assert_eq!(r.header("location"), Some("/status"));
    let icon = api.get_public("/favicon.svg");
    expect_status(&icon, 200);
    assert_eq!(icon.content_type, "image/svg+xml; charset=utf-8");
    roxmltree::Document::parse(&icon.body).expect("the icon is XML");
    let page = api.get_public("/status");
    for needle in [
        "<link rel=\"icon\" href=\"/favicon.svg\"",
        "<meta property=\"og:title\"",
        "<meta property=\"og:type\" content=\"website\">",
    ] {
        assert!(page.body.contains(needle), "{needle}");
    }
}

#[test]
fn a_checked_public_monitor_shows_up_on_the_page_and_badges() {
    let api = Api::from_env();
    let target = healthy_server();
    let (m, slug) = public_monitor(&api, &target, "");
    let id = m["id"].as_str().unwrap();
    let r = api.post_empty(&format!("/api/v1/monitors/{id}/check"));
    expect_status(&r, 200);

    let page = refresh_until(&api, &format!("/status/{slug}"), |r| {
        r.body.contains("Last checked")
    });
    expect_html(&page, 200);
    assert!(
        page.body.contains("Last checked"),
        "the page shows the round"
    );
    assert!(!page.body.contains("Waiting for the first check"));
    assert!(
        page.body.contains("weur"),
        "region grid lists the monitor's regions"
    );

    let badge = api.get_public(&format!("/badge/{slug}.json")).json();
    assert_eq!(
        (badge["message"].as_str(), badge["color"].as_str()),
        (Some("up"), Some("brightgreen")),
        "{badge}"
    );
    let region = api
        .get_public(&format!("/badge/{slug}.json?region=weur"))
        .json();
    assert_eq!(region["message"], "up", "{region}");
    assert_eq!(
        region["label"],
        format!("{} (weur)", m["name"].as_str().unwrap())
    );
    let svg = api.get_public(&format!("/badge/{slug}.svg"));
    assert!(svg_text(&svg.body).contains("up"));

    let index = api.get_public("/status");
    assert!(index.body.contains(m["name"].as_str().unwrap()));
}

/// Issue 10 (security): every kind of response the worker serves carries the security
/// headers for its kind: nosniff, a no-referrer policy and a script-free CSP everywhere; pages
/// and data refuse framing; badges (embedded as images) do not.
#[test]
fn every_response_kind_carries_its_security_headers() {
    const HTML_CSP: &str =
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
    const SVG_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'";
    const DATA_CSP: &str = "default-src 'none'; frame-ancestors 'none'";
    let api = Api::from_env();
    let (_, slug) = public_monitor(&api, "http://127.0.0.1:9/", "");
    // (kind, response, status, content type, CSP, X-Frame-Options)
    type Case<'a> = (&'a str, Resp, u16, &'a str, &'a str, Option<&'a str>);
    let cases: Vec<Case> = vec![
        (
            "API JSON",
            api.get("/api/v1/monitors"),
            200,
            "application/json",
            DATA_CSP,
            Some("DENY"),
        ),
        (
            "API problem",
            api.get("/api/v1/monitors/mon_nope"),
            404,
            "application/problem+json",
            DATA_CSP,
            Some("DENY"),
        ),
        (
            "unauthorized",
            api.get_public("/api/v1/monitors"),
            401,
            "application/problem+json",
            DATA_CSP,
            Some("DENY"),
        ),
        (
            "unknown route",
            api.get_public("/no/such/route"),
            404,
            "application/problem+json",
            DATA_CSP,
            Some("DENY"),
        ),
        (
            "405",
            api.raw("PUT", "/healthz", None, None, None, &[]),
            405,
            "application/problem+json",
            DATA_CSP,
            Some("DENY"),
        ),
        (
            "healthz",
            api.get_public("/healthz"),
            200,
            "application/json",
            DATA_CSP,
            Some("DENY"),
        ),
        (
            "openapi",
            api.get_public("/api/v1/openapi.json"),
            200,
            "application/json",
            DATA_CSP,
            Some("DENY"),
        ),
        (
            "status index",
            api.get_public("/status"),
            200,
            "text/html",
            HTML_CSP,
            Some("DENY"),
        ),
        (
            "status page",
            api.get_public(&format!("/status/{slug}")),
            200,
            "text/html",
            HTML_CSP,
            Some("DENY"),
        ),
        (
            "status 404",
            api.get_public("/status/no-such-monitor-anywhere"),
            404,
            "text/html",
            HTML_CSP,
            Some("DENY"),
        ),
        (
            "badge SVG",
            api.get_public(&format!("/badge/{slug}.svg")),
            200,
            "image/svg+xml",
            SVG_CSP,
            None,
        ),
        (
            "badge SVG 404",
            api.get_public("/badge/no-such-badge-anywhere.svg"),
            404,
            "image/svg+xml",
            SVG_CSP,
            None,
        ),
        (
            "badge JSON",
            api.get_public(&format!("/badge/{slug}.json")),
            200,
            "application/json",
            DATA_CSP,
            Some("DENY"),
        ),
    ];
    for (what, r, status, ctype, csp, frame) in cases {
        assert_eq!(r.status, status, "{what}: {r:?}");
        assert!(
            r.content_type.starts_with(ctype),
            "{what}: {}",
            r.content_type
        );
        assert_eq!(
            r.header("x-content-type-options"),
            Some("nosniff"),
            "{what}: {:?}",
            r.headers
        );
        assert_eq!(
            r.header("referrer-policy"),
            Some("no-referrer"),
            "{what}: {:?}",
            r.headers
        );
        assert_eq!(
            r.header("content-security-policy"),
            Some(csp),
            "{what}: {:?}",
            r.headers
        );
        assert_eq!(
            r.header("x-frame-options"),
            frame,
            "{what}: {:?}",
            r.headers
        );
    }
    // A 204 (no body, no content type) is covered as well.
    let (created, _) = public_monitor(&api, "http://127.0.0.1:9/", "");
    let r = api.delete(&format!(
        "/api/v1/monitors/{}",
        created["id"].as_str().unwrap()
    ));
    assert_eq!(r.status, 204, "{r:?}");
    assert_eq!(
        r.header("x-content-type-options"),
        Some("nosniff"),
        "{:?}",
        r.headers
    );
    assert_eq!(
        r.header("content-security-policy"),
        Some(DATA_CSP),
        "{:?}",
        r.headers
    );
}

/// Issue 12 item 5: `/status`, a monitor page and a badge each cost one backend call whatever
/// the number of public monitors (before: 3N + 1 D1 queries and N KV reads for `/status`), and
/// a matching `If-None-Match` is answered 304.
#[test]
fn public_reads_cost_the_same_backend_calls_whatever_the_number_of_monitors() {
    let api = Api::from_env();
    let (first, slug) = public_monitor(&api, "http://127.0.0.1:9/", "");
    let few = refresh_until(&api, "/status", |r| {
        r.body.contains(first["name"].as_str().unwrap())
    });
    let calls_few = backend_calls(&few);

    let mut names = Vec::new();
    for _ in 0..24 {
        let (mut body, slug) = monitor_body("http://127.0.0.1:9/");
        body["public"] = json!(true);
        body["name"] = json!(format!("Many {slug}"));
        names.push(
            create_monitor(&api, &body)["name"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    let many = refresh_until(&api, "/status", |r| {
        names.iter().all(|n| r.body.contains(n))
    });
    expect_html(&many, 200);
    assert_eq!(
        backend_calls(&many),
        calls_few,
        "same cost with 24 more monitors"
    );
    assert_eq!(calls_few, 1, "one KV document");
    for path in [
        format!("/status/{slug}"),
        format!("/badge/{slug}.svg"),
        format!("/badge/{slug}.json?metric=uptime"),
    ] {
        let r = api.get_public(&path);
        expect_status(&r, 200);
        assert_eq!(backend_calls(&r), 1, "{path}");
    }

    let etag = many.header("etag").expect("ETag").to_string();
    assert_eq!(max_age(&many), 60);
    let again = api.raw(
        "GET",
        "/status",
        None,
        None,
        None,
        &[("if-none-match", &etag)],
    );
    // The body may change between the two reads (a round of another test, "1 min ago"):
    // then the new body is served with its new ETag.
    if again.status == 200 {
        assert_ne!(again.header("etag"), Some(etag.as_str()));
    } else {
        assert_eq!(again.status, 304);
        assert!(again.body.is_empty());
        assert_eq!(again.header("etag"), Some(etag.as_str()));
    }
    let page = format!("/status/{slug}");
    let p = api.get_public(&page);
    let p_etag = p.header("etag").expect("ETag").to_string();
    let fresh = api.raw(
        "GET",
        &page,
        None,
        None,
        None,
        &[("if-none-match", &p_etag)],
    );
    assert!(
        fresh.status == 304 || fresh.header("etag") != Some(p_etag.as_str()),
        "{}",
        fresh.status
    );
}

/// A change to a public monitor shows on its page, the index and its badge after the cron's
/// next run; a monitor checked once already shows an uptime and a response time (the current
/// hour comes from the raw rounds, not from a rollup an hour later).
#[test]
fn a_change_shows_after_the_next_cron_run_and_a_first_check_has_figures() {
    let api = Api::from_env();
    let target = healthy_server();
    let (m, slug) = public_monitor(&api, &target, "");
    let id = m["id"].as_str().unwrap();
    let renamed = format!("Renamed {slug}");
    expect_status(
        &api.patch(&format!("/api/v1/monitors/{id}"), &json!({"name": renamed})),
        200,
    );
    refresh_until(&api, &format!("/status/{slug}"), |r| {
        r.body.contains(&renamed)
    });
    refresh_until(&api, "/status", |r| r.body.contains(&renamed));
    let badge = api.get_public(&format!("/badge/{slug}.json")).json();
    assert_eq!(badge["label"], renamed.as_str());

    expect_status(
        &api.post_empty(&format!("/api/v1/monitors/{id}/check")),
        200,
    );
    let page = refresh_until(&api, &format!("/status/{slug}"), |r| {
        r.body.contains("<dt>24 hours</dt><dd>100%</dd>")
    });
    assert!(
        page.body.contains("<svg class=\"chart\""),
        "a response-time chart from the first check"
    );
    assert!(
        page.body.contains("<svg class=\"bars\""),
        "the 90-day strip"
    );
    let uptime = api
        .get_public(&format!("/badge/{slug}.json?metric=uptime"))
        .json();
    assert_eq!(uptime["message"], "100%", "{uptime}");
    let latency = api
        .get_public(&format!("/badge/{slug}.json?metric=latency"))
        .json();
    assert!(
        latency["message"]
            .as_str()
            .is_some_and(|m| m.ends_with(" ms")),
        "{latency}"
    );
}

/// Issue 15: visitors of a failing monitor's page read customer words, without the checklist
/// or evidence; the API token gets the operator view (never shared-cached); a monitor that opts
/// in (`public_detail: full`) shows visitors the full detail.
#[test]
fn visitors_get_customer_words_and_operators_the_diagnosis() {
    let api = Api::from_env();
    let (m, slug) = public_monitor(&api, "http://127.0.0.1:9/", "");
    let id = m["id"].as_str().unwrap();
    expect_status(
        &api.post_empty(&format!("/api/v1/monitors/{id}/check")),
        200,
    );
    let path = format!("/status/{slug}");
    let public = refresh_until(&api, &path, |r| r.body.contains("Last checked"));
    assert!(
        public.body.contains("we are investigating"),
        "customer words"
    );
    assert!(
        !public.body.contains("What to check"),
        "no operator checklist"
    );
    assert!(!public.body.contains("Operator view"));

    let operator = api.get(&path);
    expect_html(&operator, 200);
    assert!(operator.body.contains("Operator view"));
    assert!(operator.body.contains("What to check"), "the checklist");
    assert_eq!(operator.header("cache-control"), Some("private, no-store"));

    expect_status(
        &api.patch(
            &format!("/api/v1/monitors/{id}"),
            &json!({"public_detail": "full"}),
        ),
        200,
    );
    refresh_until(&api, &path, |r| r.body.contains("What to check"));
    let bad = api.patch(
        &format!("/api/v1/monitors/{id}"),
        &json!({"public_detail": "all"}),
    );
    expect_status(&bad, 422);
    assert!(bad.body.contains("/public_detail"), "{}", bad.body);
}

/// Issue 15: the incident feeds are Atom documents served from the published documents (one
/// backend call), for every monitor and per monitor; an unknown slug's feed is 404.
#[test]
fn incident_feeds_are_atom() {
    let api = Api::from_env();
    let (_, slug) = public_monitor(&api, "http://127.0.0.1:9/", "");
    for path in [
        "/status/feed.atom".to_string(),
        format!("/status/{slug}/feed.atom"),
    ] {
        let r = api.get_public(&path);
        expect_status(&r, 200);
        assert_eq!(
            r.content_type, "application/atom+xml; charset=utf-8",
            "{path}"
        );
        let doc = roxmltree::Document::parse(&r.body).expect("XML");
        let root = doc.root_element();
        assert_eq!(
            (root.tag_name().name(), root.tag_name().namespace()),
            ("feed", Some("http://www.w3.org/2005/Atom")),
            "{path}"
        );
        assert_eq!(backend_calls(&r), 1, "{path}");
    }
    expect_status(
        &api.get_public("/status/no-such-monitor-anywhere/feed.atom"),
        404,
    );
}
