//! Channel payloads: an [`Alert`] rendered as the exact HTTP request body (and headers) each
//! kind of channel expects.
//!
//! This module owns the formats and their limits (truncation at character boundaries), and
//! the request URL where a service derives it from the channel (Telegram's
//! `{base}/bot{token}/sendMessage`, Opsgenie's create and close-by-alias endpoints, ntfy's
//! server root for a JSON publish). It is pure and tested byte for byte against
//! tests/fixtures/alerts/; the POST itself and the clock belong to the platform, which passes
//! the delivery timestamp in.
//!
//! What every human-facing format shares (helpers below): the monitor's page is the first
//! link (the API URL, a bearer-token JSON endpoint, only a secondary one); how long the
//! monitor has been down ("down for 12 min"), in how many of its regions ("3 of 4 regions"),
//! first-seen time in the reader's own time zone where the service can render one (Slack
//! `<!date^…>`, Discord `<t:…>`, Adaptive Card `{{DATE()}}`), else UTC; runtime error texts
//! never appear in prose (only in the structured evidence of webhook, PagerDuty and Opsgenie
//! details). Mentions (Slack, Discord) ping only on alerts that ask for action: `Down`,
//! `Updated`, `Reminder`, `Flapping`.

pub mod discord;
pub mod ntfy;
pub mod opsgenie;
pub mod pagerduty;
pub mod slack;
pub mod teams;
pub mod telegram;
pub mod webhook;

use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};
use serde_json::Value;

use crate::alerting::alert::{Alert, AlertKind, AlertRegion};
use crate::alerting::sign::{standard_webhooks_signature, SignError};
use crate::monitor::{Channel, ChannelKind};
use crate::time::{format_rfc3339, UnixMillis, DAY, HOUR, MINUTE, SECOND};

pub use discord::discord_body;
pub use ntfy::ntfy_request;
pub use opsgenie::opsgenie_request;
pub use pagerduty::pagerduty_body;
pub use slack::slack_body;
pub use teams::teams_body;
pub use telegram::telegram_body;
pub use webhook::webhook_body;

/// A rendered request, ready for the platform to POST.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingRequest {
    /// Where to POST: the channel's URL, or derived from it (see the module docs). May carry
    /// the channel's secret (Telegram's token): never log it.
    pub url: String,
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
    /// A Telegram or Opsgenie channel lacks its token / API key, or Telegram its chat id
    /// (configuration error); names what is missing.
    Missing(&'static str),
    /// The webhook secret is malformed (configuration error).
    Sign(SignError),
}

impl std::fmt::Display for BuildError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BuildError::MissingRoutingKey => f.write_str("pagerduty channel has no routing key"),
            BuildError::Missing(what) => write!(f, "channel has no {what}"),
            BuildError::Sign(e) => write!(f, "cannot sign webhook: {e}"),
        }
    }
}

impl std::error::Error for BuildError {}

/// Everything about a channel that shapes its request.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    pub kind: ChannelKind,
    pub url: &'a str,
    /// The webhook's `whsec_` signing secret (optional: without one the webhook is sent
    /// unsigned, with `webhook-id` and `webhook-timestamp` only), PagerDuty's routing key,
    /// Telegram's bot token, Opsgenie's API key (all three required), ntfy's access token
    /// (optional); Slack, Discord and Teams carry theirs in the URL.
    pub secret: Option<&'a str>,
    /// A webhook secret replaced by a rotation and still within its grace period (the caller
    /// checks the time): deliveries are signed with it too.
    pub previous_secret: Option<&'a str>,
    /// Slack / Discord mention, as validated by the API.
    pub mention: Option<&'a str>,
    /// Telegram's chat.
    pub chat_id: Option<&'a str>,
}

impl<'a> From<&'a Channel> for Target<'a> {
    fn from(c: &'a Channel) -> Target<'a> {
        Target {
            kind: c.kind,
            url: &c.url,
            secret: c.secret.as_deref(),
            // Whether the rotated-out secret is still valid depends on the time: the caller
            // sets it.
            previous_secret: None,
            mention: c.mention.as_deref(),
            chat_id: c.chat_id.as_deref(),
        }
    }
}

/// Renders `alert` for one channel without mention or chat (see [`render`]); the request's
/// `url` is empty for kinds that POST to the channel URL as is.
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
    render(
        &Target {
            kind,
            url: "",
            secret: channel_secret,
            previous_secret,
            mention: None,
            chat_id: None,
        },
        alert,
        timestamp_secs,
    )
}

/// Renders `alert` for one channel. `timestamp_secs` is the delivery attempt's time: each
/// retry of a webhook is re-signed with a fresh timestamp but keeps the same `webhook-id`
/// (the alert's id).
pub fn render(
    t: &Target<'_>,
    alert: &Alert,
    timestamp_secs: i64,
) -> Result<OutgoingRequest, BuildError> {
    let json = "application/json";
    let plain = |body: String| OutgoingRequest {
        url: t.url.to_string(),
        body,
        headers: Vec::new(),
        content_type: json,
    };
    let secret = t.secret.filter(|k| !k.trim().is_empty());
    match t.kind {
        ChannelKind::Webhook => {
            let body = webhook_body(alert);
            let mut headers = vec![
                ("webhook-id".to_string(), alert.id.clone()),
                ("webhook-timestamp".to_string(), timestamp_secs.to_string()),
            ];
            if let Some(secret) = t.secret {
                let mut sig = standard_webhooks_signature(secret, &alert.id, timestamp_secs, &body)
                    .map_err(BuildError::Sign)?;
                if let Some(old) = t.previous_secret {
                    let old = standard_webhooks_signature(old, &alert.id, timestamp_secs, &body)
                        .map_err(BuildError::Sign)?;
                    sig = format!("{sig} {old}");
                }
                headers.push(("webhook-signature".to_string(), sig));
            }
            Ok(OutgoingRequest {
                headers,
                ..plain(body)
            })
        }
        ChannelKind::Slack => Ok(plain(slack_body(alert, t.mention))),
        ChannelKind::Discord => Ok(plain(discord_body(alert, t.mention))),
        ChannelKind::Pagerduty => {
            let key = secret.ok_or(BuildError::MissingRoutingKey)?;
            Ok(plain(pagerduty_body(alert, key)))
        }
        ChannelKind::Teams => Ok(plain(teams::teams_body(alert))),
        ChannelKind::Telegram => {
            let token = secret.ok_or(BuildError::Missing("bot token"))?;
            let chat = t
                .chat_id
                .filter(|c| !c.is_empty())
                .ok_or(BuildError::Missing("chat id"))?;
            Ok(OutgoingRequest {
                url: telegram::send_message_url(t.url, token),
                ..plain(telegram::telegram_body(alert, chat))
            })
        }
        ChannelKind::Opsgenie => {
            let key = secret.ok_or(BuildError::Missing("api key"))?;
            let (url, body) = opsgenie::opsgenie_request(t.url, alert);
            Ok(OutgoingRequest {
                url,
                headers: vec![("authorization".to_string(), format!("GenieKey {key}"))],
                ..plain(body)
            })
        }
        ChannelKind::Ntfy => {
            let (url, body) = ntfy::ntfy_request(t.url, alert);
            let headers = secret
                .map(|tok| vec![("authorization".to_string(), format!("Bearer {tok}"))])
                .unwrap_or_default();
            Ok(OutgoingRequest {
                url,
                headers,
                ..plain(body)
            })
        }
    }
}

/// The link a person should open first: the monitor's page (or, in alerts stored before it,
/// the public status page). `None` for channel tests.
pub(crate) fn primary_link(a: &Alert) -> Option<&str> {
    a.links
        .monitor_page
        .as_deref()
        .or(a.links.status_page.as_deref())
}

/// Whether this alert asks for action, so a configured mention pings.
pub(crate) fn mentions(a: &Alert) -> bool {
    matches!(
        a.kind,
        AlertKind::Down | AlertKind::Updated | AlertKind::Reminder | AlertKind::Flapping
    )
}

/// A duration in words people read at a glance: `45 s`, `12 min`, `1 h 5 min`, `2 d 3 h`.
pub fn duration_words(ms: i64) -> String {
    let ms = ms.max(0);
    if ms < MINUTE {
        return format!("{} s", ms / SECOND);
    }
    if ms < HOUR {
        return format!("{} min", ms / MINUTE);
    }
    if ms < DAY {
        let (h, m) = (ms / HOUR, (ms % HOUR) / MINUTE);
        return if m == 0 {
            format!("{h} h")
        } else {
            format!("{h} h {m} min")
        };
    }
    let (d, h) = (ms / DAY, (ms % DAY) / HOUR);
    if h == 0 {
        format!("{d} d")
    } else {
        format!("{d} d {h} h")
    }
}

/// The headline facts: `Down for 12 min · 3 of 4 regions` (incident alerts),
/// `Was down for 1 h 5 min · healthy in 4 of 4 regions` (resolved). Empty for other kinds.
pub fn headline_facts(a: &Alert) -> String {
    let mut out: Vec<String> = Vec::new();
    let regions = |what: &str| {
        (a.regions_total > 0 && !a.regions.is_empty()).then(|| {
            format!(
                "{what}{} of {} region{}",
                a.regions.len(),
                a.regions_total,
                if a.regions_total == 1 { "" } else { "s" }
            )
        })
    };
    match a.kind {
        AlertKind::Down | AlertKind::Updated | AlertKind::Reminder => {
            if let Some(first) = a.first_seen_at {
                out.push(format!("Down for {}", duration_words(a.at - first)));
            }
            out.extend(regions(""));
        }
        AlertKind::Resolved => {
            if let Some(first) = a.first_seen_at {
                let end = a.resolved_at.unwrap_or(a.at);
                out.push(format!("Was down for {}", duration_words(end - first)));
            }
            out.extend(regions("healthy in "));
        }
        AlertKind::CertExpiring | AlertKind::CertRenewed => {
            if let Some(c) = &a.certificate {
                out.push(format!(
                    "{} certificate · {} day{} left · notAfter {}",
                    c.path.as_str(),
                    c.days_left,
                    if c.days_left == 1 { "" } else { "s" },
                    utc_minutes(c.not_after)
                ));
            }
        }
        AlertKind::Flapping | AlertKind::FlappingEnded | AlertKind::Test => {}
    }
    out.join(" · ")
}

/// `2026-11-30 20:08 UTC`: for formats that cannot show a time in the reader's zone.
pub fn utc_minutes(t: UnixMillis) -> String {
    let full = format_rfc3339(t);
    format!(
        "{} {} UTC",
        full.get(..10).unwrap_or_default(),
        full.get(11..16).unwrap_or_default()
    )
}

/// Unix seconds of a millisecond time.
pub(crate) fn unix_secs(t: UnixMillis) -> i64 {
    t.div_euclid(1000)
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
        CertExpiring => "CERTIFICATE EXPIRING",
        CertRenewed => "CERTIFICATE RENEWED",
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
