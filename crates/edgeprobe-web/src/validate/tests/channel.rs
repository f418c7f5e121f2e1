//! Table-driven tests of the channel rules, and that secrets never leak.

use serde_json::{json, Value};

use super::monitor::ctx;
use crate::problem::Problem;
use crate::validate::*;
use edgeprobe_core::monitor::{Channel, ChannelKind};

const WEBHOOK_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const ROUTING_KEY: &str = "R0UT1NGKEYR0UT1NGKEYR0UT1NGKEY12";
const SLACK_URL: &str = "https://hooks.slack.com/services/T000/B000/XXXXSECRETTOKEN";

fn webhook() -> Value {
    serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/fixtures/api/channel_create_webhook.json"
        ))
        .unwrap(),
    )
    .unwrap()
}

fn with(base: Value, patch: Value) -> Value {
    let mut v = base;
    patch::merge_patch(&mut v, &patch);
    v
}

fn errors(v: &Value, ctx: &ValidationContext) -> Vec<crate::problem::FieldError> {
    match validate_new_channel(v, "ch_1".into(), ctx) {
        Ok(c) => panic!("expected errors for {v}, got {c:?}"),
        Err(errs) => errs,
    }
}

#[test]
fn each_kind_accepts_its_valid_form() {
    let c = validate_new_channel(&webhook(), "ch_1".into(), &ctx()).unwrap();
    assert_eq!(
        (c.kind, c.secret.as_deref(), c.enabled),
        (ChannelKind::Webhook, Some(WEBHOOK_SECRET), true)
    );
    let pd = validate_new_channel(
        &json!({"name": "Pager", "kind": "pagerduty", "secret": ROUTING_KEY}),
        "ch_2".into(),
        &ctx(),
    )
    .unwrap();
    assert_eq!(pd.url, "https://events.pagerduty.com/v2/enqueue");
    let slack = validate_new_channel(
        &json!({"name": "Slack", "kind": "slack", "url": SLACK_URL, "enabled": false}),
        "ch_3".into(),
        &ctx(),
    )
    .unwrap();
    assert_eq!((slack.secret, slack.enabled), (None, false));
    let discord =
        json!({"name": "D", "kind": "discord", "url": "https://discord.com/api/webhooks/1/abc"});
    assert!(validate_new_channel(&discord, "ch_4".into(), &ctx()).is_ok());
    let unpadded = with(
        webhook(),
        json!({"secret": "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}),
    );
    assert!(validate_new_channel(&unpadded, "ch_5".into(), &ctx()).is_ok());
}

#[test]
fn each_bad_field_reports_its_pointer() {
    let slack = json!({"name": "Slack", "kind": "slack", "url": SLACK_URL});
    let pd = json!({"name": "Pager", "kind": "pagerduty", "secret": ROUTING_KEY});
    let cases: Vec<(Value, &str)> = vec![
        (json!("webhook"), ""),
        (with(webhook(), json!({"name": null})), "/name"),
        (with(webhook(), json!({"name": "n".repeat(101)})), "/name"),
        (with(webhook(), json!({"kind": "email"})), "/kind"),
        (with(webhook(), json!({"kind": null})), "/kind"),
        (with(webhook(), json!({"url": null})), "/url"),
        (
            with(webhook(), json!({"url": "https://10.1.1.1/hook"})),
            "/url",
        ),
        (
            with(webhook(), json!({"url": "https://u:p@hooks.example.com/"})),
            "/url",
        ),
        (with(webhook(), json!({"secret": null})), "/secret"),
        (
            with(
                webhook(),
                json!({"secret": "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}),
            ),
            "/secret",
        ),
        (
            with(webhook(), json!({"secret": "whsec_c2hvcnQ="})),
            "/secret",
        ),
        (
            with(webhook(), json!({"secret": "whsec_not base64!!"})),
            "/secret",
        ),
        (with(webhook(), json!({"secret": 42})), "/secret"),
        (with(webhook(), json!({"enabled": "no"})), "/enabled"),
        (with(webhook(), json!({"token": "x"})), "/token"),
        (
            with(
                slack.clone(),
                json!({"url": "http://hooks.slack.com/services/T/B/X"}),
            ),
            "/url",
        ),
        (with(slack.clone(), json!({"url": null})), "/url"),
        (
            with(slack.clone(), json!({"secret": "whatever"})),
            "/secret",
        ),
        (with(pd.clone(), json!({"secret": "short"})), "/secret"),
        (
            with(
                pd.clone(),
                json!({"secret": "R0UT1NGKEYR0UT1NGKEYR0UT1NGKEY1!"}),
            ),
            "/secret",
        ),
        (with(pd.clone(), json!({"secret": null})), "/secret"),
        (
            with(
                pd.clone(),
                json!({"url": "http://events.pagerduty.com/v2/enqueue"}),
            ),
            "/url",
        ),
    ];
    for (body, pointer) in cases {
        let got: Vec<String> = errors(&body, &ctx())
            .into_iter()
            .map(|e| e.pointer)
            .collect();
        assert_eq!(got, [pointer], "body {body}");
    }
}

#[test]
fn local_development_allows_loopback_http_hooks() {
    let local = ValidationContext {
        allow_private_targets: true,
        ..ctx()
    };
    let v = json!({"name": "Local", "kind": "slack", "url": "http://127.0.0.1:9000/slack"});
    assert!(validate_new_channel(&v, "ch_1".into(), &local).is_ok());
    assert_eq!(
        errors(&v, &ctx()).len(),
        2,
        "http and loopback are both refused outside local development"
    );
}

fn stored() -> Channel {
    validate_new_channel(&webhook(), "ch_1".into(), &ctx()).unwrap()
}

#[test]
fn secrets_and_urls_never_appear_in_views_or_errors() {
    let slack = validate_new_channel(
        &json!({"name": "S", "kind": "slack", "url": SLACK_URL}),
        "ch_2".into(),
        &ctx(),
    )
    .unwrap();
    for (c, secret) in [(stored(), WEBHOOK_SECRET), (slack, "XXXXSECRETTOKEN")] {
        let view = views::channel_view(&c).to_string();
        assert!(!view.contains(secret), "{view}");
        assert!(!view.contains("MfKQ9r8G"), "{view}");
    }
    let view = views::channel_view(&stored());
    assert_eq!(view["has_secret"], true);
    assert_eq!(view["url_hint"], "https://hooks.example.com/…");
    assert!(view.get("secret").is_none() && view.get("url").is_none());

    let leaky_secrets = [
        "whsec_c2VjcmV0LXRvby1zaG9ydA",
        "hunter2-SECRET-VALUE",
        "whsec_!!!PRIVATE!!!",
    ];
    for s in leaky_secrets {
        let errs = errors(&with(webhook(), json!({"secret": s})), &ctx());
        let body = Problem::validation(errs).to_json();
        assert!(
            !body.contains(s) && !body.contains("SECRET") && !body.contains("PRIVATE"),
            "{body}"
        );
    }
    let errs = errors(
        &json!({"name": "S", "kind": "slack", "url": "http://hooks.slack.com/services/T/B/TOPSECRETTOKEN"}),
        &ctx(),
    );
    assert!(!Problem::validation(errs)
        .to_json()
        .contains("TOPSECRETTOKEN"));
}

#[test]
fn patch_keeps_write_only_members_it_does_not_mention() {
    let c = stored();
    let later = ValidationContext {
        now: ctx().now + 1,
        ..ctx()
    };
    let p = apply_channel_patch(&c, &json!({"name": "Renamed", "enabled": false}), &later).unwrap();
    assert_eq!(
        (p.name.as_str(), p.enabled, p.secret.clone(), p.url.clone()),
        ("Renamed", false, c.secret.clone(), c.url.clone())
    );
    assert_eq!((p.created_at, p.updated_at), (c.created_at, later.now));
    // The view PATCHed back is rejected only for its read-only members.
    let errs = apply_channel_patch(&c, &views::channel_view(&c), &later).unwrap_err();
    let got: Vec<&str> = errs.iter().map(|e| e.pointer.as_str()).collect();
    assert_eq!(
        got,
        [
            "/id",
            "/created_at",
            "/updated_at",
            "/url_hint",
            "/has_secret"
        ]
    );
    // Switching to slack needs a new URL and the webhook secret dropped.
    let errs = apply_channel_patch(&c, &json!({"kind": "slack"}), &later).unwrap_err();
    assert_eq!(
        errs.iter().map(|e| e.pointer.as_str()).collect::<Vec<_>>(),
        ["/secret"]
    );
    let s = apply_channel_patch(
        &c,
        &json!({"kind": "slack", "secret": null, "url": SLACK_URL}),
        &later,
    )
    .unwrap();
    assert_eq!((s.kind, s.secret), (ChannelKind::Slack, None));
    // A rotated secret is validated like a new one.
    assert_eq!(
        apply_channel_patch(&c, &json!({"secret": "nope"}), &later).unwrap_err()[0].pointer,
        "/secret"
    );
}

#[test]
fn view_matches_its_snapshot() {
    let got = serde_json::to_string_pretty(&views::channel_view(&stored())).unwrap();
    edgeprobe_testkit::assert_fixture_snapshot!("api", "channel_view_webhook.json", got, "");
}

/// Issue 10 (security): a channel's name follows the display-text rules and its URL the port
/// and address rules, each with the reason; the URL is still never echoed.
#[test]
fn unsafe_channel_names_and_targets_are_refused_with_why() {
    for (patch, pointer, why) in [
        (json!({"name": "Ops\r\nX"}), "/name", "single line"),
        (json!({"name": "spO\u{202e}"}), "/name", "bidirectional"),
        (json!({"name": "\u{feff} "}), "/name", "visible character"),
        (json!({"name": "Ops\u{0}"}), "/name", "control"),
        (
            json!({"url": "https://hooks.example.com:25/x"}),
            "/url",
            "SMTP",
        ),
        (
            json!({"url": "https://hooks.example.com:11211/x"}),
            "/url",
            "non-HTTP",
        ),
        (
            json!({"url": "https://198.51.100.9/x"}),
            "/url",
            "documentation",
        ),
        (json!({"url": "https://[fec0::1]/x"}), "/url", "site-local"),
    ] {
        let body = with(webhook(), patch.clone());
        let errs = errors(&body, &ctx());
        let hit = errs
            .iter()
            .find(|e| e.pointer == pointer)
            .unwrap_or_else(|| panic!("{patch}: {errs:?}"));
        assert!(hit.detail.contains(why), "{patch}: {:?}", hit.detail);
        assert!(
            !hit.detail.contains("hooks.example.com") && !hit.detail.contains("/x"),
            "{:?}",
            hit.detail
        );
    }
}

#[test]
fn create_refuses_null_except_for_the_secret() {
    let pointers = |v: Value| {
        errors(&v, &ctx())
            .into_iter()
            .map(|e| e.pointer)
            .collect::<Vec<_>>()
    };
    let mut disabled = webhook();
    disabled["enabled"] = Value::Null;
    assert_eq!(pointers(disabled), ["/enabled"]);
    let mut named = webhook();
    named["name"] = Value::Null;
    assert_eq!(
        pointers(named),
        ["/name"],
        "one error, not also \"is required\""
    );
    let slack = json!({"name": "Slack", "kind": "slack", "url": SLACK_URL, "secret": null});
    assert!(
        validate_new_channel(&slack, "ch_3".into(), &ctx()).is_ok(),
        "secret is documented nullable"
    );
}

const TELEGRAM_TOKEN: &str = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw";
const OPSGENIE_KEY: &str = "eb243592-faa2-4ba2-a551q-1afdf565c889";

#[test]
fn new_kinds_accept_their_valid_forms_with_documented_defaults() {
    let tg = validate_new_channel(
        &json!({"name": "TG", "kind": "telegram", "secret": TELEGRAM_TOKEN, "chat_id": "-1001234567890"}),
        "ch_1".into(),
        &ctx(),
    )
    .unwrap();
    assert_eq!(
        (tg.url.as_str(), tg.chat_id.as_deref()),
        ("https://api.telegram.org/", Some("-1001234567890"))
    );
    let og = validate_new_channel(
        &json!({"name": "OG", "kind": "opsgenie", "secret": OPSGENIE_KEY}),
        "ch_2".into(),
        &ctx(),
    )
    .unwrap();
    assert_eq!(og.url, "https://api.opsgenie.com/");
    let eu = json!({"name": "OG", "kind": "opsgenie", "secret": OPSGENIE_KEY, "url": "https://api.eu.opsgenie.com"});
    assert_eq!(
        validate_new_channel(&eu, "ch_3".into(), &ctx())
            .unwrap()
            .url,
        "https://api.eu.opsgenie.com/"
    );
    let teams = json!({"name": "T", "kind": "teams", "url": "https://prod-01.westeurope.logic.azure.com/workflows/abc/triggers/manual/paths/invoke?sig=x"});
    assert!(validate_new_channel(&teams, "ch_4".into(), &ctx()).is_ok());
    for secret in [json!(null), json!("tk_AgQdq7mVBoFD37zQVN29RhuMzNIz2")] {
        let ntfy = json!({"name": "N", "kind": "ntfy", "url": "https://ntfy.sh/ops-alerts", "secret": secret});
        assert!(
            validate_new_channel(&ntfy, "ch_5".into(), &ctx()).is_ok(),
            "{ntfy}"
        );
    }
    // Filters default to everything; mentions to none.
    let c = stored();
    assert_eq!(c.filter, edgeprobe_core::monitor::AlertFilter::default());
    assert_eq!((c.mention, c.chat_id), (None, None));
}

#[test]
fn mentions_and_filters_are_checked_per_kind() {
    let slack = json!({"name": "Slack", "kind": "slack", "url": SLACK_URL});
    let discord =
        json!({"name": "D", "kind": "discord", "url": "https://discord.com/api/webhooks/1/abc"});
    for (body, mention) in [
        (&slack, "@here"),
        (&slack, "@channel"),
        (&slack, "S0614TZR7"),
        (&discord, "@here"),
        (&discord, "@everyone"),
        (&discord, "123456789012345678"),
    ] {
        let c = validate_new_channel(
            &with(body.clone(), json!({"mention": mention})),
            "ch_1".into(),
            &ctx(),
        )
        .unwrap();
        assert_eq!(c.mention.as_deref(), Some(mention));
    }
    let filtered = validate_new_channel(
        &with(
            slack.clone(),
            json!({"filter": {"kinds": ["down", "resolved"], "min_severity": "critical"}}),
        ),
        "ch_1".into(),
        &ctx(),
    )
    .unwrap();
    use edgeprobe_core::alerting::route::AlertClass;
    assert_eq!(
        filtered.filter.kinds,
        [AlertClass::Down, AlertClass::Resolved]
    );
    assert_eq!(
        filtered.filter.min_severity,
        edgeprobe_core::diagnosis::Severity::Critical
    );

    let tg = json!({"name": "TG", "kind": "telegram", "secret": TELEGRAM_TOKEN, "chat_id": "42"});
    let cases: Vec<(Value, &str)> = vec![
        (
            with(slack.clone(), json!({"mention": "@everyone"})),
            "/mention",
        ),
        (
            with(slack.clone(), json!({"mention": "<!here>"})),
            "/mention",
        ),
        (
            with(slack.clone(), json!({"mention": "s0614tzr7"})),
            "/mention",
        ),
        (
            with(discord.clone(), json!({"mention": "@channel"})),
            "/mention",
        ),
        (
            with(discord.clone(), json!({"mention": "<@&123>"})),
            "/mention",
        ),
        (with(webhook(), json!({"mention": "@here"})), "/mention"),
        (with(slack.clone(), json!({"mention": 5})), "/mention"),
        (
            with(slack.clone(), json!({"filter": {"kinds": []}})),
            "/filter/kinds",
        ),
        (
            with(
                slack.clone(),
                json!({"filter": {"kinds": ["down", "email"]}}),
            ),
            "/filter/kinds/1",
        ),
        (
            with(
                slack.clone(),
                json!({"filter": {"kinds": ["down", "down"]}}),
            ),
            "/filter/kinds/1",
        ),
        (
            with(slack.clone(), json!({"filter": {"min_severity": "ok"}})),
            "/filter/min_severity",
        ),
        (
            with(slack.clone(), json!({"filter": {"severity": "info"}})),
            "/filter/severity",
        ),
        (with(slack.clone(), json!({"filter": "down"})), "/filter"),
        (with(slack.clone(), json!({"chat_id": "42"})), "/chat_id"),
        (with(tg.clone(), json!({"chat_id": null})), "/chat_id"),
        (with(tg.clone(), json!({"chat_id": "my chat"})), "/chat_id"),
        (
            with(tg.clone(), json!({"secret": "not-a-token"})),
            "/secret",
        ),
        (
            with(tg.clone(), json!({"url": "http://api.telegram.org"})),
            "/url",
        ),
        (json!({"name": "OG", "kind": "opsgenie"}), "/secret"),
        (
            json!({"name": "OG", "kind": "opsgenie", "secret": "k e y"}),
            "/secret",
        ),
        (json!({"name": "N", "kind": "ntfy"}), "/url"),
        (
            json!({"name": "N", "kind": "ntfy", "url": "https://ntfy.sh/x", "secret": "a b"}),
            "/secret",
        ),
        (
            json!({"name": "T", "kind": "teams", "url": "https://example.com/x", "secret": "s"}),
            "/secret",
        ),
    ];
    for (body, pointer) in cases {
        let got: Vec<String> = errors(&body, &ctx())
            .into_iter()
            .map(|e| e.pointer)
            .collect();
        assert_eq!(got, [pointer], "body {body}");
    }
}

#[test]
fn a_patch_keeps_mention_and_filter_unless_given_and_null_resets_them() {
    let slack = validate_new_channel(
        &json!({"name": "S", "kind": "slack", "url": SLACK_URL, "mention": "@here", "filter": {"kinds": ["down"]}}),
        "ch_1".into(),
        &ctx(),
    )
    .unwrap();
    let renamed = apply_channel_patch(&slack, &json!({"name": "S2"}), &ctx()).unwrap();
    assert_eq!(renamed.mention.as_deref(), Some("@here"));
    assert_eq!(renamed.filter, slack.filter);
    let reset =
        apply_channel_patch(&slack, &json!({"mention": null, "filter": null}), &ctx()).unwrap();
    assert_eq!(reset.mention, None);
    assert_eq!(
        reset.filter,
        edgeprobe_core::monitor::AlertFilter::default()
    );
}

#[test]
fn telegram_and_opsgenie_secrets_never_appear_in_views() {
    let tg = validate_new_channel(
        &json!({"name": "TG", "kind": "telegram", "secret": TELEGRAM_TOKEN, "chat_id": "42"}),
        "ch_1".into(),
        &ctx(),
    )
    .unwrap();
    let og = validate_new_channel(
        &json!({"name": "OG", "kind": "opsgenie", "secret": OPSGENIE_KEY}),
        "ch_2".into(),
        &ctx(),
    )
    .unwrap();
    for (c, secret) in [(tg, TELEGRAM_TOKEN), (og, OPSGENIE_KEY)] {
        let view = views::channel_view(&c).to_string();
        assert!(!view.contains(secret), "{view}");
        assert_eq!(views::channel_view(&c)["has_secret"], true);
    }
}
