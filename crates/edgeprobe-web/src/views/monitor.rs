//! A monitor as the API shows it: exactly the create body with every default filled in, plus
//! `id`, `created_at` and `updated_at`, so a GET body sent back as a PATCH changes nothing.
//! Durations are in the API's units (seconds, minutes), times are RFC 3339.
//!
//! The schema fragments here that a derive cannot express (refused ports, header names, status
//! ranges) are built from the validator's own constants, so the document states its rules.

use std::collections::BTreeMap;

use schemars::gen::SchemaGenerator;
use schemars::schema::Schema;
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::json;

use super::time::Rfc3339;
use crate::validate::limits::*;
use crate::validate::text::HOP_BY_HOP_HEADERS;
use edgeprobe_core::diagnosis::Verdict;
use edgeprobe_core::monitor::{Monitor, OriginTls, PublicDetail, Scheme};
use edgeprobe_core::status::{CurrentStatus, Health};
use edgeprobe_core::target::REFUSED_PORTS;
use edgeprobe_core::time::{format_rfc3339, MINUTE, SECOND};

/// The location hints a monitor can name (each deployment enables a subset).
pub const LOCATION_HINTS: [&str; 9] = [
    "wnam", "enam", "sam", "weur", "eeur", "apac", "oc", "afr", "me",
];

/// The create shape with every default filled in, plus id and times; a GET body without id/created_at/updated_at PATCHes back unchanged.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[schemars(rename = "Monitor", deny_unknown_fields)]
pub struct MonitorView {
    pub id: String,
    /// Display text: no control characters, line breaks or bidirectional override/isolate characters (U+202A-U+202E, U+2066-U+2069), and not only whitespace or zero-width characters.
    #[schemars(length(min = 1, max = "NAME_MAX_CHARS"))]
    pub name: String,
    /// Absolute http(s) URL through the CDN; no credentials, no fragment; the host must be public and an explicit port must not be one of a non-HTTP service (see docs/security.md).
    #[schemars(url, length(max = "URL_MAX_CHARS"))]
    pub url: String,
    /// The origin, probed directly. null: edge path only.
    pub origin: Option<OriginView>,
    #[schemars(schema_with = "method_schema")]
    pub method: String,
    /// Extra request headers, sent on both paths. Names are RFC 9110 tokens; hop-by-hop and framing headers (connection, keep-alive, te, trailer, transfer-encoding, upgrade, content-length, expect, http2-settings, host, proxy-*) are refused. Values are visible ASCII and spaces, without leading or trailing space.
    #[schemars(schema_with = "headers_schema")]
    pub headers: BTreeMap<String, String>,
    pub expect: ExpectView,
    /// Seconds between scheduled rounds.
    #[schemars(range(min = 30, max = 86_400))]
    pub interval_seconds: u64,
    /// Per-probe timeout.
    #[schemars(range(min = 1_000, max = 30_000))]
    pub timeout_ms: u32,
    /// Location hints to probe from; must be enabled in this deployment. Default: the deployment's default set.
    #[schemars(schema_with = "regions_schema")]
    pub regions: Vec<String>,
    pub confirmation: ConfirmationView,
    /// Alert channel ids.
    #[schemars(
        length(max = "CHANNELS_MAX"),
        inner(regex(pattern = r"^ch_[A-Za-z0-9_-]{1,64}$"))
    )]
    pub channels: Vec<String>,
    /// Shown on /status and badges.
    pub public: bool,
    /// What visitors of the public page see of a failure: customer words only (summary), or the diagnosis, its checklist and the evidence per path (full). Operators always get the full view with the API token.
    pub public_detail: PublicDetail,
    /// URL-safe and unique; used by /status/{slug} and /badge/{slug}.svg. Defaults to one derived from the name.
    #[schemars(
        length(min = 1, max = "SLUG_MAX_CHARS"),
        regex(pattern = r"^[a-z0-9](-?[a-z0-9])*$")
    )]
    pub slug: String,
    #[schemars(length(max = "MAINTENANCE_MAX"))]
    pub maintenance: Vec<MaintenanceWindowView>,
    #[schemars(
        length(max = "TAGS_MAX"),
        inner(length(min = 1, max = "TAG_MAX_CHARS"))
    )]
    pub tags: Vec<String>,
    pub paused: bool,
    #[schemars(schema_with = "date_time")]
    pub created_at: String,
    #[schemars(schema_with = "date_time")]
    pub updated_at: String,
}

/// Where the origin is, probed directly (bypassing the CDN).
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[schemars(rename = "Origin", deny_unknown_fields)]
pub struct OriginView {
    /// DNS name or IP literal (IPv6 without brackets); no scheme, port or path. Loopback, private, link-local, CGNAT, unspecified and other special-purpose addresses (documentation, benchmarking, reserved, multicast, site-local, IPv4 embedded in IPv6) are refused; see docs/security.md. Names are not resolved.
    #[schemars(length(min = 1))]
    pub host: String,
    /// Default: the scheme's port. Ports of non-HTTP services are refused (25: Workers cannot connect to it; the others could read the probe as their protocol's commands); see docs/security.md.
    #[schemars(schema_with = "port_schema")]
    pub port: u16,
    pub scheme: Scheme,
    /// How the direct path's own TLS client checks this origin (https only); null when every
    /// setting is its default.
    pub tls: Option<OriginTls>,
}

/// What the front must answer to count as healthy.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[schemars(rename = "Expectations", deny_unknown_fields)]
pub struct ExpectView {
    /// Accepted status codes and inclusive ranges.
    #[schemars(schema_with = "statuses_schema")]
    pub statuses: Vec<StatusCodes>,
    /// A string the body must contain.
    #[schemars(length(min = 1, max = "KEYWORD_MAX_CHARS"))]
    pub keyword: Option<String>,
    /// Warn when a certificate expires within this many days.
    #[schemars(range(max = "CERT_WARNING_DAYS_MAX"))]
    pub cert_warning_days: u32,
    /// A latency this many times the monitor's baseline is degraded.
    #[schemars(range(min = 1, max = 100))]
    pub latency_factor: u32,
}

/// One accepted status code, or an inclusive range written `"lo-hi"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum StatusCodes {
    Code(u16),
    #[serde(serialize_with = "range_text")]
    Range(u16, u16),
}

fn range_text<S: serde::Serializer>(lo: &u16, hi: &u16, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&format_args!("{lo}-{hi}"))
}

impl From<(u16, u16)> for StatusCodes {
    fn from((lo, hi): (u16, u16)) -> StatusCodes {
        if lo == hi {
            StatusCodes::Code(lo)
        } else {
            StatusCodes::Range(lo, hi)
        }
    }
}

/// When a failure becomes an alert, and when an incident ends.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[schemars(rename = "Confirmation", deny_unknown_fields)]
pub struct ConfirmationView {
    /// A round fails when at least this many regions see the failure; at most the number of regions (default min(2, regions)).
    #[schemars(range(min = 1))]
    pub regions_to_agree: u32,
    /// Delay before the confirming re-check.
    #[schemars(range(min = 1, max = 300))]
    pub recheck_delay_seconds: u32,
    /// Healthy rounds before an incident closes.
    #[schemars(range(min = 1, max = 20))]
    pub recovery_rounds: u32,
    /// Reminder cadence while down; 0 = never.
    #[schemars(range(min = 0, max = 10_080))]
    pub reminder_interval_minutes: u64,
    /// More incidents (confirmed outages, each with its recovery) than this within the window is flapping: incidents confirmed then have their Down alert held back until they last `sustained_down_rounds` rounds. 0 turns flap detection off.
    #[schemars(range(min = 0, max = 100))]
    pub flap_threshold: u32,
    /// Flap detection window.
    #[schemars(range(min = 1, max = 1_440))]
    pub flap_window_minutes: u64,
    /// While flapping, an incident's Down alert is sent once it has failed this many rounds (the confirming round included): a sustained outage is always paged.
    #[schemars(range(min = 1, max = 20))]
    pub sustained_down_rounds: u32,
}

/// A period during which alerts are muted (rounds are still recorded).
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[schemars(rename = "MaintenanceWindow", deny_unknown_fields)]
pub struct MaintenanceWindowView {
    #[schemars(schema_with = "date_time")]
    pub starts_at: String,
    /// Must be after starts_at.
    #[schemars(schema_with = "date_time")]
    pub ends_at: String,
    #[schemars(length(min = 1, max = "REASON_MAX_CHARS"))]
    pub reason: Option<String>,
}

/// A monitor in the list: the monitor as GET shows it, plus how it is doing (from its current
/// status), so `edgeprobe status` and dashboards need one request, not one per monitor.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[schemars(rename = "MonitorListItem", deny_unknown_fields)]
pub struct MonitorListItem {
    #[serde(flatten)]
    pub monitor: MonitorView,
    /// up, degraded, down, or unknown (never probed, or nothing could be observed).
    pub health: Health,
    /// The latest round's verdict; null when never probed.
    pub verdict: Option<Verdict>,
    /// When the current status was written (the latest round); null when never probed.
    pub status_updated_at: Option<Rfc3339>,
}

impl MonitorListItem {
    pub fn new(m: &Monitor, status: Option<&CurrentStatus>) -> MonitorListItem {
        MonitorListItem {
            monitor: MonitorView::from(m),
            health: status.map_or(Health::Unknown, |s| s.health),
            verdict: status.map(|s| s.diagnosis.verdict),
            status_updated_at: status.map(|s| Rfc3339(s.updated_at)),
        }
    }
}

paged_list! {
    /// Monitors, oldest first.
    MonitorList of MonitorListItem
}

impl From<&Monitor> for MonitorView {
    fn from(m: &Monitor) -> MonitorView {
        let c = &m.confirmation;
        MonitorView {
            id: m.id.clone(),
            name: m.name.clone(),
            url: m.url.clone(),
            origin: m.origin.as_ref().map(|o| OriginView {
                host: o.host.clone(),
                port: o.port,
                scheme: o.scheme,
                tls: (!o.tls.is_default()).then(|| o.tls.clone()),
            }),
            method: m.method.clone(),
            headers: m.headers.clone(),
            expect: ExpectView {
                statuses: m
                    .expect
                    .statuses
                    .iter()
                    .copied()
                    .map(StatusCodes::from)
                    .collect(),
                keyword: m.expect.keyword.clone(),
                cert_warning_days: m.expect.cert_warning_days,
                latency_factor: m.expect.latency_factor,
            },
            interval_seconds: m.interval_ms / SECOND as u64,
            timeout_ms: m.timeout_ms,
            regions: m.regions.clone(),
            confirmation: ConfirmationView {
                regions_to_agree: c.regions_to_agree,
                recheck_delay_seconds: c.recheck_delay_ms / SECOND as u32,
                recovery_rounds: c.recovery_rounds,
                reminder_interval_minutes: c.reminder_interval_ms / MINUTE as u64,
                flap_threshold: c.flap_threshold,
                flap_window_minutes: c.flap_window_ms / MINUTE as u64,
                sustained_down_rounds: c.sustained_down_rounds,
            },
            channels: m.channels.clone(),
            public: m.public,
            public_detail: m.public_detail,
            slug: m.slug.clone(),
            maintenance: m
                .maintenance
                .iter()
                .map(|w| MaintenanceWindowView {
                    starts_at: format_rfc3339(w.starts_at),
                    ends_at: format_rfc3339(w.ends_at),
                    reason: w.reason.clone(),
                })
                .collect(),
            tags: m.tags.clone(),
            paused: m.paused,
            created_at: format_rfc3339(m.created_at),
            updated_at: format_rfc3339(m.updated_at),
        }
    }
}

/// A schema written as JSON: for the rules a derive cannot state.
pub(crate) fn schema(v: serde_json::Value) -> Schema {
    serde_json::from_value(v).unwrap_or(Schema::Bool(true))
}

/// An RFC 3339 time as the API writes it.
pub(crate) fn date_time(_: &mut SchemaGenerator) -> Schema {
    schema(json!({"type": "string", "format": "date-time"}))
}

fn method_schema(_: &mut SchemaGenerator) -> Schema {
    schema(json!({"type": "string", "enum": ["GET", "HEAD"], "default": "GET"}))
}

fn regions_schema(_: &mut SchemaGenerator) -> Schema {
    schema(json!({
        "type": "array",
        "minItems": 1,
        "uniqueItems": true,
        "items": {"type": "string", "enum": LOCATION_HINTS},
    }))
}

/// Ports 1-65535 except [`REFUSED_PORTS`] (port 0 is below the minimum).
pub(crate) fn port_schema(_: &mut SchemaGenerator) -> Schema {
    let refused: Vec<u16> = REFUSED_PORTS.iter().copied().filter(|p| *p != 0).collect();
    schema(json!({"type": "integer", "minimum": 1, "maximum": 65535, "not": {"enum": refused}}))
}

/// `name` matched without regard to ASCII case, as a regex (`te` -> `[Tt][Ee]`).
fn any_case(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphabetic() {
                format!("[{}{}]", c.to_ascii_uppercase(), c.to_ascii_lowercase())
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// Header names are RFC 9110 tokens other than [`HOP_BY_HOP_HEADERS`] and `proxy-*`; values
/// are visible ASCII and spaces without leading or trailing space.
pub(crate) fn headers_schema(_: &mut SchemaGenerator) -> Schema {
    let refused: Vec<String> = HOP_BY_HOP_HEADERS.iter().map(|h| any_case(h)).collect();
    schema(json!({
        "type": "object",
        "maxProperties": HEADERS_MAX,
        "propertyNames": {
            "pattern": "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$",
            "not": {"pattern": format!("^({})$|^{}", refused.join("|"), any_case("proxy-"))},
        },
        "additionalProperties": {"type": "string", "maxLength": HEADER_VALUE_MAX_CHARS, "pattern": "^([!-~]([ !-~]*[!-~])?)?$"},
    }))
}

pub(crate) fn statuses_schema(_: &mut SchemaGenerator) -> Schema {
    schema(json!({
        "type": "array",
        "minItems": 1,
        "maxItems": 50,
        "items": {"oneOf": [
            {"type": "integer", "minimum": 100, "maximum": 599},
            {"type": "string", "pattern": "^\\s*[1-5][0-9]{2}\\s*(-\\s*[1-5][0-9]{2}\\s*)?$", "description": "An inclusive range \"lo-hi\" (lo <= hi) or a single code."},
        ]},
    }))
}

/// The view as a JSON value: what a merge patch (`validate::apply_monitor_patch`) applies to.
pub fn monitor_view(m: &Monitor) -> serde_json::Value {
    serde_json::to_value(MonitorView::from(m)).unwrap_or(serde_json::Value::Null)
}
