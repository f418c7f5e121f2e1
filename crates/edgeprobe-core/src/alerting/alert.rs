//! The alert: one message to every channel of a monitor, as data.
//!
//! This module owns the channel-neutral [`Alert`] (what happened, why, the evidence per region,
//! where to read more) and how it is built from a round's facts. The channel formats are in
//! [`super::payload`]; the decision of *when* an alert exists is in [`super::confirm`]. Nothing
//! here sends anything or reads a clock.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::diagnose::{edge_failure_plain, origin_plain};
use crate::diagnosis::{Severity, Verdict};
use crate::monitor::Monitor;
use crate::observation::{ConnectStep, EdgeFailure, EdgeOutcome, HttpStep, RegionReport, TlsStep};
use crate::time::{Millis, UnixMillis};

/// Why the alert is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// A failure was confirmed: an incident opened.
    Down,
    /// Still down, for a different reason than last announced.
    Updated,
    /// Still down; sent every `reminder_interval_ms`.
    Reminder,
    /// The incident closed after `recovery_rounds` healthy rounds.
    Resolved,
    /// Too many state changes in the flap window: incident alerts are held back from now on.
    Flapping,
    /// The monitor calmed down (no state change for a whole flap window); says whether it is up
    /// or down now. Incident alerts flow again after it.
    FlappingEnded,
    /// Sent on request to check a channel's configuration.
    Test,
    /// A certificate (one SHA-256 fingerprint, on one path) is inside the monitor's
    /// `cert_warning_days`: sent once per certificate (`alerting::certs`), not per round.
    CertExpiring,
    /// The certificate warned about is no longer presented on its path, and what is presented
    /// instead is not expiring: the warning is over.
    CertRenewed,
}

impl AlertKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertKind::Down => "down",
            AlertKind::Updated => "updated",
            AlertKind::Reminder => "reminder",
            AlertKind::Resolved => "resolved",
            AlertKind::Flapping => "flapping",
            AlertKind::FlappingEnded => "flapping_ended",
            AlertKind::Test => "test",
            AlertKind::CertExpiring => "cert_expiring",
            AlertKind::CertRenewed => "cert_renewed",
        }
    }
}

/// What one region saw, on both paths, in the round the alert is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct AlertRegion {
    pub region: String,
    /// Where the probe actually ran (colo code), when the platform said.
    pub colo: Option<String>,
    /// The status the front answered with, if it answered.
    pub edge_status: Option<u16>,
    /// How fetching the front failed (`timeout`, `dns`, `connection`, `tls`, `other`, or
    /// `unanswered` when the region never reported), with the runtime's text.
    pub edge_failure: Option<String>,
    /// Time to the front's response headers (or failure).
    pub edge_ms: Option<Millis>,
    /// The origin step that failed: `connect`, `tls` or `http`. `None` when the origin answered
    /// or is not configured.
    pub origin_failed_step: Option<String>,
    /// What the origin did: the failure's text, or `HTTP <status>`.
    pub origin_detail: Option<String>,
    /// Time spent on the origin path, all steps together.
    pub origin_ms: Option<Millis>,
    /// The edge path in plain words for people (`HTTP 522`, `could not connect to the site …`),
    /// without the runtime's text: alert texts show this; `edge_failure` keeps the raw text as
    /// evidence.
    #[serde(default)]
    pub edge_summary: Option<String>,
    /// The origin path in plain words (`connection refused`, `HTTP 200`), without the
    /// runtime's text; `origin_detail` keeps it as evidence.
    #[serde(default)]
    pub origin_summary: Option<String>,
}

/// Where people can read more. Chat and pager texts link `monitor_page` first (a page a
/// person can open in a browser); `api` is a bearer-token JSON endpoint, shown only as a
/// secondary field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct AlertLinks {
    /// The monitor's page, `/status/{slug}` (the operator view with a token; public monitors
    /// show it to everyone). Absent in alerts stored before it, and for channel tests.
    #[serde(default)]
    pub monitor_page: Option<String>,
    /// The public status page, when the monitor is public.
    pub status_page: Option<String>,
    /// The verdict's entry in docs/diagnoses.md.
    pub docs: String,
    /// The monitor in the API.
    pub api: String,
}

/// Deployment-wide URL bases, supplied by the platform (from its configuration).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Links {
    /// The worker's public origin, e.g. `https://probe.example.com` (no trailing slash needed).
    pub base_url: String,
    /// Where docs/ is browsable, e.g. `https://github.com/o/edgeprobe/blob/main/docs`.
    pub docs_base: String,
}

impl Links {
    /// The links for one monitor and verdict.
    pub fn for_monitor(&self, monitor: &Monitor, verdict: Verdict) -> AlertLinks {
        let base = self.base_url.trim_end_matches('/');
        AlertLinks {
            monitor_page: Some(format!("{base}/status/{}", monitor.slug)),
            status_page: monitor
                .public
                .then(|| format!("{base}/status/{}", monitor.slug)),
            docs: format!(
                "{}/diagnoses.md#{}",
                self.docs_base.trim_end_matches('/'),
                verdict.as_str()
            ),
            api: format!("{base}/api/v1/monitors/{}", monitor.id),
        }
    }
}

/// One alert, channel-neutral. Serialisable so a muted alert can wait in the state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Alert {
    /// The message id (Standard Webhooks `webhook-id`): derived from the dedup key, the kind
    /// and a per-incident sequence number, so it is the same on every retry of this alert and
    /// differs between alerts.
    pub id: String,
    pub kind: AlertKind,
    /// When the alert was decided (the round's `now`).
    pub at: UnixMillis,
    /// What receivers deduplicate on: the incident id, or the flapping episode's key.
    pub dedup_key: String,
    pub monitor_id: String,
    pub monitor_name: String,
    pub monitor_url: String,
    /// The incident this alert is about (`None` for flapping without an open incident, tests).
    pub incident_id: Option<String>,
    /// E.g. `up -> down`, `down -> up`, `down -> down`.
    pub state_change: String,
    pub verdict: Verdict,
    pub summary: String,
    pub checklist: Vec<String>,
    pub severity: Severity,
    pub first_seen_at: Option<UnixMillis>,
    pub confirmed_at: Option<UnixMillis>,
    pub resolved_at: Option<UnixMillis>,
    pub regions: Vec<AlertRegion>,
    /// How many regions the monitor probes (for "3 of 4 regions"); 0 in alerts stored before
    /// it and in tests.
    #[serde(default)]
    pub regions_total: u32,
    pub links: AlertLinks,
    /// The certificate a `cert_expiring` / `cert_renewed` alert is about (absent on others).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate: Option<AlertCertificate>,
}

/// The certificate of a certificate alert: which path presented it and when it ends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct AlertCertificate {
    /// `edge` (the public host's certificate) or `origin` (the direct path's).
    pub path: crate::diagnosis::PathKind,
    pub subject: String,
    pub issuer: String,
    /// Unix ms, like every time in the alert (the webhook body's documented unit).
    pub not_after: UnixMillis,
    /// Whole days from the alert to `not_after` (negative once expired).
    pub days_left: i64,
    /// SHA-256 of the certificate's DER, hex, colon-separated: the certificate's identity.
    pub sha256: String,
    /// The regions that saw it.
    pub regions: Vec<String>,
}

/// The message id for the `seq`-th alert of a dedup key (incident id or flapping key).
pub fn message_id(dedup_key: &str, kind: AlertKind, seq: u32) -> String {
    format!("msg_{dedup_key}_{}_{seq}", kind.as_str())
}

/// The per-region evidence for the regions in `affected` (in that order), taken from the
/// round's reports. Regions without a report are skipped; a region listed twice appears once.
pub fn alert_regions(reports: &[RegionReport], affected: &[String]) -> Vec<AlertRegion> {
    let mut out: Vec<AlertRegion> = Vec::new();
    for name in affected {
        if out.iter().any(|r| &r.region == name) {
            continue;
        }
        if let Some(report) = reports.iter().find(|r| r.region() == name) {
            out.push(region_evidence(report));
        }
    }
    out
}

fn region_evidence(report: &RegionReport) -> AlertRegion {
    let probe = match report {
        RegionReport::Unanswered { region, reason } => {
            return AlertRegion {
                region: region.clone(),
                colo: None,
                edge_status: None,
                edge_failure: Some(format!("unanswered: {reason}")),
                edge_ms: None,
                origin_failed_step: None,
                origin_detail: None,
                origin_ms: None,
                edge_summary: Some("the region did not answer this round".to_string()),
                origin_summary: None,
            }
        }
        RegionReport::Refused { region, reason } => {
            return AlertRegion {
                region: region.clone(),
                colo: None,
                edge_status: None,
                edge_failure: Some(format!("refused by policy: {reason}")),
                edge_ms: None,
                origin_failed_step: None,
                origin_detail: None,
                origin_ms: None,
                edge_summary: Some(
                    "not probed: the target policy refuses this monitor's stored target"
                        .to_string(),
                ),
                origin_summary: None,
            }
        }
        RegionReport::Probed(p) => p,
    };
    let (edge_status, edge_failure, edge_summary) = match &probe.edge.outcome {
        EdgeOutcome::Response(r) => (Some(r.status), None, format!("HTTP {}", r.status)),
        EdgeOutcome::Failed { failure, detail } => (
            None,
            Some(format!("{}: {detail}", edge_failure_name(*failure))),
            edge_failure_plain(*failure).to_string(),
        ),
    };
    let (origin_failed_step, origin_detail, origin_ms) = match &probe.origin {
        None => (None, None, None),
        Some(o) => {
            let (failed, detail) = origin_outcome(&o.connect, &o.tls, &o.http);
            (
                failed.map(str::to_string),
                detail,
                Some(origin_total_ms(&o.connect, &o.tls, &o.http)),
            )
        }
    };
    AlertRegion {
        region: probe.region.clone(),
        colo: probe.colo.clone(),
        edge_status,
        edge_failure,
        edge_ms: probe.edge.headers_ms,
        origin_failed_step,
        origin_detail,
        origin_ms,
        edge_summary: Some(edge_summary),
        origin_summary: probe.origin.as_ref().map(origin_plain),
    }
}

fn edge_failure_name(f: EdgeFailure) -> &'static str {
    match f {
        EdgeFailure::Timeout => "timeout",
        EdgeFailure::Dns => "dns",
        EdgeFailure::Connection => "connection",
        EdgeFailure::Tls => "tls",
        EdgeFailure::Other => "other",
    }
}

/// The first origin step that failed and what it said; or the HTTP status when all passed.
fn origin_outcome(
    connect: &ConnectStep,
    tls: &TlsStep,
    http: &HttpStep,
) -> (Option<&'static str>, Option<String>) {
    let connect_detail = match connect {
        ConnectStep::Ok { .. } => None,
        ConnectStep::Refused { detail, .. } => Some(format!("refused: {detail}")),
        ConnectStep::TimedOut { .. } => Some("timed out".to_string()),
        ConnectStep::Unreachable { detail, .. } => Some(format!("unreachable: {detail}")),
        ConnectStep::DnsFailed { detail, .. } => Some(format!("dns failed: {detail}")),
        ConnectStep::Failed { detail, .. } => Some(format!("failed: {detail}")),
    };
    if connect_detail.is_some() {
        return (Some("connect"), connect_detail);
    }
    let tls_detail = match tls {
        TlsStep::NotApplicable | TlsStep::NotAttempted | TlsStep::Ok { .. } => None,
        TlsStep::Untrusted { detail, .. } => Some(format!("untrusted certificate: {detail}")),
        TlsStep::Expired { detail, .. } => Some(format!("expired certificate: {detail}")),
        TlsStep::HostnameMismatch { detail, .. } => Some(format!("hostname mismatch: {detail}")),
        TlsStep::HandshakeFailed { detail, .. } => Some(format!("handshake failed: {detail}")),
        TlsStep::Failed { detail, .. } => Some(format!("failed: {detail}")),
    };
    if tls_detail.is_some() {
        return (Some("tls"), tls_detail);
    }
    match http {
        HttpStep::NotAttempted => (None, None),
        HttpStep::Response { response, .. } => (None, Some(format!("HTTP {}", response.status))),
        HttpStep::Failed {
            failure, detail, ..
        } => {
            let name = serde_json::to_value(failure)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            (Some("http"), Some(format!("{name}: {detail}")))
        }
    }
}

fn origin_total_ms(connect: &ConnectStep, tls: &TlsStep, http: &HttpStep) -> Millis {
    let c = match connect {
        ConnectStep::Ok { ms }
        | ConnectStep::TimedOut { ms }
        | ConnectStep::Refused { ms, .. }
        | ConnectStep::Unreachable { ms, .. }
        | ConnectStep::DnsFailed { ms, .. }
        | ConnectStep::Failed { ms, .. } => *ms,
    };
    let t = match tls {
        TlsStep::NotApplicable | TlsStep::NotAttempted => 0,
        TlsStep::Ok { ms, .. }
        | TlsStep::Untrusted { ms, .. }
        | TlsStep::Expired { ms, .. }
        | TlsStep::HostnameMismatch { ms, .. }
        | TlsStep::HandshakeFailed { ms, .. }
        | TlsStep::Failed { ms, .. } => *ms,
    };
    let h = match http {
        HttpStep::NotAttempted => 0,
        HttpStep::Response { total_ms, .. } => *total_ms,
        HttpStep::Failed { ms, .. } => *ms,
    };
    c.saturating_add(t).saturating_add(h)
}

/// A test alert for checking a channel: clearly labelled, never tied to an incident.
pub fn test_alert(monitor: &Monitor, links: &Links, now: UnixMillis) -> Alert {
    let dedup_key = format!("test_{}_{now}", monitor.id);
    Alert {
        id: message_id(&dedup_key, AlertKind::Test, 0),
        kind: AlertKind::Test,
        at: now,
        dedup_key,
        monitor_id: monitor.id.clone(),
        monitor_name: monitor.name.clone(),
        monitor_url: monitor.url.clone(),
        incident_id: None,
        state_change: "test".to_string(),
        verdict: Verdict::Healthy,
        summary: format!(
            "Test alert for {}: if you can read this, the channel works.",
            monitor.name
        ),
        checklist: Vec::new(),
        severity: Severity::Info,
        first_seen_at: None,
        confirmed_at: None,
        resolved_at: None,
        regions: Vec::new(),
        regions_total: 0,
        links: links.for_monitor(monitor, Verdict::Healthy),
        certificate: None,
    }
}

/// A test alert for checking a channel on its own, without a monitor (`POST
/// /api/v1/channels/{id}/test`): clearly labelled, never tied to an incident; `monitor_id` is
/// empty and the links point at the channel. Unique per channel and millisecond.
pub fn channel_test_alert(
    channel_id: &str,
    channel_name: &str,
    links: &Links,
    now: UnixMillis,
) -> Alert {
    let base = links.base_url.trim_end_matches('/');
    let dedup_key = format!("test_{channel_id}_{now}");
    Alert {
        id: message_id(&dedup_key, AlertKind::Test, 0),
        kind: AlertKind::Test,
        at: now,
        dedup_key,
        monitor_id: String::new(),
        monitor_name: "edgeprobe test".to_string(),
        monitor_url: base.to_string(),
        incident_id: None,
        state_change: "test".to_string(),
        verdict: Verdict::Healthy,
        summary: format!(
            "Test alert for channel {channel_name}: if you can read this, the channel works."
        ),
        checklist: Vec::new(),
        severity: Severity::Info,
        first_seen_at: None,
        confirmed_at: None,
        resolved_at: None,
        regions: Vec::new(),
        regions_total: 0,
        links: AlertLinks {
            monitor_page: None,
            status_page: None,
            docs: format!(
                "{}/diagnoses.md#{}",
                links.docs_base.trim_end_matches('/'),
                Verdict::Healthy.as_str()
            ),
            api: format!("{base}/api/v1/channels/{channel_id}"),
        },
        certificate: None,
    }
}
