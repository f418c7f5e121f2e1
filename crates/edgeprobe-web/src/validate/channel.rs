//! An alert channel's API body checked into a [`Channel`].
//!
//! Owns the per-kind rules: a webhook needs a Standard Webhooks signing secret
//! (`whsec_<base64>`, at least 24 bytes decoded) and may use http or https; Slack and Discord
//! need an https URL (http is allowed only with private targets, for local development);
//! PagerDuty needs a 32-character routing key and defaults its URL to the Events API v2.
//! `url` and `secret` are write-only: they are never echoed in errors, and a patch that omits
//! them keeps the stored values.

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use base64::Engine;
use serde_json::{json, Value};

use super::limits::*;
use super::monitor::check_url;
use super::patch::merge_patch;
use super::{reject_read_only, Errors, ValidationContext};
use crate::problem::FieldError;
use crate::views::kind_name;
use edgeprobe_core::monitor::{Channel, ChannelKind};
use edgeprobe_core::time::UnixMillis;

pub const CHANNEL_FIELDS: &[&str] = &["name", "kind", "url", "secret", "enabled"];
/// Members of the channel view that a patch may not carry.
pub const CHANNEL_READ_ONLY: &[&str] =
    &["id", "created_at", "updated_at", "url_hint", "has_secret"];
/// The members a create body may set to `null` (documented nullable in `ChannelCreate`).
pub const CHANNEL_CREATE_NULLABLE: &[&str] = &["/secret"];

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
        Some("webhook") => ChannelKind::Webhook,
        Some("slack") => ChannelKind::Slack,
        Some("discord") => ChannelKind::Discord,
        Some("pagerduty") => ChannelKind::Pagerduty,
        Some(_) => {
            e.push(
                "/kind",
                "must be one of: webhook, slack, discord, pagerduty",
            );
            return out;
        }
        None => return out,
    };
    out.kind = kind;
    let url = match (e.string(m, "", "url"), kind) {
        (Ok(None), ChannelKind::Pagerduty) => Some(PAGERDUTY_DEFAULT_URL),
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
        (_, Ok(Some(_))) => {
            e.push(
                "/secret",
                "is not used by slack or discord channels (the URL carries the token); set it to null",
            );
            None
        }
        (_, Ok(None)) => None,
    };
    out
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
