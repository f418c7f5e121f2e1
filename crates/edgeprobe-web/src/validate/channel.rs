//! An alert channel's API body checked into a [`Channel`].
//!
//! Owns the per-kind rules: a webhook needs a Standard Webhooks signing secret
//! (`whsec_<base64>`, at least 24 bytes decoded) and may use http or https; Slack and Discord
//! need an https URL (http is allowed only with private targets, for local development);
//! PagerDuty needs a 32-character routing key and defaults its URL to the Events API v2.
//! Teams takes its workflow URL (no secret); Telegram a bot token as `secret` and a `chat_id`,
//! its `url` being the Bot API base (default `https://api.telegram.org`: set it only for a
//! self-hosted Bot API server, or a local receiver in tests); Opsgenie an API key as `secret`,
//! its `url` the API base (default US `https://api.opsgenie.com`, EU
//! `https://api.eu.opsgenie.com`); ntfy its topic URL and an optional access token.
//! `mention` is for Slack (`@here`, `@channel`, or a user group id `S…`) and Discord (`@here`,
//! `@everyone`, or a role id); `filter` (`kinds`, `min_severity`) for every kind, defaulting to
//! everything. `url` and `secret` are write-only: they are never echoed in errors, and a patch
//! that omits them keeps the stored values.

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use base64::Engine;
use serde_json::{json, Value};

use super::limits::*;
use super::monitor::check_url;
use super::patch::merge_patch;
use super::{reject_read_only, Errors, ValidationContext};
use crate::problem::FieldError;
use crate::views::kind_name;
use edgeprobe_core::alerting::route::{AlertClass, AlertFilter};
use edgeprobe_core::diagnosis::Severity;
use edgeprobe_core::monitor::{Channel, ChannelKind};
use edgeprobe_core::time::UnixMillis;

pub const CHANNEL_FIELDS: &[&str] = &[
    "name", "kind", "url", "secret", "enabled", "mention", "filter", "chat_id",
];
/// The members of `filter`.
pub const FILTER_FIELDS: &[&str] = &["kinds", "min_severity"];
/// Members of the channel view that a patch may not carry.
pub const CHANNEL_READ_ONLY: &[&str] =
    &["id", "created_at", "updated_at", "url_hint", "has_secret"];
/// The members a create body may set to `null` (documented nullable in `ChannelCreate`).
pub const CHANNEL_CREATE_NULLABLE: &[&str] = &["/secret", "/mention", "/chat_id", "/filter"];

pub fn validate_new_channel(
    v: &Value,
    id: String,
    ctx: &ValidationContext,
) -> Result<Channel, Vec<FieldError>> {
    let mut e = Errors::default();
    super::reject_nulls(v, "", CHANNEL_CREATE_NULLABLE, &mut e);
    let c = build(v, id, ctx.now, ctx, &mut e);
    e.finish(c)
}

/// Merge-patches onto the full stored body (including the write-only members, which the
/// caller never sees) and re-validates. To drop a secret, patch it to `null`.
pub fn apply_channel_patch(
    current: &Channel,
    patch: &Value,
    ctx: &ValidationContext,
) -> Result<Channel, Vec<FieldError>> {
    let mut e = Errors::default();
    reject_read_only(patch, CHANNEL_READ_ONLY, &mut e);
    if !patch.is_object() {
        return Err(e.0);
    }
    let mut body = json!({
        "name": current.name,
        "kind": kind_name(current.kind),
        "url": current.url,
        "secret": current.secret,
        "enabled": current.enabled,
        "mention": current.mention,
        "filter": current.filter,
        "chat_id": current.chat_id,
    });
    let mut writable = patch.clone();
    if let Value::Object(m) = &mut writable {
        m.retain(|k, _| !CHANNEL_READ_ONLY.contains(&k.as_str()));
    }
    merge_patch(&mut body, &writable);
    let mut c = build(&body, current.id.clone(), current.created_at, ctx, &mut e);
    // A rotation's grace period survives edits of other members; setting a secret by hand
    // ends it (the caller chose the secret receivers must have).
    if c.secret == current.secret {
        c.previous_secret = current.previous_secret.clone();
    }
    e.finish(c)
}

/// Whether a create body asks the server to generate the webhook's signing secret: a webhook
/// channel whose `secret` is absent or null. The generated secret is returned once, in the
/// create answer; it is never shown again.
pub fn wants_generated_secret(body: &Value) -> bool {
    body.get("kind").and_then(Value::as_str) == Some("webhook")
        && body.get("secret").is_none_or(Value::is_null)
}

/// A Standard Webhooks secret from random bytes the platform drew (`whsec_` + base64).
pub fn webhook_secret_from(random: &[u8; 32]) -> String {
    use base64::Engine as _;
    format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(random)
    )
}

fn build(
    v: &Value,
    id: String,
    created_at: UnixMillis,
    ctx: &ValidationContext,
    e: &mut Errors,
) -> Channel {
    let mut out = Channel {
        id,
        name: String::new(),
        kind: ChannelKind::Webhook,
        url: String::new(),
        secret: None,
        enabled: true,
        created_at,
        updated_at: ctx.now,
        mention: None,
        filter: AlertFilter::default(),
        chat_id: None,
        previous_secret: None,
    };
    let Some(m) = e.object(v, "", CHANNEL_FIELDS) else {
        return out;
    };
    let name = e.text(m, "", "name", NAME_MAX_CHARS);
    out.name = e.required(name, "/name").unwrap_or_default().to_string();
    out.enabled = e.boolean(m, "", "enabled").ok().flatten().unwrap_or(true);
    let kind = e.string(m, "", "kind");
    let kind = match e.required(kind, "/kind") {
        Some(name) => match ChannelKind::ALL.into_iter().find(|k| kind_name(*k) == name) {
            Some(k) => k,
            None => {
                let names: Vec<&str> = ChannelKind::ALL.into_iter().map(kind_name).collect();
                e.push("/kind", format!("must be one of: {}", names.join(", ")));
                return out;
            }
        },
        None => return out,
    };
    out.kind = kind;
    let url = match (e.string(m, "", "url"), kind) {
        (Ok(None), ChannelKind::Pagerduty) => Some(PAGERDUTY_DEFAULT_URL),
        (Ok(None), ChannelKind::Telegram) => Some(TELEGRAM_DEFAULT_URL),
        (Ok(None), ChannelKind::Opsgenie) => Some(OPSGENIE_DEFAULT_URL),
        (got, _) => e.required(got, "/url"),
    };
    let https_only = kind != ChannelKind::Webhook;
    out.url = url
        .and_then(|u| check_url(u, "/url", ctx.allow_private_targets, https_only, e))
        .unwrap_or_default();
    let secret = e.string(m, "", "secret");
    out.secret = match (kind, secret) {
        (_, Err(())) => None,
        (ChannelKind::Webhook, got) => e.required(got, "/secret").and_then(|s| {
            let ok = webhook_secret_ok(s);
            if !ok {
                e.push(
                    "/secret",
                    format!("must be a Standard Webhooks secret: whsec_ followed by base64 of at least {WEBHOOK_SECRET_MIN_BYTES} bytes"),
                );
            }
            ok.then(|| s.to_string())
        }),
        (ChannelKind::Pagerduty, got) => e.required(got, "/secret").and_then(|s| {
            let ok = s.len() == PAGERDUTY_ROUTING_KEY_CHARS && s.bytes().all(|b| b.is_ascii_alphanumeric());
            if !ok {
                e.push(
                    "/secret",
                    format!("must be a PagerDuty routing key ({PAGERDUTY_ROUTING_KEY_CHARS} letters and digits)"),
                );
            }
            ok.then(|| s.to_string())
        }),
        (ChannelKind::Telegram, got) => e.required(got, "/secret").and_then(|s| {
            let ok = telegram_token_ok(s);
            if !ok {
                e.push("/secret", "must be a Telegram bot token (<bot id>:<letters, digits, - and _>)");
            }
            ok.then(|| s.to_string())
        }),
        (ChannelKind::Opsgenie, got) => e.required(got, "/secret").and_then(|s| {
            let ok = token_ok(s, 8, 100);
            if !ok {
                e.push("/secret", "must be an Opsgenie API key (8 to 100 letters, digits and -)");
            }
            ok.then(|| s.to_string())
        }),
        (ChannelKind::Ntfy, Ok(got)) => got.and_then(|s| {
            let ok = token_ok(s, 1, 200);
            if !ok {
                e.push("/secret", "must be an ntfy access token (1 to 200 letters, digits, - and _)");
            }
            ok.then(|| s.to_string())
        }),
        (_, Ok(Some(_))) => {
            e.push(
                "/secret",
                "is not used by slack, discord or teams channels (the URL carries the token); set it to null",
            );
            None
        }
        (_, Ok(None)) => None,
    };
    out.mention = match e.string(m, "", "mention") {
        Ok(Some(s)) => check_mention(kind, s, e),
        Ok(None) | Err(()) => None,
    };
    out.chat_id = match (kind, e.string(m, "", "chat_id")) {
        (_, Err(())) => None,
        (ChannelKind::Telegram, got) => e.required(got, "/chat_id").and_then(|s| {
            let ok = telegram_chat_ok(s);
            if !ok {
                e.push("/chat_id", "must be a Telegram chat id (an integer, e.g. -1001234567890) or a public channel's @username");
            }
            ok.then(|| s.to_string())
        }),
        (_, Ok(Some(_))) => {
            e.push("/chat_id", "is only for telegram channels; leave it out or set it to null");
            None
        }
        (_, Ok(None)) => None,
    };
    if let Some(f) = super::field(m, "filter") {
        out.filter = check_filter(f, e);
    }
    out
}

/// A mention valid for the kind, or an error at `/mention`.
fn check_mention(kind: ChannelKind, s: &str, e: &mut Errors) -> Option<String> {
    let ok = match kind {
        ChannelKind::Slack => {
            matches!(s, "@here" | "@channel")
                || (s.starts_with('S')
                    && (3..=24).contains(&s.len())
                    && s.bytes()
                        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()))
        }
        ChannelKind::Discord => {
            matches!(s, "@here" | "@everyone")
                || ((17..=20).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit()))
        }
        _ => {
            e.push(
                "/mention",
                "is only for slack and discord channels; leave it out or set it to null",
            );
            return None;
        }
    };
    if !ok {
        let what = if kind == ChannelKind::Slack {
            "must be @here, @channel, or a Slack user group id (S followed by capital letters and digits, e.g. S0614TZR7)"
        } else {
            "must be @here, @everyone, or a Discord role id (17 to 20 digits)"
        };
        e.push("/mention", what);
    }
    ok.then(|| s.to_string())
}

/// The `filter` object: `kinds` (a non-empty list of distinct classes) and `min_severity`;
/// either may be left out (default: all classes, `info`).
fn check_filter(v: &Value, e: &mut Errors) -> AlertFilter {
    let mut out = AlertFilter::default();
    if v.is_null() {
        return out;
    }
    let Some(m) = e.object(v, "/filter", FILTER_FIELDS) else {
        return out;
    };
    if let Ok(Some(items)) = e.array(m, "/filter", "kinds", AlertClass::ALL.len()) {
        let names: Vec<&str> = AlertClass::ALL
            .into_iter()
            .map(AlertClass::as_str)
            .collect();
        let mut kinds = Vec::new();
        for (i, item) in items.iter().enumerate() {
            match item.as_str().and_then(AlertClass::parse) {
                Some(c) if kinds.contains(&c) => {
                    e.push(format!("/filter/kinds/{i}"), "is listed twice");
                }
                Some(c) => kinds.push(c),
                None => e.push(
                    format!("/filter/kinds/{i}"),
                    format!("must be one of: {}", names.join(", ")),
                ),
            }
        }
        if items.is_empty() {
            e.push(
                "/filter/kinds",
                "must name at least one kind (to stop all alerts, disable the channel)",
            );
        } else {
            out.kinds = kinds;
        }
    }
    match e.string(m, "/filter", "min_severity") {
        Ok(Some("info")) => out.min_severity = Severity::Info,
        Ok(Some("warning")) => out.min_severity = Severity::Warning,
        Ok(Some("critical")) => out.min_severity = Severity::Critical,
        Ok(Some(_)) => e.push(
            "/filter/min_severity",
            "must be one of: info, warning, critical",
        ),
        Ok(None) | Err(()) => {}
    }
    out
}

fn token_ok(s: &str, min: usize, max: usize) -> bool {
    (min..=max).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn telegram_token_ok(s: &str) -> bool {
    let Some((bot, key)) = s.split_once(':') else {
        return false;
    };
    (1..=20).contains(&bot.len())
        && bot.bytes().all(|b| b.is_ascii_digit())
        && token_ok(key, 20, 100)
}

fn telegram_chat_ok(s: &str) -> bool {
    let digits = s.strip_prefix('-').unwrap_or(s);
    let numeric = (1..=20).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit());
    let username = s.strip_prefix('@').is_some_and(|u| {
        (5..=32).contains(&u.len())
            && u.bytes().next().is_some_and(|b| b.is_ascii_alphabetic())
            && u.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    });
    numeric || username
}

fn webhook_secret_ok(s: &str) -> bool {
    let Some(b64) = s.strip_prefix("whsec_") else {
        return false;
    };
    let decoded = STANDARD
        .decode(b64)
        .or_else(|_| STANDARD_NO_PAD.decode(b64));
    decoded.is_ok_and(|k| k.len() >= WEBHOOK_SECRET_MIN_BYTES)
}
