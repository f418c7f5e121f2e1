//! Deliveries (one alert to one channel, with its attempts) and the 202 body of the endpoints
//! that queue work. Views show status codes and error texts only, never a channel's URL or
//! secret (the store's rows do not hold them either).

use schemars::JsonSchema;
use serde::Serialize;

use super::monitor::date_time;
use edgeprobe_core::alerting::Alert;

use super::time::Rfc3339;
use edgeprobe_core::time::format_rfc3339;

/// What a delivery row holds, as the platform read it (the view decides how it is shown).
pub struct DeliveryRow<'a> {
    pub id: &'a str,
    pub webhook_id: &'a str,
    pub channel_id: &'a str,
    /// Empty for a channel test.
    pub monitor_id: &'a str,
    pub kind: &'a str,
    pub status: &'a str,
    pub attempts: u32,
    pub created_at: i64,
    /// When the next attempt is due; `None` unless the delivery is pending.
    pub next_attempt_at: Option<i64>,
    pub delivered_at: Option<i64>,
    pub last_error: Option<&'a str>,
}

/// One alert delivery to one channel.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[schemars(rename = "Delivery", deny_unknown_fields)]
pub struct DeliveryView {
    pub id: String,
    /// The Standard Webhooks webhook-id: the same on every retry and re-drive.
    pub webhook_id: String,
    pub channel_id: String,
    /// Null for a channel test.
    pub monitor_id: Option<String>,
    /// The alert kind (down, resolved, reminder, test, ...).
    pub kind: String,
    /// pending, delivered or dead.
    pub status: String,
    pub attempts: u32,
    #[schemars(schema_with = "date_time")]
    pub created_at: String,
    /// When the next attempt is due; null unless pending.
    #[schemars(schema_with = "optional_date_time")]
    pub next_attempt_at: Option<String>,
    #[schemars(schema_with = "optional_date_time")]
    pub delivered_at: Option<String>,
    /// Status text or transport error of the last failed attempt; never the URL or secret.
    pub last_error: Option<String>,
}

fn optional_date_time(_: &mut schemars::gen::SchemaGenerator) -> schemars::schema::Schema {
    super::monitor::schema(serde_json::json!({"type": ["string", "null"], "format": "date-time"}))
}

impl DeliveryView {
    pub fn new(d: &DeliveryRow) -> DeliveryView {
        DeliveryView {
            id: d.id.to_string(),
            webhook_id: d.webhook_id.to_string(),
            channel_id: d.channel_id.to_string(),
            monitor_id: (!d.monitor_id.is_empty()).then(|| d.monitor_id.to_string()),
            kind: d.kind.to_string(),
            status: d.status.to_string(),
            attempts: d.attempts,
            created_at: format_rfc3339(d.created_at),
            next_attempt_at: d.next_attempt_at.map(format_rfc3339),
            delivered_at: d.delivered_at.map(format_rfc3339),
            last_error: d.last_error.map(str::to_string),
        }
    }
}

/// A delivery with its alert and every attempt (`GET /deliveries/{id}`).
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct DeliveryDetail {
    #[serde(flatten)]
    pub delivery: DeliveryView,
    pub alert: AlertView,
    /// Oldest first.
    pub attempt_log: Vec<AttemptView>,
}

/// The alert of a delivery as the API shows it: the channel-neutral alert (the generic
/// webhook's payload) with its times in RFC 3339 like every other response. The webhook body
/// itself keeps Unix milliseconds (its documented wire format, docs/alerting.md).
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[schemars(rename = "DeliveryAlert", deny_unknown_fields)]
pub struct AlertView {
    pub id: String,
    pub kind: edgeprobe_core::alerting::AlertKind,
    pub at: Rfc3339,
    pub dedup_key: String,
    pub monitor_id: String,
    pub monitor_name: String,
    pub monitor_url: String,
    pub incident_id: Option<String>,
    pub state_change: String,
    pub verdict: edgeprobe_core::diagnosis::Verdict,
    pub summary: String,
    pub checklist: Vec<String>,
    pub severity: edgeprobe_core::diagnosis::Severity,
    pub first_seen_at: Option<Rfc3339>,
    pub confirmed_at: Option<Rfc3339>,
    pub resolved_at: Option<Rfc3339>,
    pub regions: Vec<edgeprobe_core::alerting::AlertRegion>,
    pub regions_total: u32,
    pub links: edgeprobe_core::alerting::AlertLinks,
}

impl From<&Alert> for AlertView {
    fn from(a: &Alert) -> AlertView {
        AlertView {
            id: a.id.clone(),
            kind: a.kind,
            at: Rfc3339(a.at),
            dedup_key: a.dedup_key.clone(),
            monitor_id: a.monitor_id.clone(),
            monitor_name: a.monitor_name.clone(),
            monitor_url: a.monitor_url.clone(),
            incident_id: a.incident_id.clone(),
            state_change: a.state_change.clone(),
            verdict: a.verdict,
            summary: a.summary.clone(),
            checklist: a.checklist.clone(),
            severity: a.severity,
            first_seen_at: a.first_seen_at.map(Rfc3339),
            confirmed_at: a.confirmed_at.map(Rfc3339),
            resolved_at: a.resolved_at.map(Rfc3339),
            regions: a.regions.clone(),
            regions_total: a.regions_total,
            links: a.links.clone(),
        }
    }
}

/// One POST of a delivery.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[schemars(rename = "DeliveryAttempt", deny_unknown_fields)]
pub struct AttemptView {
    pub attempt: u32,
    #[schemars(schema_with = "date_time")]
    pub at: String,
    /// The receiver's HTTP status; null when no response came back.
    pub status_code: Option<u16>,
    /// A short description (status text or transport error): never the URL or the secret.
    pub error: Option<String>,
    pub duration_ms: i64,
}

impl AttemptView {
    pub fn new(
        attempt: u32,
        at: i64,
        status_code: Option<u16>,
        error: Option<&str>,
        duration_ms: i64,
    ) -> AttemptView {
        AttemptView {
            attempt,
            at: format_rfc3339(at),
            status_code,
            error: error.map(str::to_string),
            duration_ms,
        }
    }
}

paged_list! {
    /// Deliveries, newest first.
    DeliveryList of DeliveryView
}

/// 202: the work is queued; `id` names what was queued (a Location header points at it).
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Accepted {
    #[schemars(schema_with = "const_true")]
    pub accepted: bool,
    /// The delivery id (a channel test or a re-drive).
    pub id: String,
}

fn const_true(_: &mut schemars::gen::SchemaGenerator) -> schemars::schema::Schema {
    super::monitor::schema(serde_json::json!({"type": "boolean", "const": true}))
}

impl Accepted {
    pub fn new(id: &str) -> Accepted {
        Accepted {
            accepted: true,
            id: id.to_string(),
        }
    }
}
