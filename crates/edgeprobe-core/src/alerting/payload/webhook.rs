//! The generic webhook body: a Standard Webhooks style envelope (`type`, `timestamp`, `data`)
//! around the whole alert, with fields in a fixed, documented order and times as RFC 3339.
//! Pure; the signature headers are added by [`super::build`].

use serde::Serialize;

use crate::alerting::alert::{Alert, AlertLinks, AlertRegion};
use crate::time::format_rfc3339;

#[derive(Serialize)]
struct Envelope<'a> {
    /// `monitor.down`, `monitor.resolved`, ...
    #[serde(rename = "type")]
    kind: String,
    timestamp: String,
    data: Data<'a>,
}

#[derive(Serialize)]
struct Data<'a> {
    id: &'a str,
    kind: &'static str,
    monitor_id: &'a str,
    monitor_name: &'a str,
    monitor_url: &'a str,
    incident_id: Option<&'a str>,
    dedup_key: &'a str,
    state_change: &'a str,
    verdict: &'static str,
    severity: crate::diagnosis::Severity,
    summary: &'a str,
    checklist: &'a [String],
    first_seen_at: Option<String>,
    confirmed_at: Option<String>,
    resolved_at: Option<String>,
    regions: &'a [AlertRegion],
    links: &'a AlertLinks,
    /// Certificate alerts (`cert_expiring`, `cert_renewed`) only.
    #[serde(skip_serializing_if = "Option::is_none")]
    certificate: Option<Certificate<'a>>,
}

/// The certificate of a certificate alert, its notAfter as RFC 3339.
#[derive(Serialize)]
struct Certificate<'a> {
    path: &'static str,
    subject: &'a str,
    issuer: &'a str,
    not_after: String,
    days_left: i64,
    sha256: &'a str,
    regions: &'a [String],
}

/// The JSON body POSTed to a generic webhook.
pub fn webhook_body(a: &Alert) -> String {
    let envelope = Envelope {
        kind: format!("monitor.{}", a.kind.as_str()),
        timestamp: format_rfc3339(a.at),
        data: Data {
            id: &a.id,
            kind: a.kind.as_str(),
            monitor_id: &a.monitor_id,
            monitor_name: &a.monitor_name,
            monitor_url: &a.monitor_url,
            incident_id: a.incident_id.as_deref(),
            dedup_key: &a.dedup_key,
            state_change: &a.state_change,
            verdict: a.verdict.as_str(),
            severity: a.severity,
            summary: &a.summary,
            checklist: &a.checklist,
            first_seen_at: a.first_seen_at.map(format_rfc3339),
            confirmed_at: a.confirmed_at.map(format_rfc3339),
            resolved_at: a.resolved_at.map(format_rfc3339),
            regions: &a.regions,
            links: &a.links,
            certificate: a.certificate.as_ref().map(|c| Certificate {
                path: c.path.as_str(),
                subject: &c.subject,
                issuer: &c.issuer,
                not_after: format_rfc3339(c.not_after),
                days_left: c.days_left,
                sha256: &c.sha256,
                regions: &c.regions,
            }),
        },
    };
    serde_json::to_string_pretty(&envelope).unwrap_or_default()
}
