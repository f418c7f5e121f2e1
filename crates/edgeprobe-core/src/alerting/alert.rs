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

/// Where people can read more.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct AlertLinks {
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
            status_page: monitor.public.then(|| format!("{base}/status/{}", monitor.slug)),
            docs: format!("{}/diagnoses.md#{}", self.docs_base.trim_end_matches('/'), verdict.as_str()),
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
    pub links: AlertLinks,
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
                edge_summary: Some("not probed: the target policy refuses this monitor's stored target".to_string()),
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
fn origin_outcome(connect: &ConnectStep, tls: &TlsStep, http: &HttpStep) -> (Option<&'static str>, Option<String>) {
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
        HttpStep::Failed { failure, detail, .. } => {
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
        summary: format!("Test alert for {}: if you can read this, the channel works.", monitor.name),
        checklist: Vec::new(),
        severity: Severity::Info,
        first_seen_at: None,
        confirmed_at: None,
        resolved_at: None,
        regions: Vec::new(),
        links: links.for_monitor(monitor, Verdict::Healthy),
    }
}

/// A test alert for checking a channel on its own, without a monitor (`POST
/// /api/v1/channels/{id}/test`): clearly labelled, never tied to an incident; `monitor_id` is
/// empty and the links point at the channel. Unique per channel and millisecond.
pub fn channel_test_alert(channel_id: &str, channel_name: &str, links: &Links, now: UnixMillis) -> Alert {
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
        summary: format!("Test alert for channel {channel_name}: if you can read this, the channel works."),
        checklist: Vec::new(),
        severity: Severity::Info,
        first_seen_at: None,
        confirmed_at: None,
        resolved_at: None,
        regions: Vec::new(),
        links: AlertLinks {
            status_page: None,
            docs: format!(
                "{}/diagnoses.md#{}",
                links.docs_base.trim_end_matches('/'),
                Verdict::Healthy.as_str()
            ),
            api: format!("{base}/api/v1/channels/{channel_id}"),
        },
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::observation::{CertificateInfo, EdgeObservation, HttpFailure, OriginObservation, RegionProbe, ResponseSummary};

    fn probe(region: &str, edge: EdgeOutcome, origin: Option<(ConnectStep, TlsStep, HttpStep)>) -> RegionReport {
        RegionReport::Probed(RegionProbe {
            region: region.into(),
            colo: None,
            started_at: 0,
            edge: EdgeObservation {
                url: "https://x.test/".into(),
                outcome: edge,
                headers_ms: Some(7),
                total_ms: None,
                certificate: CertificateInfo::NotObservable,
            },
            origin: origin.map(|(connect, tls, http)| OriginObservation {
                address: "x:443".into(),
                tls_expected: true,
                connect,
                tls,
                http,
            }),
        })
    }

    fn response(status: u16) -> ResponseSummary {
        ResponseSummary {
            status,
            headers: BTreeMap::new(),
            body_bytes: 0,
            body_truncated: false,
            body_excerpt: None,
            keyword_found: None,
            body_error: None,
        }
    }

    #[test]
    fn region_evidence_names_the_first_failing_origin_step() {
        let edge_502 = || EdgeOutcome::Response(response(502));
        let reports = vec![
            RegionReport::Unanswered {
                region: "afr".into(),
                reason: "timeout".into(),
            },
            probe(
                "enam",
                EdgeOutcome::Failed {
                    failure: EdgeFailure::Dns,
                    detail: "NXDOMAIN".into(),
                },
                None,
            ),
            probe(
                "weur",
                edge_502(),
                Some((
                    ConnectStep::Refused {
                        ms: 2,
                        detail: "ECONNREFUSED".into(),
                    },
                    TlsStep::NotAttempted,
                    HttpStep::NotAttempted,
                )),
            ),
            probe(
                "apac",
                edge_502(),
                Some((
                    ConnectStep::Ok { ms: 5 },
                    TlsStep::Expired {
                        ms: 20,
                        detail: "notAfter 2026-01-01".into(),
                    },
                    HttpStep::NotAttempted,
                )),
            ),
            probe(
                "oc",
                edge_502(),
                Some((
                    ConnectStep::Ok { ms: 5 },
                    TlsStep::Ok {
                        ms: 20,
                        certificate: CertificateInfo::NotObservable,
                    },
                    HttpStep::Failed {
                        failure: HttpFailure::EmptyReply,
                        ms: 3,
                        detail: "closed".into(),
                        bytes_received: 0,
                    },
                )),
            ),
            probe(
                "sam",
                EdgeOutcome::Response(response(200)),
                Some((
                    ConnectStep::Ok { ms: 5 },
                    TlsStep::NotApplicable,
                    HttpStep::Response {
                        response: response(200),
                        ttfb_ms: 9,
                        total_ms: 10,
                    },
                )),
            ),
        ];
        let names: Vec<String> = ["afr", "enam", "weur", "apac", "oc", "sam", "missing", "weur"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let got = alert_regions(&reports, &names);
        // (region, edge status, edge failure, failed origin step, origin detail, origin ms)
        type Row<'a> = (
            &'a str,
            Option<u16>,
            Option<&'a str>,
            Option<&'a str>,
            Option<&'a str>,
            Option<Millis>,
        );
        let want: [Row; 6] = [
            ("afr", None, Some("unanswered: timeout"), None, None, None),
            ("enam", None, Some("dns: NXDOMAIN"), None, None, None),
            ("weur", Some(502), None, Some("connect"), Some("refused: ECONNREFUSED"), Some(2)),
            (
                "apac",
                Some(502),
                None,
                Some("tls"),
                Some("expired certificate: notAfter 2026-01-01"),
                Some(25),
            ),
            ("oc", Some(502), None, Some("http"), Some("empty_reply: closed"), Some(28)),
            ("sam", Some(200), None, None, Some("HTTP 200"), Some(15)),
        ];
        assert_eq!(got.len(), want.len(), "unknown regions are skipped and duplicates dropped");
        for (r, (region, status, edge_failure, step, detail, ms)) in got.iter().zip(want) {
            assert_eq!(r.region, region);
            assert_eq!(r.edge_status, status, "{region}");
            assert_eq!(r.edge_failure.as_deref(), edge_failure, "{region}");
            assert_eq!(r.origin_failed_step.as_deref(), step, "{region}");
            assert_eq!(r.origin_detail.as_deref(), detail, "{region}");
            assert_eq!(r.origin_ms, ms, "{region}");
        }
    }

    #[test]
    fn message_ids_are_stable_and_distinct() {
        assert_eq!(message_id("inc_1", AlertKind::Down, 0), message_id("inc_1", AlertKind::Down, 0));
        let ids = [
            message_id("inc_1", AlertKind::Down, 0),
            message_id("inc_1", AlertKind::Reminder, 1),
            message_id("inc_1", AlertKind::Reminder, 2),
            message_id("inc_2", AlertKind::Down, 0),
        ];
        let unique: std::collections::BTreeSet<_> = ids.iter().collect();
        assert_eq!(unique.len(), ids.len());
    }

    #[test]
    fn channel_test_alerts_are_labelled_and_distinct() {
        let links = Links {
            base_url: "https://probe.example/".into(),
            docs_base: "https://docs.example/d".into(),
        };
        let a = channel_test_alert("chn_1", "ops", &links, 1_000);
        assert_eq!(a.kind, AlertKind::Test);
        assert_eq!(a.id, "msg_test_chn_1_1000_test_0");
        assert_eq!(a.incident_id, None);
        assert!(a.summary.contains("ops"), "{}", a.summary);
        assert_eq!(a.links.api, "https://probe.example/api/v1/channels/chn_1");
        assert_eq!(a.links.docs, "https://docs.example/d/diagnoses.md#healthy");
        assert!(a.regions.is_empty());
        let ids: std::collections::BTreeSet<String> = [
            channel_test_alert("chn_1", "ops", &links, 1_001).id,
            channel_test_alert("chn_2", "ops", &links, 1_000).id,
            a.id,
        ]
        .into();
        assert_eq!(ids.len(), 3, "another time or channel gives another webhook-id");
    }
}
