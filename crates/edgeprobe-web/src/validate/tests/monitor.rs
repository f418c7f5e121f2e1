//! Table-driven tests of the monitor rules: each bad input names the right pointer.

use serde_json::{json, Value};

use crate::validate::*;
use edgeprobe_core::monitor::Monitor;
use edgeprobe_core::time::parse_rfc3339;

pub(super) fn ctx() -> ValidationContext {
    ValidationContext {
        allowed_regions: ["wnam", "enam", "weur", "apac"].map(String::from).to_vec(),
        default_regions: ["wnam", "weur", "apac"].map(String::from).to_vec(),
        allow_private_targets: false,
        tick_seconds: 5,
        now: parse_rfc3339("2026-11-21T12:00:00Z").unwrap(),
    }
}

fn minimal() -> Value {
    json!({"name": "Shop", "url": "https://shop.example.com/health"})
}

/// `minimal()` with `patch` merged in (RFC 7396, so `null` removes).
fn with(patch: Value) -> Value {
    let mut v = minimal();
    patch::merge_patch(&mut v, &patch);
    v
}

fn pointers(v: &Value, ctx: &ValidationContext) -> Vec<String> {
    match validate_new_monitor(v, "mon_1".into(), ctx) {
        Ok(m) => panic!("expected errors for {v}, got {m:?}"),
        Err(errs) => errs.into_iter().map(|e| e.pointer).collect(),
    }
}

#[test]
fn minimal_body_gets_every_default() {
    let m = validate_new_monitor(&minimal(), "mon_1".into(), &ctx()).unwrap();
    assert_eq!(m.method, "GET");
    assert_eq!(m.regions, ctx().default_regions);
    assert_eq!(m.interval_ms, 60_000);
    assert_eq!(m.timeout_ms, 10_000);
    assert_eq!(m.expect, edgeprobe_core::monitor::Expectations::default());
    assert_eq!(
        m.confirmation,
        edgeprobe_core::monitor::ConfirmationPolicy::default()
    );
    assert_eq!(m.slug, "shop");
    assert_eq!((m.created_at, m.updated_at), (ctx().now, ctx().now));
    assert!(m.origin.is_none() && !m.public && !m.paused && m.channels.is_empty());
}

#[test]
fn each_bad_field_reports_its_pointer() {
    let cases: Vec<(Value, &str)> = vec![
        (json!(["not", "an", "object"]), ""),
        (with(json!({"name": null})), "/name"),
        (with(json!({"name": ""})), "/name"),
        (with(json!({"name": "x".repeat(101)})), "/name"),
        (with(json!({"name": 5})), "/name"),
        (with(json!({"url": null})), "/url"),
        (with(json!({"url": "shop.example.com"})), "/url"),
        (with(json!({"url": "ftp://shop.example.com/"})), "/url"),
        (
            with(json!({"url": "https://user:pw@shop.example.com/"})),
            "/url",
        ),
        (
            with(json!({"url": "https://shop.example.com/#top"})),
            "/url",
        ),
        (
            with(json!({"url": format!("https://shop.example.com/{}", "a".repeat(2048))})),
            "/url",
        ),
        (with(json!({"url": "http://127.0.0.1:8080/"})), "/url"),
        (
            with(json!({"url": "http://[::ffff:169.254.169.254]/"})),
            "/url",
        ),
        (with(json!({"url": "http://metadata.localhost/"})), "/url"),
        (
            with(json!({"origin": {"host": "10.0.0.5"}})),
            "/origin/host",
        ),
        (
            with(json!({"origin": {"host": "https://origin.example.com"}})),
            "/origin/host",
        ),
        (
            with(json!({"origin": {"host": "origin.example.com/x"}})),
            "/origin/host",
        ),
        (with(json!({"origin": {}})), "/origin/host"),
        (
            with(json!({"origin": {"host": "o.example.com", "port": 25}})),
            "/origin/port",
        ),
        (
            with(json!({"origin": {"host": "o.example.com", "port": 0}})),
            "/origin/port",
        ),
        (
            with(json!({"origin": {"host": "o.example.com", "port": 65536}})),
            "/origin/port",
        ),
        (
            with(json!({"origin": {"host": "o.example.com", "scheme": "ftp"}})),
            "/origin/scheme",
        ),
        (
            with(json!({"origin": {"host": "o.example.com", "tls": true}})),
            "/origin/tls",
        ),
        (with(json!({"origin": "o.example.com"})), "/origin"),
        (with(json!({"method": "POST"})), "/method"),
        (with(json!({"method": "get"})), "/method"),
        (with(json!({"headers": {"X Bad": "1"}})), "/headers/X Bad"),
        (
            with(json!({"headers": {"Host": "other.example"}})),
            "/headers/Host",
        ),
        (
            with(json!({"headers": {"transfer-encoding": "chunked"}})),
            "/headers/transfer-encoding",
        ),
        (
            with(json!({"headers": {"connection": "close"}})),
            "/headers/connection",
        ),
        (
            with(json!({"headers": {"content-length": "0"}})),
            "/headers/content-length",
        ),
        (
            with(json!({"headers": {"x-a": "1\r\nx-b: 2"}})),
            "/headers/x-a",
        ),
        (
            with(json!({"headers": {"x-a": "v".repeat(1025)}})),
            "/headers/x-a",
        ),
        (with(json!({"headers": {"x-a": 1}})), "/headers/x-a"),
        (with(json!({"headers": {"a/b": "1"}})), "/headers/a~1b"),
        (
            with(
                json!({"headers": (0..21).map(|i| (format!("x-{i}"), json!("v"))).collect::<serde_json::Map<_, _>>()}),
            ),
            "/headers",
        ),
        (
            with(json!({"expect": {"statuses": []}})),
            "/expect/statuses",
        ),
        (
            with(json!({"expect": {"statuses": [200, 99]}})),
            "/expect/statuses/1",
        ),
        (
            with(json!({"expect": {"statuses": ["300-200"]}})),
            "/expect/statuses/0",
        ),
        (
            with(json!({"expect": {"statuses": ["200-600"]}})),
            "/expect/statuses/0",
        ),
        (
            with(json!({"expect": {"statuses": [true]}})),
            "/expect/statuses/0",
        ),
        (
            with(json!({"expect": {"keyword": "k".repeat(257)}})),
            "/expect/keyword",
        ),
        (
            with(json!({"expect": {"cert_warning_days": 366}})),
            "/expect/cert_warning_days",
        ),
        (
            with(json!({"expect": {"latency_factor": 0}})),
            "/expect/latency_factor",
        ),
        (with(json!({"interval_seconds": 29})), "/interval_seconds"),
        (with(json!({"interval_seconds": 32})), "/interval_seconds"),
        (
            with(json!({"interval_seconds": 86_401})),
            "/interval_seconds",
        ),
        (with(json!({"interval_seconds": 60.5})), "/interval_seconds"),
        (with(json!({"timeout_ms": 999})), "/timeout_ms"),
        (with(json!({"timeout_ms": 30_001})), "/timeout_ms"),
        (with(json!({"regions": []})), "/regions"),
        (with(json!({"regions": ["weur", "mars"]})), "/regions/1"),
        (with(json!({"regions": ["weur", "weur"]})), "/regions/1"),
        (with(json!({"regions": "weur"})), "/regions"),
        (
            with(json!({"regions": ["weur"], "confirmation": {"regions_to_agree": 2}})),
            "/confirmation/regions_to_agree",
        ),
        (
            with(json!({"confirmation": {"regions_to_agree": 0}})),
            "/confirmation/regions_to_agree",
        ),
        (
            with(json!({"confirmation": {"recheck_delay_seconds": 0}})),
            "/confirmation/recheck_delay_seconds",
        ),
        (
            with(json!({"confirmation": {"recheck_delay_seconds": 301}})),
            "/confirmation/recheck_delay_seconds",
        ),
        (
            with(json!({"confirmation": {"recovery_rounds": 21}})),
            "/confirmation/recovery_rounds",
        ),
        (
            with(json!({"confirmation": {"reminder_interval_minutes": -1}})),
            "/confirmation/reminder_interval_minutes",
        ),
        (
            with(json!({"confirmation": {"flap_threshold": 101}})),
            "/confirmation/flap_threshold",
        ),
        (
            with(json!({"confirmation": {"flap_threshold": -1}})),
            "/confirmation/flap_threshold",
        ),
        (
            with(json!({"confirmation": {"sustained_down_rounds": 0}})),
            "/confirmation/sustained_down_rounds",
        ),
        (
            with(json!({"confirmation": {"sustained_down_rounds": 21}})),
            "/confirmation/sustained_down_rounds",
        ),
        (
            with(json!({"confirmation": {"flap_window_minutes": 0}})),
            "/confirmation/flap_window_minutes",
        ),
        (with(json!({"channels": ["slack-1"]})), "/channels/0"),
        (with(json!({"channels": ["ch_a", "ch_a"]})), "/channels/1"),
        (
            with(json!({"channels": (0..11).map(|i| format!("ch_{i}")).collect::<Vec<_>>()})),
            "/channels",
        ),
        (with(json!({"public": "yes"})), "/public"),
        (with(json!({"slug": "Shop"})), "/slug"),
        (with(json!({"slug": "-shop"})), "/slug"),
        (with(json!({"slug": "shop--eu"})), "/slug"),
        (with(json!({"slug": "shop-"})), "/slug"),
        (with(json!({"slug": ""})), "/slug"),
        (with(json!({"slug": "a".repeat(65)})), "/slug"),
        (
            with(
                json!({"maintenance": [{"starts_at": "2026-11-22T00:00:00Z", "ends_at": "2026-11-22T00:00:00Z"}]}),
            ),
            "/maintenance/0/ends_at",
        ),
        (
            with(
                json!({"maintenance": [{"starts_at": "tomorrow", "ends_at": "2026-11-22T01:00:00Z"}]}),
            ),
            "/maintenance/0/starts_at",
        ),
        (
            with(json!({"maintenance": [{"starts_at": "2026-11-22T00:00:00Z"}]})),
            "/maintenance/0/ends_at",
        ),
        (
            with(
                json!({"maintenance": [{"starts_at": "2026-11-22T00:00:00Z", "ends_at": "2026-11-22T01:00:00Z", "why": "x"}]}),
            ),
            "/maintenance/0/why",
        ),
        (with(json!({"tags": [""]})), "/tags/0"),
        (with(json!({"tags": ["t".repeat(51)]})), "/tags/0"),
        (
            with(json!({"tags": (0..21).map(|i| format!("t{i}")).collect::<Vec<_>>()})),
            "/tags",
        ),
        (with(json!({"paused": 1})), "/paused"),
        (with(json!({"interval": 60})), "/interval"),
        (with(json!({"id": "mon_x"})), "/id"),
        (with(json!({"expect": {"status": 200}})), "/expect/status"),
    ];
    for (body, pointer) in cases {
        assert_eq!(pointers(&body, &ctx()), [pointer], "body {body}");
    }
}

#[test]
fn good_variants_are_accepted_and_normalised() {
    let v = with(json!({
        "url": "https://SHOP.example.com",
        "origin": {"host": "2606:4700:4700::ABCD", "scheme": "http"},
        "method": "HEAD",
        "headers": {"X-Probe": "edgeprobe", "Accept": "*/*"},
        "expect": {"statuses": [200, "300-399", " 404 "], "keyword": "ok"},
        "regions": ["weur"],
        "confirmation": {"regions_to_agree": 1, "reminder_interval_minutes": 0},
        "slug": "shop-eu-1",
        "maintenance": [{"starts_at": "2026-11-22T00:00:00+01:00", "ends_at": "2026-11-22T00:30:00Z", "reason": "deploy"}],
        "tags": ["prod", "eu"],
    }));
    let m = validate_new_monitor(&v, "mon_1".into(), &ctx()).unwrap();
    assert_eq!(m.url, "https://shop.example.com/");
    let o = m.origin.unwrap();
    assert_eq!((o.host.as_str(), o.port), ("2606:4700:4700::abcd", 80));
    assert_eq!(m.headers.keys().collect::<Vec<_>>(), ["accept", "x-probe"]);
    assert_eq!(m.expect.statuses, [(200, 200), (300, 399), (404, 404)]);
    assert_eq!(m.confirmation.reminder_interval_ms, 0);
    assert_eq!(
        m.maintenance[0].ends_at - m.maintenance[0].starts_at,
        90 * 60 * 1000
    );
}

#[test]
fn no_default_regions_means_regions_are_required() {
    let bare = ValidationContext {
        default_regions: vec![],
        ..ctx()
    };
    assert_eq!(pointers(&minimal(), &bare), ["/regions"]);
    assert!(
        validate_new_monitor(&with(json!({"regions": ["weur"]})), "mon_1".into(), &bare).is_ok()
    );
}

/// Issue 10: the core documents `flap_threshold: 0` as "flap detection off"; the API accepts
/// it, and the hold of a Down while flapping is configurable.
#[test]
fn flap_threshold_zero_turns_flap_detection_off_and_the_hold_is_configurable() {
    let v = with(json!({"confirmation": {"flap_threshold": 0, "sustained_down_rounds": 5}}));
    let m = validate_new_monitor(&v, "mon_1".into(), &ctx()).unwrap();
    assert_eq!(
        (
            m.confirmation.flap_threshold,
            m.confirmation.sustained_down_rounds
        ),
        (0, 5)
    );
    let view = views::monitor_view(&m);
    assert_eq!(view["confirmation"]["flap_threshold"], 0);
    assert_eq!(view["confirmation"]["sustained_down_rounds"], 5);
}

#[test]
fn a_single_region_defaults_to_one_agreeing_region() {
    let m =
        validate_new_monitor(&with(json!({"regions": ["enam"]})), "mon_1".into(), &ctx()).unwrap();
    assert_eq!(m.confirmation.regions_to_agree, 1);
}

#[test]
fn private_targets_pass_in_local_development() {
    let local = ValidationContext {
        allow_private_targets: true,
        ..ctx()
    };
    let v = with(
        json!({"url": "http://localhost:8787/", "origin": {"host": "127.0.0.1", "port": 8080, "scheme": "http"}}),
    );
    assert_eq!(pointers(&v, &ctx()), ["/url", "/origin/host"]);
    assert!(validate_new_monitor(&v, "mon_1".into(), &local).is_ok());
}

#[test]
fn every_error_is_reported_at_once() {
    let v = json!({
        "name": "",
        "url": "ftp://x",
        "method": "PUT",
        "interval_seconds": 1,
        "regions": ["weur", "nowhere"],
        "slug": "Bad Slug",
        "colour": "red",
        "confirmation": {"recovery_rounds": 0, "extra": 1},
    });
    let mut got = pointers(&v, &ctx());
    got.sort();
    let mut expected = [
        "/colour",
        "/name",
        "/url",
        "/method",
        "/interval_seconds",
        "/regions/1",
        "/slug",
        "/confirmation/extra",
        "/confirmation/recovery_rounds",
    ];
    expected.sort();
    assert_eq!(got, expected);
}

#[test]
fn slug_defaults_from_name_then_id() {
    let cases = [
        ("My  Shop (EU)!", "my-shop-eu"),
        ("日本", "mon-1"),
        ("---", "mon-1"),
    ];
    for (name, slug) in cases {
        let m = validate_new_monitor(&with(json!({"name": name})), "mon_1".into(), &ctx()).unwrap();
        assert_eq!(m.slug, slug, "{name}");
    }
}

#[test]
fn view_then_patch_round_trips() {
    let full = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/fixtures/api/monitor_create_full.json"
    ))
    .unwrap();
    let created = validate_new_monitor(
        &serde_json::from_str(&full).unwrap(),
        "mon_1".into(),
        &ctx(),
    )
    .unwrap();
    let later = ValidationContext {
        now: ctx().now + 60_000,
        ..ctx()
    };
    // The whole view, including read-only members unchanged, cannot be sent back as is…
    let view = views::monitor_view(&created);
    let errs = apply_monitor_patch(&created, &view, &later).unwrap_err();
    assert_eq!(
        errs.iter().map(|e| e.pointer.as_str()).collect::<Vec<_>>(),
        ["/id", "/created_at", "/updated_at"]
    );
    // …but without them it is a no-op apart from updated_at.
    let mut body = view.clone();
    for k in ["id", "created_at", "updated_at"] {
        body.as_object_mut().unwrap().remove(k);
    }
    let same = apply_monitor_patch(&created, &body, &later).unwrap();
    assert_eq!(
        same,
        Monitor {
            updated_at: later.now,
            ..created.clone()
        }
    );
    // An empty patch is a no-op, and re-creating from the view gives the same monitor.
    assert_eq!(
        apply_monitor_patch(&created, &json!({}), &later)
            .unwrap()
            .updated_at,
        later.now
    );
    assert_eq!(
        validate_new_monitor(&body, "mon_1".into(), &ctx()).unwrap(),
        created
    );
}

#[test]
fn patch_merges_and_revalidates() {
    let created = validate_new_monitor(
        &with(json!({"origin": {"host": "o.example.com"}, "tags": ["a"]})),
        "mon_1".into(),
        &ctx(),
    )
    .unwrap();
    let patched = apply_monitor_patch(
        &created,
        &json!({"name": "Shop 2", "origin": {"port": 8443}, "tags": null, "expect": {"keyword": "ok"}}),
        &ctx(),
    )
    .unwrap();
    assert_eq!(patched.name, "Shop 2");
    assert_eq!(
        patched.origin.as_ref().map(|o| (o.host.as_str(), o.port)),
        Some(("o.example.com", 8443))
    );
    assert!(patched.tags.is_empty());
    assert_eq!(patched.expect.keyword.as_deref(), Some("ok"));
    assert_eq!(patched.slug, created.slug);
    assert_eq!(patched.created_at, created.created_at);
    // Removing the origin.
    assert!(
        apply_monitor_patch(&created, &json!({"origin": null}), &ctx())
            .unwrap()
            .origin
            .is_none()
    );
    // Fewer regions than regions_to_agree is caught at the confirmation pointer.
    let errs = apply_monitor_patch(
        &created,
        &json!({"regions": ["weur"], "url": "http://10.0.0.1/"}),
        &ctx(),
    )
    .unwrap_err();
    assert_eq!(
        errs.iter().map(|e| e.pointer.as_str()).collect::<Vec<_>>(),
        ["/url", "/confirmation/regions_to_agree"]
    );
    // A non-object patch, and a required field removed.
    assert_eq!(
        apply_monitor_patch(&created, &json!([1]), &ctx()).unwrap_err()[0].pointer,
        ""
    );
    assert_eq!(
        apply_monitor_patch(&created, &json!({"name": null, "bogus": 1}), &ctx())
            .unwrap_err()
            .iter()
            .map(|e| e.pointer.as_str())
            .collect::<Vec<_>>(),
        ["/bogus", "/name"]
    );
}

#[test]
fn view_matches_its_snapshot() {
    let full = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/fixtures/api/monitor_create_full.json"
    ))
    .unwrap();
    let created = validate_new_monitor(
        &serde_json::from_str(&full).unwrap(),
        "mon_1".into(),
        &ctx(),
    )
    .unwrap();
    let got = serde_json::to_string_pretty(&views::monitor_view(&created)).unwrap();
    edgeprobe_testkit::assert_fixture_snapshot!("api", "monitor_view_full.json", got, "");
}

mod no_panics {
    use super::*;
    use proptest::prelude::*;

    fn any_json() -> impl Strategy<Value = Value> {
        let key = prop_oneof![
            proptest::sample::select(monitor::MONITOR_FIELDS.to_vec()).prop_map(String::from),
            proptest::sample::select(vec![
                "host",
                "port",
                "scheme",
                "statuses",
                "regions_to_agree",
                "starts_at",
                "ends_at",
                "kind",
                "secret"
            ])
            .prop_map(String::from),
            "[a-z/~]{0,6}",
        ];
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            (0u64..70_000).prop_map(Value::from),
            any::<f64>()
                .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
            "\\PC{0,12}".prop_map(Value::from),
            proptest::sample::select(vec![
                "https://a.example/",
                "http://[::1]/",
                "200-299",
                "weur",
                "ch_x",
                "2026-11-21T00:00:00Z",
                "whsec_AAAA"
            ])
            .prop_map(Value::from),
        ];
        leaf.prop_recursive(4, 48, 8, move |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                proptest::collection::btree_map(key.clone(), inner, 0..8)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn validators_never_panic(v in any_json(), p in any_json()) {
            let created = validate_new_monitor(&v, "mon_1".into(), &ctx());
            let base = validate_new_monitor(&minimal(), "mon_1".into(), &ctx()).unwrap();
            let patched = apply_monitor_patch(&base, &p, &ctx());
            let channel = validate_new_channel(&v, "ch_1".into(), &ctx());
            // Whatever is accepted renders a view that validates back to the same monitor.
            for m in [created, patched].into_iter().flatten() {
                let mut body = views::monitor_view(&m);
                for k in ["id", "created_at", "updated_at"] { body.as_object_mut().unwrap().remove(k); }
                prop_assert_eq!(validate_new_monitor(&body, "mon_1".into(), &ctx()), Ok(m));
            }
            prop_assert!(channel.map_or(true, |c| views::channel_view(&c).get("secret").is_none()));
        }
    }
}

/// Issue 10 (security): text that would change how pages and alerts look, headers the probes
/// would send differently (or that desynchronise the origin exchange), and ports of non-HTTP
/// services are refused, each at its pointer and with the reason in the detail.
#[test]
fn unsafe_text_headers_and_ports_are_refused_with_why() {
    let cases: Vec<(Value, &str, &str)> = vec![
        (
            with(json!({"name": "Shop\r\nResolved: all good"})),
            "/name",
            "single line",
        ),
        (with(json!({"name": "Shop\u{1b}[2J"})), "/name", "control"),
        (with(json!({"name": "Shop\u{7f}"})), "/name", "control"),
        (
            with(json!({"name": "pohS\u{202e}Shop"})),
            "/name",
            "bidirectional",
        ),
        (
            with(json!({"name": "\u{2066}Shop\u{2069}"})),
            "/name",
            "bidirectional",
        ),
        (with(json!({"name": "   "})), "/name", "visible character"),
        (
            with(json!({"name": "\u{200b}\u{200b}"})),
            "/name",
            "visible character",
        ),
        (
            with(json!({"expect": {"keyword": "ok\n"}})),
            "/expect/keyword",
            "single line",
        ),
        (
            with(
                json!({"maintenance": [{"starts_at": "2026-11-21T23:00:00Z", "ends_at": "2026-11-22T01:00:00Z", "reason": "db\u{202e}"}]}),
            ),
            "/maintenance/0/reason",
            "bidirectional",
        ),
        (
            with(json!({"tags": ["\u{200b}"]})),
            "/tags/0",
            "visible character",
        ),
        (
            with(json!({"tags": ["a\u{2028}b"]})),
            "/tags/0",
            "single line",
        ),
        (
            with(json!({"headers": {"TE": "trailers"}})),
            "/headers/TE",
            "hop-by-hop",
        ),
        (
            with(json!({"headers": {"upgrade": "websocket"}})),
            "/headers/upgrade",
            "hop-by-hop",
        ),
        (
            with(json!({"headers": {"Keep-Alive": "timeout=5"}})),
            "/headers/Keep-Alive",
            "hop-by-hop",
        ),
        (
            with(json!({"headers": {"Proxy-Authorization": "Basic x"}})),
            "/headers/Proxy-Authorization",
            "hop-by-hop",
        ),
        (
            with(json!({"headers": {"trailer": "x"}})),
            "/headers/trailer",
            "hop-by-hop",
        ),
        (
            with(json!({"headers": {"EdgeProbe-Region": "weur"}})),
            "/headers/EdgeProbe-Region",
            "its own region",
        ),
        (
            with(json!({"headers": {"x-name": "café"}})),
            "/headers/x-name",
            "visible ASCII",
        ),
        (
            with(json!({"headers": {"x-name": "a\tb"}})),
            "/headers/x-name",
            "visible ASCII",
        ),
        (
            with(json!({"headers": {"x-name": "a\u{7f}"}})),
            "/headers/x-name",
            "visible ASCII",
        ),
        (
            with(json!({"headers": {"x-name": " padded"}})),
            "/headers/x-name",
            "start or end",
        ),
        (
            with(json!({"url": "http://shop.example.com:0/"})),
            "/url",
            "port 0",
        ),
        (
            with(json!({"url": "http://shop.example.com:25/"})),
            "/url",
            "SMTP",
        ),
        (
            with(json!({"url": "http://shop.example.com:22/"})),
            "/url",
            "non-HTTP",
        ),
        (
            with(json!({"url": "https://shop.example.com:6379/"})),
            "/url",
            "port 6379",
        ),
        (
            with(json!({"url": "https://192.0.2.10/"})),
            "/url",
            "documentation",
        ),
        (
            with(json!({"url": "https://[2002:a00:1::1]/"})),
            "/url",
            "private",
        ),
        (
            with(json!({"origin": {"host": "o.example.com", "port": 5432}})),
            "/origin/port",
            "non-HTTP",
        ),
        (
            with(json!({"origin": {"host": "o.example.com", "port": 465}})),
            "/origin/port",
            "port 465",
        ),
        (
            with(json!({"origin": {"host": "198.18.0.7"}})),
            "/origin/host",
            "benchmarking",
        ),
        (
            with(json!({"origin": {"host": "::ffff:0:127.0.0.1"}})),
            "/origin/host",
            "loopback",
        ),
    ];
    for (body, pointer, why) in cases {
        match validate_new_monitor(&body, "mon_1".into(), &ctx()) {
            Ok(m) => panic!("expected {pointer} to be refused for {body}, got {m:?}"),
            Err(errs) => {
                let hit = errs.iter().find(|e| e.pointer == pointer);
                let Some(hit) = hit else {
                    panic!("no error at {pointer} for {body}: {errs:?}")
                };
                assert!(
                    hit.detail.contains(why),
                    "{pointer}: expected {why:?} in {:?}",
                    hit.detail
                );
                assert_eq!(errs.len(), 1, "only {pointer} is wrong in {body}: {errs:?}");
            }
        }
    }
    // Ordinary international text and HTTP-safe values stay accepted.
    let ok = with(json!({
        "name": "Boutique — Bücher 日本",
        "headers": {"Authorization": "Bearer a.b-c", "Accept-Language": "de-CH, fr;q=0.9"},
        "url": "https://shop.example.com:8443/health",
        "origin": {"host": "o.example.com", "port": 8080, "scheme": "http"},
        "tags": ["prod", "région-eu"],
    }));
    validate_new_monitor(&ok, "mon_1".into(), &ctx()).expect("accepted");
}

/// Issue 10 (security): a monitor saved while private targets were allowed can still be paused
/// once they are not (`{"paused": true}` skips re-validation), but any other patch, including
/// un-pausing, reports the refused target.
#[test]
fn monitor_with_a_now_refused_target_can_still_be_paused() {
    let loose = ValidationContext {
        allow_private_targets: true,
        ..ctx()
    };
    let body = with(
        json!({"url": "http://10.0.0.5:8080/", "origin": {"host": "127.0.0.1", "port": 8081, "scheme": "http"}}),
    );
    let stored = validate_new_monitor(&body, "mon_1".into(), &loose).unwrap();
    let strict = ValidationContext {
        now: ctx().now + 1000,
        ..ctx()
    };

    let paused = apply_monitor_patch(&stored, &json!({"paused": true}), &strict)
        .expect("pausing always works");
    assert!(paused.paused);
    assert_eq!(paused.updated_at, strict.now);
    assert_eq!(
        Monitor {
            paused: false,
            updated_at: stored.updated_at,
            ..paused.clone()
        },
        stored
    );

    for patch in [
        json!({"paused": false}),
        json!({"name": "Renamed"}),
        json!({"paused": true, "name": "Renamed"}),
    ] {
        let errs = apply_monitor_patch(&paused, &patch, &strict)
            .expect_err("the refused target is reported");
        let ptrs: Vec<&str> = errs.iter().map(|e| e.pointer.as_str()).collect();
        assert_eq!(ptrs, ["/url", "/origin/host"], "{patch}");
    }
}

#[test]
fn create_refuses_null_where_it_is_not_documented_nullable() {
    let body = json!({"name": "Shop", "url": "https://shop.example.com/", "public": null, "slug": null,
        "expect": {"keyword": null, "statuses": null}, "confirmation": {"recovery_rounds": null},
        "headers": {"x-a": null}});
    let got = pointers(&body, &ctx());
    for p in [
        "/public",
        "/slug",
        "/expect/statuses",
        "/confirmation/recovery_rounds",
        "/headers/x-a",
    ] {
        assert_eq!(
            got.iter().filter(|g| *g == p).count(),
            1,
            "{p} named once in {got:?}"
        );
    }
    assert!(
        !got.iter().any(|g| g == "/expect/keyword"),
        "keyword is nullable: {got:?}"
    );
    // name: null is one error, not "must not be null" and "is required".
    let got = pointers(
        &json!({"name": null, "url": "https://shop.example.com/"}),
        &ctx(),
    );
    assert_eq!(got, ["/name"]);
    // The documented nullable members.
    let ok = json!({"name": "Shop", "url": "https://shop.example.com/", "origin": null, "expect": {"keyword": null},
        "maintenance": [{"starts_at": "2026-11-22T00:00:00Z", "ends_at": "2026-11-22T01:00:00Z", "reason": null}]});
    assert!(validate_new_monitor(&ok, "mon_1".into(), &ctx()).is_ok());
    // In a patch, null resets optional members and is refused for required ones.
    let created = validate_new_monitor(&minimal(), "mon_1".into(), &ctx()).unwrap();
    assert!(apply_monitor_patch(
        &created,
        &json!({"public": null, "slug": null, "tags": null}),
        &ctx()
    )
    .is_ok());
    let errs = apply_monitor_patch(&created, &json!({"url": null}), &ctx()).unwrap_err();
    assert_eq!(
        errs.iter().map(|e| e.pointer.as_str()).collect::<Vec<_>>(),
        ["/url"]
    );
}

// The target policy's re-check of stored monitors lives in the core (`edgeprobe_core::target`);
// its monitors are built here, through the API's validation.
fn policy_ctx(allow_private: bool) -> crate::validate::ValidationContext {
    crate::validate::ValidationContext {
        allowed_regions: vec!["weur".into()],
        default_regions: vec!["weur".into()],
        allow_private_targets: allow_private,
        tick_seconds: 5,
        now: 0,
    }
}

fn stored_monitor(body: serde_json::Value) -> Monitor {
    crate::validate::validate_new_monitor(&body, "mon_1".into(), &policy_ctx(true))
        .expect("valid under the loose policy")
}

/// A monitor saved while private targets were allowed is refused once they are not, for
/// its URL and for its origin alike; the reason names which target and why.
#[test]
fn stored_monitor_is_rechecked_against_the_current_policy() {
    let public =
        stored_monitor(serde_json::json!({"name": "a", "url": "https://shop.example.com/"}));
    assert_eq!(
        edgeprobe_core::target::monitor_refusal(&public, false),
        None
    );

    let private_url =
        stored_monitor(serde_json::json!({"name": "a", "url": "http://10.0.0.5:8080/health"}));
    assert_eq!(
        edgeprobe_core::target::monitor_refusal(&private_url, true),
        None
    );
    let why = edgeprobe_core::target::monitor_refusal(&private_url, false).expect("refused");
    assert!(why.contains("url") && why.contains("private"), "{why}");

    let private_origin = stored_monitor(serde_json::json!({
        "name": "a", "url": "https://shop.example.com/", "origin": {"host": "169.254.169.254", "scheme": "http"}
    }));
    assert_eq!(
        edgeprobe_core::target::monitor_refusal(&private_origin, true),
        None
    );
    let why = edgeprobe_core::target::monitor_refusal(&private_origin, false).expect("refused");
    assert!(
        why.contains("origin host") && why.contains("link-local"),
        "{why}"
    );

    // A port refused after the monitor was stored (rules tightened) is caught as well.
    let mut old_port = public.clone();
    old_port.url = "https://shop.example.com:6379/".into();
    assert!(edgeprobe_core::target::monitor_refusal(&old_port, true)
        .expect("refused")
        .contains("port 6379"));
    let mut old_origin_port = private_origin.clone();
    old_origin_port.origin.as_mut().unwrap().port = 22;
    assert!(
        edgeprobe_core::target::monitor_refusal(&old_origin_port, true)
            .expect("refused")
            .contains("origin port 22")
    );
}

/// Issue 15: `public_detail` is `summary` (the default) or `full`; anything else names it.
#[test]
fn public_detail_is_summary_or_full() {
    use edgeprobe_core::monitor::PublicDetail;
    let m = validate_new_monitor(&minimal(), "mon_1".into(), &ctx()).unwrap();
    assert_eq!(m.public_detail, PublicDetail::Summary);
    let full = with(json!({"public_detail": "full"}));
    let m = validate_new_monitor(&full, "mon_1".into(), &ctx()).unwrap();
    assert_eq!(m.public_detail, PublicDetail::Full);
    for bad in [json!("everything"), json!(true), json!(1)] {
        assert_eq!(
            pointers(&with(json!({"public_detail": bad})), &ctx()),
            vec!["/public_detail"]
        );
    }
}

#[test]
fn intervals_must_be_whole_ticks_of_the_deployments_tick() {
    let minute = ValidationContext {
        tick_seconds: 60,
        ..ctx()
    };
    // 30 s is fine on the default 5 s tick, not on a 60 s one.
    assert!(validate_new_monitor(
        &with(json!({"interval_seconds": 30})),
        "mon_1".into(),
        &ctx()
    )
    .is_ok());
    assert_eq!(
        pointers(&with(json!({"interval_seconds": 30})), &minute),
        ["/interval_seconds"]
    );
    let errs = validate_new_monitor(
        &with(json!({"interval_seconds": 90})),
        "mon_1".into(),
        &minute,
    )
    .unwrap_err();
    assert!(
        errs[0].detail.contains("multiple of 60"),
        "{}",
        errs[0].detail
    );
    assert!(validate_new_monitor(
        &with(json!({"interval_seconds": 120})),
        "mon_1".into(),
        &minute
    )
    .is_ok());
}
