//! Channel payloads compared byte for byte with their snapshots in tests/fixtures/alerts/. The
//! alerts come from running the real state machine through an outage, so the snapshots show
//! what a receiver actually gets. Accept an intended change as docs/testing.md says
//! (`INSTA_UPDATE=always cargo test -p edgeprobe-core --test alert_payloads`, then review the
//! diff in git).

// Test code: a panic on unwrap/expect is the test failing with its message (the workspace's
// clippy::unwrap_used/expect_used are for production code; see clippy.toml).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use edgeprobe_testkit::assert_fixture_snapshot;
use edgeprobe_testkit::builders as common;

use common::{diagnosis, links, monitor, reports, Round, T0};
use edgeprobe_core::alerting::alert::test_alert;
use edgeprobe_core::alerting::payload::{
    discord_body, duration_words, headline_facts, pagerduty_body, render, slack_body, Target,
};
use edgeprobe_core::alerting::sign::verify;
use edgeprobe_core::alerting::{
    build, step, Alert, AlertKind, AlertRegion, AlertState, BuildError, Effect, Links, RoundInput,
    RoundKind,
};
use edgeprobe_core::diagnosis::Verdict;
use edgeprobe_core::monitor::ChannelKind;
use edgeprobe_core::monitor::Monitor;
use serde_json::Value;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const ROUTING_KEY: &str = "R0UT1NGKEY0000000000000000000000";

/// Runs the real state machine through these rounds (second, kind, round) and returns every
/// alert it sent.
fn alerts_sent(m: &Monitor, l: &Links, rounds: &[(i64, RoundKind, Round)]) -> Vec<Alert> {
    let mut state = AlertState::default();
    let mut sent = Vec::new();
    for &(sec, kind, round) in rounds {
        let now = T0 + sec * 1000;
        let d = diagnosis(round);
        let reps = reports(round, now);
        let input = RoundInput {
            diagnosis: &d,
            reports: &reps,
            kind,
            round_id: "rnd_x",
            now,
            links: l,
        };
        let (next, effects) = step(state, &input, m, || "inc_7Hq2".to_string());
        state = next;
        sent.extend(effects.into_iter().filter_map(|e| {
            if let Effect::Send(a) = e {
                Some(a)
            } else {
                None
            }
        }));
    }
    sent
}

/// Down at 10 s (origin timeout in two regions), resolved at 130 s.
fn outage_alerts() -> Vec<Alert> {
    let m = monitor();
    let l = links();
    let rounds = [
        (
            0,
            RoundKind::Scheduled,
            Round::Fail(Verdict::OriginTimeout, &["enam", "weur"]),
        ),
        (
            10,
            RoundKind::Recheck,
            Round::Fail(Verdict::OriginTimeout, &["enam", "weur"]),
        ),
        (70, RoundKind::Scheduled, Round::Healthy),
        (130, RoundKind::Scheduled, Round::Healthy),
    ];
    let sent = alerts_sent(&m, &l, &rounds);
    assert_eq!(
        sent.iter().map(|a| a.kind).collect::<Vec<_>>(),
        [AlertKind::Down, AlertKind::Resolved]
    );
    sent
}

/// Updated (origin_timeout -> origin_refused) at 60 s, Flapping at 250 s (the second incident
/// within the window, with a threshold of 1), and a channel test.
fn other_alerts() -> Vec<Alert> {
    let mut m = monitor();
    m.confirmation.flap_threshold = 1;
    let l = links();
    let rounds = [
        (
            0,
            RoundKind::Scheduled,
            Round::Fail(Verdict::OriginTimeout, &["enam", "weur"]),
        ),
        (
            10,
            RoundKind::Recheck,
            Round::Fail(Verdict::OriginTimeout, &["enam", "weur"]),
        ),
        (
            60,
            RoundKind::Scheduled,
            Round::Fail(Verdict::OriginRefused, &["apac", "enam", "weur"]),
        ),
        (120, RoundKind::Scheduled, Round::Healthy),
        (180, RoundKind::Scheduled, Round::Healthy),
        (
            240,
            RoundKind::Scheduled,
            Round::Fail(Verdict::OriginTimeout, &["enam", "weur"]),
        ),
        (
            250,
            RoundKind::Recheck,
            Round::Fail(Verdict::OriginTimeout, &["enam", "weur"]),
        ),
    ];
    let mut sent = alerts_sent(&m, &l, &rounds);
    sent.remove(0); // the Down, covered by outage_alerts
    sent.retain(|a| a.kind != AlertKind::Resolved); // covered by outage_alerts too
    sent.push(test_alert(&m, &l, T0 + 300_000));
    assert_eq!(
        sent.iter().map(|a| a.kind).collect::<Vec<_>>(),
        [AlertKind::Updated, AlertKind::Flapping, AlertKind::Test]
    );
    sent
}

#[test]
fn every_channel_renders_every_kind_exactly_like_its_snapshot() {
    let mut alerts = outage_alerts();
    alerts.extend(other_alerts());
    for alert in &alerts {
        let kind = alert.kind.as_str();
        for (channel, ext) in [
            (ChannelKind::Webhook, "webhook"),
            (ChannelKind::Slack, "slack"),
            (ChannelKind::Discord, "discord"),
            (ChannelKind::Pagerduty, "pagerduty"),
        ] {
            let secret = match channel {
                ChannelKind::Webhook => Some(SECRET),
                ChannelKind::Pagerduty => Some(ROUTING_KEY),
                _ => None,
            };
            let req = build(channel, secret, alert, 1_795_262_410).unwrap();
            assert_eq!(req.content_type, "application/json");
            serde_json::from_str::<Value>(&req.body)
                .unwrap_or_else(|e| panic!("{ext}_{kind}: not JSON: {e}"));
            assert_fixture_snapshot!("alerts", format!("{ext}_{kind}.json"), req.body, "");
            if channel == ChannelKind::Webhook {
                let headers: String = req
                    .headers
                    .iter()
                    .map(|(k, v)| format!("{k}: {v}\n"))
                    .collect();
                assert_fixture_snapshot!(
                    "alerts",
                    format!("webhook_{kind}.headers"),
                    headers,
                    "\n"
                );
            }
        }
    }
}

#[test]
fn webhook_headers_follow_standard_webhooks_and_verify() {
    let down = &outage_alerts()[0];
    let req = build(ChannelKind::Webhook, Some(SECRET), down, 1_795_262_410).unwrap();
    let header = |name: &str| {
        req.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap()
    };
    assert_eq!(header("webhook-id"), down.id);
    assert_eq!(header("webhook-timestamp"), "1795262410");
    assert_eq!(
        verify(
            SECRET,
            &down.id,
            1_795_262_410,
            &req.body,
            &header("webhook-signature"),
            1_795_262_415,
            300
        ),
        Ok(())
    );
    // A retry re-signs with a new timestamp but keeps the id.
    let retry = build(ChannelKind::Webhook, Some(SECRET), down, 1_795_262_470).unwrap();
    assert_eq!(retry.headers[0], req.headers[0]);
    assert_ne!(retry.headers[2], req.headers[2]);
    // Without a secret the webhook goes unsigned; a bad secret is a configuration error.
    let unsigned = build(ChannelKind::Webhook, None, down, 1).unwrap();
    assert_eq!(
        unsigned
            .headers
            .iter()
            .map(|(k, _)| k.as_str())
            .collect::<Vec<_>>(),
        ["webhook-id", "webhook-timestamp"]
    );
    assert!(matches!(
        build(ChannelKind::Webhook, Some("nope"), down, 1),
        Err(BuildError::Sign(_))
    ));
    assert_eq!(
        build(ChannelKind::Pagerduty, None, down, 1),
        Err(BuildError::MissingRoutingKey)
    );
    assert_eq!(
        build(ChannelKind::Pagerduty, Some("  "), down, 1),
        Err(BuildError::MissingRoutingKey)
    );
}

/// An alert far past every channel's limits: 40 regions with long multi-byte texts.
fn oversized_alert() -> Alert {
    let mut a = outage_alerts().remove(0);
    let long = "délai dépassé ⏱ ".repeat(400);
    a.monitor_name = "Ñ".repeat(400);
    a.summary = long.clone();
    a.checklist = (0..50).map(|i| format!("{i}: {long}")).collect();
    a.regions = (0..40)
        .map(|i| AlertRegion {
            region: format!("region-{i}-{}", "é".repeat(300)),
            colo: Some("CDG".into()),
            edge_status: None,
            edge_failure: Some(format!("timeout: {long}")),
            edge_ms: Some(15_000),
            origin_failed_step: Some("http".into()),
            origin_detail: Some(long.clone()),
            origin_ms: Some(9),
            edge_summary: Some(format!("no answer within the timeout {long}")),
            origin_summary: Some(long.clone()),
        })
        .collect();
    a
}

fn chars(v: &Value) -> usize {
    v.as_str().map_or(0, |s| s.chars().count())
}

#[test]
fn discord_stays_within_embed_limits() {
    let body: Value = serde_json::from_str(&discord_body(&oversized_alert(), None)).unwrap();
    let embed = &body["embeds"][0];
    let fields = embed["fields"].as_array().unwrap();
    assert!(fields.len() <= 25);
    assert!(chars(&embed["title"]) <= 256);
    assert!(chars(&embed["description"]) <= 4096);
    let mut total =
        chars(&embed["title"]) + chars(&embed["description"]) + chars(&embed["footer"]["text"]);
    for f in fields {
        assert!(chars(&f["name"]) <= 256 && chars(&f["value"]) <= 1024 && chars(&f["value"]) > 0);
        total += chars(&f["name"]) + chars(&f["value"]);
    }
    assert!(total <= 6000, "embed total {total}");
    assert_eq!(
        fields.last().unwrap()["name"],
        "Links",
        "links survive shrinking"
    );
    assert_eq!(body["allowed_mentions"]["parse"], serde_json::json!([]));
}

#[test]
fn slack_stays_within_block_limits() {
    let body: Value = serde_json::from_str(&slack_body(&oversized_alert(), None)).unwrap();
    for block in body["blocks"].as_array().unwrap() {
        match block["type"].as_str().unwrap() {
            "header" => assert!(chars(&block["text"]["text"]) <= 150),
            "section" if block.get("fields").is_some() => {
                let fields = block["fields"].as_array().unwrap();
                assert!(fields.len() <= 10);
                assert!(fields.iter().all(|f| chars(&f["text"]) <= 2000));
            }
            "section" => assert!(chars(&block["text"]["text"]) <= 3000),
            "context" => assert!(chars(&block["elements"][0]["text"]) <= 3000),
            other => panic!("unexpected block {other}"),
        }
    }
    assert!(chars(&body["text"]) <= 3000);
}

#[test]
fn slack_escapes_control_characters_from_outside_text() {
    let mut a = outage_alerts().remove(0);
    a.summary = "<!channel> & <https://evil.example|click>".into();
    let body = slack_body(&a, Some("@here"));
    assert!(!body.contains("<!channel>"));
    assert!(body.contains("&lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;"));
}

#[test]
fn pagerduty_maps_kinds_to_actions_and_bounds_the_summary() {
    let body: Value =
        serde_json::from_str(&pagerduty_body(&oversized_alert(), ROUTING_KEY)).unwrap();
    assert_eq!(body["event_action"], "trigger");
    assert_eq!(body["dedup_key"], "inc_7Hq2");
    assert!(chars(&body["payload"]["summary"]) <= 1024);
    let mut a = outage_alerts().remove(0);
    let cases = [
        (AlertKind::Down, "trigger"),
        (AlertKind::Updated, "trigger"),
        (AlertKind::Reminder, "trigger"),
        (AlertKind::Flapping, "trigger"),
        (AlertKind::Test, "trigger"),
        (AlertKind::Resolved, "resolve"),
        (AlertKind::FlappingEnded, "resolve"),
    ];
    for (kind, action) in cases {
        a.kind = kind;
        let body: Value = serde_json::from_str(&pagerduty_body(&a, ROUTING_KEY)).unwrap();
        assert_eq!(body["event_action"], action, "{kind:?}");
    }
}

const TELEGRAM_TOKEN: &str = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw";
const OPSGENIE_KEY: &str = "eb243592-faa2-4ba2-a551-1afdf565c889";

/// The four newer channel kinds as configured in production (default service URLs).
fn newer_targets() -> [(&'static str, Target<'static>); 4] {
    let t = |kind, url, secret, chat_id| Target {
        kind,
        url,
        secret,
        previous_secret: None,
        mention: None,
        chat_id,
    };
    [
        (
            "teams",
            t(
                ChannelKind::Teams,
                "https://prod-01.westeurope.logic.azure.com/workflows/abc/triggers/manual/paths/invoke",
                None,
                None,
            ),
        ),
        (
            "telegram",
            t(
                ChannelKind::Telegram,
                "https://api.telegram.org/",
                Some(TELEGRAM_TOKEN),
                Some("-1001234567890"),
            ),
        ),
        (
            "opsgenie",
            t(
                ChannelKind::Opsgenie,
                "https://api.eu.opsgenie.com/",
                Some(OPSGENIE_KEY),
                None,
            ),
        ),
        (
            "ntfy",
            t(
                ChannelKind::Ntfy,
                "https://ntfy.sh/shop-alerts",
                Some("tk_AgQdq7mVBoFD37zQVN29RhuMzNIz2"),
                None,
            ),
        ),
    ]
}

/// The whole request (method line with URL, headers, body) of the newer channel kinds, for
/// every alert kind, byte for byte. The secrets in these snapshots are made up.
#[test]
fn newer_channels_render_every_kind_exactly_like_their_snapshots() {
    let mut alerts = outage_alerts();
    alerts.extend(other_alerts());
    for alert in &alerts {
        let kind = alert.kind.as_str();
        for (name, target) in newer_targets() {
            let req = render(&target, alert, 1_795_262_410).unwrap();
            assert_eq!(req.content_type, "application/json");
            serde_json::from_str::<Value>(&req.body)
                .unwrap_or_else(|e| panic!("{name}_{kind}: not JSON: {e}"));
            let headers: String = req
                .headers
                .iter()
                .map(|(k, v)| format!("{k}: {v}\n"))
                .collect();
            assert_fixture_snapshot!("alerts", format!("{name}_{kind}.json"), req.body, "");
            assert_fixture_snapshot!(
                "alerts",
                format!("{name}_{kind}.request"),
                format!("POST {}\n{headers}", req.url),
                "\n"
            );
        }
    }
}

#[test]
fn newer_channels_send_to_the_service_endpoints_with_their_credentials() {
    let alerts = outage_alerts();
    let (down, resolved) = (&alerts[0], &alerts[1]);
    let [_, (_, telegram), (_, opsgenie), (_, ntfy)] = newer_targets();
    let req = render(&telegram, down, 1).unwrap();
    assert_eq!(
        req.url,
        format!("https://api.telegram.org/bot{TELEGRAM_TOKEN}/sendMessage")
    );
    let body: Value = serde_json::from_str(&req.body).unwrap();
    assert_eq!(body["chat_id"], "-1001234567890");
    assert_eq!(body["parse_mode"], "HTML");
    // Opsgenie: create with alias = incident id, close by alias.
    let create = render(&opsgenie, down, 1).unwrap();
    assert_eq!(create.url, "https://api.eu.opsgenie.com/v2/alerts");
    assert_eq!(
        create.headers,
        [(
            "authorization".to_string(),
            format!("GenieKey {OPSGENIE_KEY}")
        )]
    );
    let body: Value = serde_json::from_str(&create.body).unwrap();
    assert_eq!(body["alias"], down.incident_id.clone().unwrap().as_str());
    assert_eq!(body["priority"], "P1");
    let close = render(&opsgenie, resolved, 1).unwrap();
    assert_eq!(
        close.url,
        format!(
            "https://api.eu.opsgenie.com/v2/alerts/{}/close?identifierType=alias",
            down.incident_id.clone().unwrap()
        )
    );
    // The US default when the URL is left empty.
    let us = Target {
        url: "",
        ..opsgenie
    };
    assert_eq!(
        render(&us, down, 1).unwrap().url,
        "https://api.opsgenie.com/v2/alerts"
    );
    // ntfy: JSON publish to the server root, the topic in the body.
    let req = render(&ntfy, down, 1).unwrap();
    assert_eq!(req.url, "https://ntfy.sh/");
    let body: Value = serde_json::from_str(&req.body).unwrap();
    assert_eq!(body["topic"], "shop-alerts");
    assert_eq!(body["priority"], 5);
    assert_eq!(body["click"], "https://probe.example.com/status/shop");
    // Missing credentials are configuration errors, named.
    assert_eq!(
        render(
            &Target {
                secret: None,
                ..telegram
            },
            down,
            1
        ),
        Err(BuildError::Missing("bot token"))
    );
    assert_eq!(
        render(
            &Target {
                chat_id: None,
                ..telegram
            },
            down,
            1
        ),
        Err(BuildError::Missing("chat id"))
    );
    assert_eq!(
        render(
            &Target {
                secret: None,
                ..opsgenie
            },
            down,
            1
        ),
        Err(BuildError::Missing("api key"))
    );
    assert!(render(
        &Target {
            secret: None,
            ..ntfy
        },
        down,
        1
    )
    .unwrap()
    .headers
    .is_empty());
}

#[test]
fn every_human_format_links_the_monitor_page_first_and_the_api_only_as_a_secondary_field() {
    let down = &outage_alerts()[0];
    let page = "https://probe.example.com/status/shop";
    let api = "https://probe.example.com/api/v1/monitors/mon_shop";
    let slack: Value = serde_json::from_str(&slack_body(down, None)).unwrap();
    let context = slack["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["type"] == "context")
        .unwrap()["elements"][0]["text"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        context.starts_with(&format!("*<{page}|Open the monitor page>*")),
        "{context}"
    );
    assert!(context.ends_with(&format!("API: `{api}`")), "{context}");
    assert!(
        !context.contains(&format!("<{api}")),
        "the API is not a link: {context}"
    );
    let discord: Value = serde_json::from_str(&discord_body(down, None)).unwrap();
    assert_eq!(discord["embeds"][0]["url"], page);
    let pd: Value = serde_json::from_str(&pagerduty_body(down, ROUTING_KEY)).unwrap();
    assert_eq!(pd["client_url"], page);
    assert_eq!(pd["links"][0]["href"], page);
}

#[test]
fn alerts_say_how_long_and_where_in_words_and_time_in_the_readers_zone() {
    let alerts = outage_alerts();
    let (down, resolved) = (&alerts[0], &alerts[1]);
    // Down at 10 s after the first failing round, in 2 of the monitor's regions.
    assert_eq!(down.regions_total, 3);
    assert_eq!(headline_facts(down), "Down for 10 s · 2 of 3 regions");
    assert_eq!(
        headline_facts(resolved),
        "Was down for 2 min · healthy in 3 of 3 regions"
    );
    let secs = down.first_seen_at.unwrap() / 1000;
    let slack = slack_body(down, None);
    assert!(
        slack.contains(&format!(
            "first seen <!date^{secs}^{{date_short_pretty}} at {{time}}|"
        )),
        "{slack}"
    );
    let discord = discord_body(down, None);
    assert!(discord.contains(&format!("<t:{secs}:R>")), "{discord}");
    for (ms, words) in [
        (45_000, "45 s"),
        (12 * 60_000, "12 min"),
        (65 * 60_000, "1 h 5 min"),
        (2 * 3_600_000, "2 h"),
        (51 * 3_600_000, "2 d 3 h"),
        (-5, "0 s"),
    ] {
        assert_eq!(duration_words(ms), words, "{ms}");
    }
}

#[test]
fn chat_texts_carry_plain_words_and_keep_runtime_errors_as_evidence_only() {
    let mut down = outage_alerts().remove(0);
    let raw = "TypeError: Network connection lost (internal ref 0xdeadbeef)";
    down.regions[0].edge_failure = Some(format!("other: {raw}"));
    down.regions[0].edge_status = None;
    down.regions[0].edge_summary = Some("could not connect to the site".into());
    let webhook = build(ChannelKind::Webhook, Some(SECRET), &down, 1)
        .unwrap()
        .body;
    assert!(webhook.contains(raw), "the evidence keeps the raw text");
    for (name, body) in [
        ("slack", slack_body(&down, None)),
        ("discord", discord_body(&down, None)),
        (
            "teams",
            build(ChannelKind::Teams, None, &down, 1).unwrap().body,
        ),
        (
            "ntfy",
            build(ChannelKind::Ntfy, None, &down, 1).unwrap().body,
        ),
        (
            "telegram",
            render(&newer_targets()[1].1, &down, 1).unwrap().body,
        ),
    ] {
        assert!(!body.contains("0xdeadbeef"), "{name}: {body}");
        assert!(
            body.contains("could not connect to the site"),
            "{name}: {body}"
        );
    }
}

#[test]
fn mentions_ping_only_on_alerts_that_ask_for_action() {
    let alerts = outage_alerts();
    let (down, resolved) = (&alerts[0], &alerts[1]);
    let slack = slack_body(down, Some("@here"));
    assert_fixture_snapshot!("alerts", "slack_down_mention_here.json", slack, "");
    let slack: Value = serde_json::from_str(&slack).unwrap();
    assert!(slack["text"].as_str().unwrap().starts_with("<!here> "));
    let group: Value = serde_json::from_str(&slack_body(down, Some("S0614TZR7"))).unwrap();
    assert!(group["text"]
        .as_str()
        .unwrap()
        .starts_with("<!subteam^S0614TZR7> "));
    assert!(!slack_body(resolved, Some("@here")).contains("<!here>"));

    let discord = discord_body(down, Some("123456789012345678"));
    assert_fixture_snapshot!("alerts", "discord_down_mention_role.json", discord, "");
    let discord: Value = serde_json::from_str(&discord).unwrap();
    assert_eq!(discord["content"], "<@&123456789012345678>");
    assert_eq!(
        discord["allowed_mentions"],
        serde_json::json!({"parse": [], "roles": ["123456789012345678"]})
    );
    let here: Value = serde_json::from_str(&discord_body(down, Some("@here"))).unwrap();
    assert_eq!(here["content"], "@here");
    assert_eq!(
        here["allowed_mentions"],
        serde_json::json!({"parse": ["everyone"]})
    );
    let quiet: Value =
        serde_json::from_str(&discord_body(resolved, Some("123456789012345678"))).unwrap();
    assert!(quiet.get("content").is_none(), "{quiet}");
    assert_eq!(quiet["allowed_mentions"], serde_json::json!({"parse": []}));
}

#[test]
fn telegram_and_ntfy_stay_within_their_message_limits() {
    let big = oversized_alert();
    let tg: Value =
        serde_json::from_str(&render(&newer_targets()[1].1, &big, 1).unwrap().body).unwrap();
    assert!(chars(&tg["text"]) <= 4096, "{}", chars(&tg["text"]));
    // The HTML stays well-formed: every tag opened is closed.
    let text = tg["text"].as_str().unwrap();
    for tag in ["b", "code", "a"] {
        assert_eq!(
            text.matches(&format!("<{tag}")).count(),
            text.matches(&format!("</{tag}>")).count(),
            "<{tag}>"
        );
    }
    let ntfy: Value =
        serde_json::from_str(&build(ChannelKind::Ntfy, None, &big, 1).unwrap().body).unwrap();
    assert!(ntfy["message"].as_str().unwrap().len() <= 4096);
    let og: Value =
        serde_json::from_str(&render(&newer_targets()[2].1, &big, 1).unwrap().body).unwrap();
    assert!(chars(&og["message"]) <= 130);
    assert!(chars(&og["description"]) <= 15_000);
    let teams = build(ChannelKind::Teams, None, &big, 1).unwrap().body;
    assert!(teams.len() <= 28 * 1024, "{}", teams.len());
}

/// A rotation's grace period: the webhook carries both signatures in one header, so a receiver
/// holding either secret verifies, and one holding neither does not. After the grace period
/// (`Channel::previous_secret_at`) only the new secret signs.
#[test]
fn rotated_webhook_is_signed_with_old_and_new_secret_during_grace() {
    use edgeprobe_core::alerting::build_rotating;
    use edgeprobe_core::monitor::{Channel, PreviousSecret};
    const NEW: &str = "whsec_bmV3LXNlY3JldC1ieXRlcy0wMTIzNDU2Nzg5YWJjZGVm";
    const OTHER: &str = "whsec_b3RoZXItc2VjcmV0LWJ5dGVzLTAxMjM0NTY3ODlhYmM=";
    let down = &outage_alerts()[0];
    let channel = Channel {
        id: "ch_1".into(),
        name: "Ops".into(),
        kind: ChannelKind::Webhook,
        url: "https://hooks.example.com/in".into(),
        secret: Some(NEW.into()),
        enabled: true,
        created_at: T0,
        updated_at: T0,
        mention: None,
        filter: Default::default(),
        chat_id: None,
        previous_secret: Some(PreviousSecret {
            secret: SECRET.into(),
            valid_until: T0 + 1_000,
        }),
    };
    assert_eq!(channel.previous_secret_at(T0 + 999), Some(SECRET));
    assert_eq!(channel.previous_secret_at(T0 + 1_000), None);
    let ts = 1_795_262_410;
    let req = build_rotating(
        ChannelKind::Webhook,
        channel.secret.as_deref(),
        channel.previous_secret_at(T0),
        down,
        ts,
    )
    .unwrap();
    let sig = req
        .headers
        .iter()
        .find(|(k, _)| k == "webhook-signature")
        .map(|(_, v)| v.clone())
        .unwrap();
    assert_eq!(sig.split(' ').count(), 2, "{sig}");
    for (secret, want) in [(NEW, Ok(())), (SECRET, Ok(())), (OTHER, Err(()))] {
        let got = verify(secret, &down.id, ts, &req.body, &sig, ts, 300).map_err(drop);
        assert_eq!(got, want, "{secret}");
    }
    let after = build_rotating(
        ChannelKind::Webhook,
        channel.secret.as_deref(),
        channel.previous_secret_at(T0 + 5_000),
        down,
        ts,
    )
    .unwrap();
    assert_eq!(
        after,
        build(ChannelKind::Webhook, Some(NEW), down, ts).unwrap()
    );
}
