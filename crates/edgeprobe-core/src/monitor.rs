//! Checked configuration: a monitor and an alert channel as the rest of the core sees them.
//!
//! These types are valid by construction: the API's raw input is parsed and validated into
//! them by `core::validate` (which reports every invalid field at once). Storage round-trips
//! them as JSON. Nothing here does I/O.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use crate::alerting::route::AlertFilter;
use crate::time::{Millis, UnixMillis};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Scheme {
    Http,
    Https,
}

impl Scheme {
    pub fn default_port(self) -> u16 {
        match self {
            Scheme::Http => 80,
            Scheme::Https => 443,
        }
    }
}

/// Where the origin is, probed directly (bypassing the CDN).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct OriginTarget {
    /// Host name or IP literal (IPv6 without brackets).
    pub host: String,
    pub port: u16,
    pub scheme: Scheme,
    /// How the direct path's own TLS client checks this origin (https only). Monitors stored
    /// before it existed read as the default.
    #[serde(default, skip_serializing_if = "OriginTls::is_default")]
    pub tls: OriginTls,
}

/// Per-monitor trust and naming for the origin's TLS (`core::tls`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct OriginTls {
    /// Extra trust anchors (PEM certificates), e.g. a private CA the origin's certificate
    /// comes from. Added to Mozilla's roots for this monitor's own TLS client only (the
    /// direct path, and the public host where the front is reachable by a socket).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra_trust_anchors_pem: Option<String>,
    /// Also trust Cloudflare's Origin CA roots, RSA and ECC (origins behind Cloudflare in "Full
    /// (strict)").
    #[serde(default)]
    pub trust_cloudflare_origin_ca: bool,
    /// The name sent as SNI and checked against the certificate, instead of the origin host
    /// (e.g. the public host name when the origin is given as an IP address).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sni: Option<String>,
}

impl OriginTls {
    pub fn is_default(&self) -> bool {
        *self == OriginTls::default()
    }
}

/// When a failure becomes an alert, and when an incident ends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ConfirmationPolicy {
    /// A round counts as failing when at least this many regions see the failure.
    pub regions_to_agree: u32,
    /// Delay before the immediate re-check that must agree before alerting (ms).
    pub recheck_delay_ms: Millis,
    /// Healthy rounds needed before an incident is closed.
    pub recovery_rounds: u32,
    /// While down, a reminder is sent this often (ms); 0 = never.
    pub reminder_interval_ms: u64,
    /// More than this many incidents (confirmed outages, each with its recovery) within
    /// `flap_window_ms` is flapping; 0 turns flap detection off (see `core::alerting::confirm`).
    pub flap_threshold: u32,
    pub flap_window_ms: u64,
    /// While flapping, an incident's Down alert is held back until it has failed this many
    /// rounds (the confirming round included); a sustained outage is always paged. Rows stored
    /// before this field existed read as the default.
    #[serde(default = "default_sustained_down_rounds")]
    pub sustained_down_rounds: u32,
}

fn default_sustained_down_rounds() -> u32 {
    3
}

impl Default for ConfirmationPolicy {
    fn default() -> Self {
        ConfirmationPolicy {
            regions_to_agree: 2,
            recheck_delay_ms: 10_000,
            recovery_rounds: 2,
            reminder_interval_ms: 60 * 60 * 1000,
            flap_threshold: 3,
            flap_window_ms: 60 * 60 * 1000,
            sustained_down_rounds: default_sustained_down_rounds(),
        }
    }
}

/// A period during which alerts are muted (rounds are still recorded).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct MaintenanceWindow {
    pub starts_at: UnixMillis,
    pub ends_at: UnixMillis,
    pub reason: Option<String>,
}

impl MaintenanceWindow {
    pub fn contains(&self, now: UnixMillis) -> bool {
        self.starts_at <= now && now < self.ends_at
    }
}

/// What the front must answer to count as healthy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Expectations {
    /// Accepted status codes, as inclusive ranges (default: 200..=399).
    pub statuses: Vec<(u16, u16)>,
    /// A string the body must contain (searched in the first `body_cap` bytes).
    pub keyword: Option<String>,
    /// Warn when a certificate expires within this many days.
    pub cert_warning_days: u32,
    /// A latency this many times the monitor's own baseline is degraded.
    pub latency_factor: u32,
}

impl Default for Expectations {
    fn default() -> Self {
        Expectations {
            statuses: vec![(200, 399)],
            keyword: None,
            cert_warning_days: 14,
            latency_factor: 3,
        }
    }
}

impl Expectations {
    pub fn status_ok(&self, status: u16) -> bool {
        self.statuses
            .iter()
            .any(|&(lo, hi)| lo <= status && status <= hi)
    }
}

/// How much of a failing monitor's diagnosis visitors of its public page see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PublicDetail {
    /// Customer words only; the diagnosis, checklist and evidence are for operators (the page
    /// with the API token).
    #[default]
    Summary,
    /// Visitors see what operators see.
    Full,
}

impl PublicDetail {
    pub fn as_str(self) -> &'static str {
        match self {
            PublicDetail::Summary => "summary",
            PublicDetail::Full => "full",
        }
    }
}

/// A monitor, checked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Monitor {
    /// Opaque id assigned at creation (`mon_` + random).
    pub id: String,
    pub name: String,
    /// The public URL, through the CDN front.
    pub url: String,
    pub origin: Option<OriginTarget>,
    /// HTTP method for both paths (GET or HEAD).
    pub method: String,
    /// Extra request headers sent on both paths (lower-case names).
    pub headers: BTreeMap<String, String>,
    pub expect: Expectations,
    /// Interval between scheduled rounds (ms, >= 30 000).
    pub interval_ms: u64,
    /// Per-probe timeout (ms).
    pub timeout_ms: Millis,
    /// Location hints to probe from (wnam, enam, sam, weur, eeur, apac, oc, afr, me).
    pub regions: Vec<String>,
    pub confirmation: ConfirmationPolicy,
    /// Alert channel ids.
    pub channels: Vec<String>,
    pub public: bool,
    /// What visitors of the public page see of a failure (stored before it existed: summary).
    #[serde(default)]
    pub public_detail: PublicDetail,
    /// URL-safe, unique; used by /status/{slug} and /badge/{slug}.svg.
    pub slug: String,
    pub maintenance: Vec<MaintenanceWindow>,
    pub tags: Vec<String>,
    pub paused: bool,
    pub created_at: UnixMillis,
    pub updated_at: UnixMillis,
}

impl Monitor {
    /// The Host header both paths send: the front URL's host (and port if not default).
    pub fn host_header(&self) -> String {
        match url::Url::parse(&self.url) {
            Ok(u) => match (u.host_str(), u.port()) {
                (Some(h), Some(p)) => format!("{h}:{p}"),
                (Some(h), None) => h.to_string(),
                _ => String::new(),
            },
            Err(_) => String::new(),
        }
    }

    pub fn in_maintenance(&self, now: UnixMillis) -> bool {
        self.maintenance.iter().any(|w| w.contains(now))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChannelKind {
    /// Generic JSON, signed per Standard Webhooks.
    Webhook,
    Slack,
    Discord,
    Pagerduty,
    /// A Microsoft Teams workflow webhook ("Post to a channel when a webhook request is
    /// received"), sent an Adaptive Card.
    Teams,
    /// The Telegram Bot API `sendMessage`; `secret` is the bot token, `url` the API base.
    Telegram,
    /// The Opsgenie Alerts API (create, close by alias); `secret` is the API key, `url` the API
    /// base (US or EU).
    Opsgenie,
    /// An ntfy topic URL (JSON publish to its server); `secret` an optional access token.
    Ntfy,
}

impl ChannelKind {
    pub const ALL: [ChannelKind; 8] = [
        ChannelKind::Webhook,
        ChannelKind::Slack,
        ChannelKind::Discord,
        ChannelKind::Pagerduty,
        ChannelKind::Teams,
        ChannelKind::Telegram,
        ChannelKind::Opsgenie,
        ChannelKind::Ntfy,
    ];
}

/// An alert destination. `secret` holds write-only material (signing key, PagerDuty routing
/// key); `url` may embed a token (Slack/Discord) and is write-only too. Neither is ever
/// returned by the API or logged: use [`Channel::redacted`] for output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Channel {
    pub id: String,
    pub name: String,
    pub kind: ChannelKind,
    pub url: String,
    pub secret: Option<String>,
    pub enabled: bool,
    pub created_at: UnixMillis,
    pub updated_at: UnixMillis,
    /// Who to notify in the message (Slack `@here`/`@channel`/user group, Discord role or
    /// `@here`/`@everyone`), checked per kind by the API. Absent in rows written before it.
    #[serde(default)]
    pub mention: Option<String>,
    /// Which alerts this channel takes (default: all). Absent in rows written before it.
    #[serde(default)]
    pub filter: AlertFilter,
    /// Telegram's chat (numeric id or `@channelname`); only Telegram channels have one.
    #[serde(default)]
    pub chat_id: Option<String>,
    /// A webhook secret replaced by a rotation, still signed with until `valid_until` so
    /// receivers can switch over (Standard Webhooks' multiple-signature form). Absent in
    /// channels stored before rotation existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_secret: Option<PreviousSecret>,
}

/// The secret a rotation replaced, and until when deliveries are also signed with it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PreviousSecret {
    pub secret: String,
    pub valid_until: UnixMillis,
}

/// What the API shows of a channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ChannelView {
    pub id: String,
    pub name: String,
    pub kind: ChannelKind,
    /// Scheme and host only, e.g. `https://hooks.slack.com/…`.
    pub url_hint: String,
    pub has_secret: bool,
    pub enabled: bool,
    pub created_at: UnixMillis,
    pub updated_at: UnixMillis,
    pub mention: Option<String>,
    pub filter: AlertFilter,
    pub chat_id: Option<String>,
}

impl Channel {
    /// The replaced secret deliveries at `now` are also signed with: only during its grace
    /// period, and only while the channel still has a secret of its own.
    pub fn previous_secret_at(&self, now: UnixMillis) -> Option<&str> {
        self.previous_secret
            .as_ref()
            .filter(|p| now < p.valid_until && self.secret.is_some())
            .map(|p| p.secret.as_str())
    }

    pub fn redacted(&self) -> ChannelView {
        let url_hint = match url::Url::parse(&self.url) {
            Ok(u) => format!("{}://{}/…", u.scheme(), u.host_str().unwrap_or("")),
            Err(_) => "…".to_string(),
        };
        ChannelView {
            id: self.id.clone(),
            name: self.name.clone(),
            kind: self.kind,
            url_hint,
            has_secret: self.secret.is_some(),
            enabled: self.enabled,
            created_at: self.created_at,
            updated_at: self.updated_at,
            mention: self.mention.clone(),
            filter: self.filter.clone(),
            chat_id: self.chat_id.clone(),
        }
    }
}
