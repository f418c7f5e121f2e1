//! Channel payloads: an [`Alert`] rendered as the exact HTTP request body (and headers) each
//! kind of channel expects.
//!
//! This module owns the formats and their limits (truncation at character boundaries). It is
//! pure and tested byte for byte against tests/fixtures/alerts/; the POST itself, the channel
//! URL and the clock belong to the platform, which passes the delivery timestamp in.

pub mod discord;
pub mod pagerduty;
pub mod slack;
pub mod webhook;

use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};
use serde_json::Value;

use crate::alerting::alert::{Alert, AlertRegion};
use crate::alerting::sign::{standard_webhooks_signature, SignError};
use crate::monitor::ChannelKind;

pub use discord::discord_body;
pub use pagerduty::pagerduty_body;
pub use slack::slack_body;
pub use webhook::webhook_body;

/// A rendered request, ready for the platform to POST to the channel's URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingRequest {
    pub body: String,
    /// Extra headers (lower-case names), in a fixed order.
    pub headers: Vec<(String, String)>,
    pub content_type: &'static str,
}

/// Why a request could not be rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BuildError {
    /// A PagerDuty channel has no routing key (configuration error).
    MissingRoutingKey,
    /// The webhook secret is malformed (configuration error).
    Sign(SignError),
}

impl std::fmt::Display for BuildError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BuildError::MissingRoutingKey => f.write_str("pagerduty channel has no routing key"),
            BuildError::Sign(e) => write!(f, "cannot sign webhook: {e}"),
        }
    }
}

impl std::error::Error for BuildError {}

/// Renders `alert` for one channel. `channel_secret` is the webhook's `whsec_` signing secret
/// (optional: without one the webhook is sent unsigned, with `webhook-id` and
/// `webhook-timestamp` only) or PagerDuty's routing key (required); Slack and Discord ignore it.
/// `timestamp_secs` is the delivery attempt's time: each retry is re-signed with a fresh
/// timestamp but keeps the same `webhook-id` (the alert's id).
pub fn build(
    kind: ChannelKind,
    channel_secret: Option<&str>,
    alert: &Alert,
    timestamp_secs: i64,
) -> Result<OutgoingRequest, BuildError> {
    build_rotating(kind, channel_secret, None, alert, timestamp_secs)
}

/// [`build`] during a secret rotation's grace period: a webhook is signed with the current
/// secret and with `previous_secret` too, both in one `webhook-signature` header separated by
/// a space (the Standard Webhooks form for rotation), so a receiver that still has the old
/// secret and one that has the new one both verify. Other kinds ignore `previous_secret`.
pub fn build_rotating(
    kind: ChannelKind,
    channel_secret: Option<&str>,
    previous_secret: Option<&str>,
    alert: &Alert,
    timestamp_secs: i64,
) -> Result<OutgoingRequest, BuildError> {
    let json = "application/json";
    match kind {
        ChannelKind::Webhook => {
            let body = webhook_body(alert);
            let mut headers = vec![
                ("webhook-id".to_string(), alert.id.clone()),
                ("webhook-timestamp".to_string(), timestamp_secs.to_string()),
            ];
            if let Some(secret) = channel_secret {
                let mut sig = standard_webhooks_signature(secret, &alert.id, timestamp_secs, &body)
                    .map_err(BuildError::Sign)?;
                if let Some(old) = previous_secret {
                    let old = standard_webhooks_signature(old, &alert.id, timestamp_secs, &body)
                        .map_err(BuildError::Sign)?;
                    sig = format!("{sig} {old}");
                }
                headers.push(("webhook-signature".to_string(), sig));
            }
            Ok(OutgoingRequest {
                body,
                headers,
                content_type: json,
            })
        }
        ChannelKind::Slack => Ok(OutgoingRequest {
            body: slack_body(alert),
            headers: Vec::new(),
            content_type: json,
        }),
        ChannelKind::Discord => Ok(OutgoingRequest {
            body: discord_body(alert),
            headers: Vec::new(),
            content_type: json,
        }),
        ChannelKind::Pagerduty => {
            let key = channel_secret
                .filter(|k| !k.trim().is_empty())
                .ok_or(BuildError::MissingRoutingKey)?;
            Ok(OutgoingRequest {
                body: pagerduty_body(alert, key),
                headers: Vec::new(),
                content_type: json,
            })
        }
    }
}

/// At most `max` characters of `s`, ending in `…` when cut (never splits a character).
pub(crate) fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let keep = max.saturating_sub(1);
    let mut out: String = s.chars().take(keep).collect();
    if max > 0 {
        out.push('…');
    }
    out
}

/// Upper-case label for titles: `DOWN`, `RESOLVED`, ...
pub(crate) fn kind_label(alert: &Alert) -> &'static str {
    use crate::alerting::alert::AlertKind::*;
    match alert.kind {
        Down => "DOWN",
        Updated => "UPDATED",
        Reminder => "STILL DOWN",
        Resolved => "RESOLVED",
        Flapping => "FLAPPING",
        FlappingEnded => "FLAPPING ENDED",
        Test => "TEST",
    }
}

/// The edge path of one region, in plain words: `HTTP 522 in 15000 ms`, `no answer within the
/// timeout in 10000 ms`. Never the runtime's error text: that stays in the structured evidence
/// (`edge_failure`), which the webhook and PagerDuty bodies carry as data.
pub(crate) fn edge_words(r: &AlertRegion) -> String {
    let ms = r.edge_ms.map(|m| format!(" in {m} ms")).unwrap_or_default();
    match (&r.edge_status, &r.edge_summary, &r.edge_failure) {
        (Some(status), _, _) => format!("HTTP {status}{ms}"),
        (None, Some(words), _) => format!("{words}{ms}"),
        // An alert stored before plain words existed.
        (None, None, Some(_)) => format!("failed{ms}"),
        (None, None, None) => "not observed".to_string(),
    }
}

/// The origin path of one region, in plain words: `connect failed: connection refused (3 ms)`,
/// `HTTP 200 (40 ms)`. The runtime's text stays in `origin_detail`.
pub(crate) fn origin_words(r: &AlertRegion) -> String {
    let ms = r
        .origin_ms
        .map(|m| format!(" ({m} ms)"))
        .unwrap_or_default();
    match (&r.origin_failed_step, &r.origin_summary, &r.origin_detail) {
        (Some(step), Some(words), _) => format!("{step} failed: {words}{ms}"),
        (Some(step), None, _) => format!("{step} failed{ms}"),
        (None, Some(words), _) => format!("{words}{ms}"),
        (None, None, Some(detail)) => format!("{detail}{ms}"),
        (None, None, None) => "not probed".to_string(),
    }
}

/// A URL made safe inside Slack's `<url|label>` and Markdown's `[label](url)`: the characters
/// that would end the link early are percent-encoded (URLs from validated configuration
/// rarely contain them, but a monitor URL is user input).
pub(crate) fn link_target(url: &str) -> String {
    let mut out = String::with_capacity(url.len());
    for c in url.chars() {
        match c {
            ' ' => out.push_str("%20"),
            '|' => out.push_str("%7C"),
            '<' => out.push_str("%3C"),
            '>' => out.push_str("%3E"),
            '(' => out.push_str("%28"),
            ')' => out.push_str("%29"),
            c => out.push(c),
        }
    }
    out
}

/// `weur (CDG)` or `weur`.
pub(crate) fn region_title(r: &AlertRegion) -> String {
    match &r.colo {
        Some(colo) => format!("{} ({colo})", r.region),
        None => r.region.clone(),
    }
}

/// Pretty JSON with object keys sorted, whatever serde_json's `preserve_order` feature says:
/// the golden files must not change because another crate enabled a feature.
pub(crate) fn to_canonical_json(v: &Value) -> String {
    serde_json::to_string_pretty(&Sorted(v)).unwrap_or_default()
}

struct Sorted<'a>(&'a Value);

impl Serialize for Sorted<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Value::Object(map) => {
                let mut entries: Vec<(&String, &Value)> = map.iter().collect();
                entries.sort_by(|a, b| a.0.cmp(b.0));
                let mut out = s.serialize_map(Some(entries.len()))?;
                for (k, v) in entries {
                    out.serialize_entry(k, &Sorted(v))?;
                }
                out.end()
            }
            Value::Array(items) => {
                let mut out = s.serialize_seq(Some(items.len()))?;
                for v in items {
                    out.serialize_element(&Sorted(v))?;
                }
                out.end()
            }
            other => other.serialize(s),
        }
    }
}

#[cfg(test)]
mod tests;
