//! The current status of a monitor: the document stored in KV after every round, read by the
//! status page, the badges and the API.
//!
//! This module owns that shape and the one rule for whether a path "looks fine" in a region
//! ([`path_ok`]), so that rollups, the status grid and the diagnosis agree. Pure; no I/O.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::diagnosis::{Diagnosis, Severity, Verdict};
use crate::monitor::Expectations;
use crate::observation::{EdgeOutcome, HttpStep, RegionReport};
use crate::time::{Millis, UnixMillis};

/// The one-word state shown on badges and the status page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Health {
    Up,
    Degraded,
    Down,
    /// Never probed yet, or nothing could be observed.
    Unknown,
}

impl Health {
    pub fn of(d: &Diagnosis) -> Health {
        if d.verdict == Verdict::Inconclusive {
            return Health::Unknown;
        }
        match d.severity {
            Severity::Ok | Severity::Info => Health::Up,
            Severity::Warning => Health::Degraded,
            Severity::Critical => Health::Down,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Health::Up => "up",
            Health::Degraded => "degraded",
            Health::Down => "down",
            Health::Unknown => "unknown",
        }
    }
}

/// One path in one region, reduced to what a grid cell shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PathSummary {
    pub ok: bool,
    /// HTTP status when a response came back.
    pub status: Option<u16>,
    /// Time to response headers (edge) or to first byte (origin), when known.
    pub latency_ms: Option<Millis>,
    /// Short label: "200", "522", "refused", "timeout", "tls untrusted", ...
    pub label: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RegionSummary {
    pub region: String,
    pub colo: Option<String>,
    /// `None` when the region did not answer.
    pub edge: Option<PathSummary>,
    /// `None` when the monitor has no origin, or the region did not answer.
    pub origin: Option<PathSummary>,
    pub answered: bool,
}

/// The KV document: `status:{monitor_id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CurrentStatus {
    pub monitor_id: String,
    pub slug: String,
    pub name: String,
    pub public: bool,
    pub health: Health,
    pub diagnosis: Diagnosis,
    pub regions: Vec<RegionSummary>,
    pub round_id: String,
    pub updated_at: UnixMillis,
}

/// Whether the edge answered as the monitor expects.
pub fn edge_ok(outcome: &EdgeOutcome, expect: &Expectations) -> bool {
    match outcome {
        EdgeOutcome::Response(r) => {
            r.status_is_valid()
                && expect.status_ok(r.status)
                && r.keyword_found != Some(false)
                && r.body_error.is_none()
        }
        EdgeOutcome::Failed { .. } => false,
    }
}

/// Whether the origin answered the direct probe at the HTTP layer with an expected status.
/// (The keyword is checked too: the origin serves the same content the front should.)
pub fn origin_ok(http: &HttpStep, expect: &Expectations) -> bool {
    match http {
        HttpStep::Response { response, .. } => {
            expect.status_ok(response.status) && response.keyword_found != Some(false)
        }
        _ => false,
    }
}

/// The per-path rule shared by rollups, the grid and uptime.
pub fn path_ok(
    report: &RegionReport,
    path: crate::diagnosis::PathKind,
    expect: &Expectations,
) -> Option<bool> {
    use crate::diagnosis::PathKind;
    let RegionReport::Probed(p) = report else {
        return None;
    };
    match path {
        PathKind::Edge => Some(edge_ok(&p.edge.outcome, expect)),
        PathKind::Origin => p.origin.as_ref().map(|o| origin_ok(&o.http, expect)),
    }
}

/// Reduces one region's report to the grid row the status page and the API show: per path,
/// whether it looks fine (by [`edge_ok`] / [`origin_ok`], so the grid agrees with rollups),
/// the status code or a short failure label, and the latency (edge: time to headers; origin:
/// time to first byte). Latency is only given when a response came back: the time to a
/// failure is the timeout or the error, not a latency.
pub fn summarize_region(report: &RegionReport, expect: &Expectations) -> RegionSummary {
    let RegionReport::Probed(p) = report else {
        return RegionSummary {
            region: report.region().to_string(),
            colo: None,
            edge: None,
            origin: None,
            answered: false,
        };
    };
    let edge = match &p.edge.outcome {
        EdgeOutcome::Response(r) => PathSummary {
            ok: edge_ok(&p.edge.outcome, expect),
            status: Some(r.status),
            latency_ms: p.edge.headers_ms,
            label: status_label(r.status, r.keyword_found),
        },
        EdgeOutcome::Failed { failure, .. } => PathSummary {
            ok: false,
            status: None,
            latency_ms: None,
            label: edge_failure_label(*failure).to_string(),
        },
    };
    let origin = p.origin.as_ref().map(|o| match &o.http {
        HttpStep::Response {
            response, ttfb_ms, ..
        } => PathSummary {
            ok: origin_ok(&o.http, expect),
            status: Some(response.status),
            latency_ms: Some(*ttfb_ms),
            label: status_label(response.status, response.keyword_found),
        },
        _ => PathSummary {
            ok: false,
            status: None,
            latency_ms: None,
            label: origin_failure_label(o).to_string(),
        },
    });
    RegionSummary {
        region: p.region.clone(),
        colo: p.colo.clone(),
        edge: Some(edge),
        origin,
        answered: true,
    }
}

fn status_label(status: u16, keyword_found: Option<bool>) -> String {
    // A 200 without the expected keyword fails; the label must say why, not just "200".
    if keyword_found == Some(false) {
        format!("{status} no keyword")
    } else {
        status.to_string()
    }
}

fn edge_failure_label(failure: crate::observation::EdgeFailure) -> &'static str {
    use crate::observation::EdgeFailure;
    match failure {
        EdgeFailure::Timeout => "timeout",
        EdgeFailure::Dns => "dns",
        EdgeFailure::Connection => "unreachable",
        EdgeFailure::Tls => "tls error",
        EdgeFailure::Other => "error",
    }
}

/// The first layer that failed names the cell: connect, then TLS, then HTTP.
fn origin_failure_label(o: &crate::observation::OriginObservation) -> &'static str {
    use crate::observation::{ConnectStep, HttpFailure, TlsStep};
    match &o.connect {
        ConnectStep::Ok { .. } => {}
        ConnectStep::Refused { .. } => return "refused",
        ConnectStep::TimedOut { .. } => return "timeout",
        ConnectStep::Unreachable { .. } => return "unreachable",
        ConnectStep::DnsFailed { .. } => return "dns",
        ConnectStep::Failed { .. } => return "connect error",
    }
    match &o.tls {
        TlsStep::NotApplicable | TlsStep::Ok { .. } => {}
        TlsStep::NotAttempted => return "not attempted",
        TlsStep::Untrusted { .. } => return "tls untrusted",
        TlsStep::Expired { .. } => return "tls expired",
        TlsStep::HostnameMismatch { .. } => return "tls hostname",
        TlsStep::HandshakeFailed { .. } => return "tls handshake",
        TlsStep::Failed { .. } => return "tls error",
    }
    match &o.http {
        HttpStep::Response { .. } | HttpStep::NotAttempted => "not attempted",
        HttpStep::Failed { failure, .. } => match failure {
            HttpFailure::EmptyReply => "empty reply",
            HttpFailure::InvalidStatusLine => "bad status line",
            HttpFailure::InvalidHeader => "bad header",
            HttpFailure::ClosedBeforeHeaders => "closed early",
            HttpFailure::BodyShorterThanContentLength => "short body",
            HttpFailure::InvalidChunkedBody => "bad chunking",
            HttpFailure::Reset => "reset",
            HttpFailure::TimeoutBeforeHeaders => "timeout",
            HttpFailure::TimeoutInBody => "slow body",
            HttpFailure::HeadersTooLarge => "headers too large",
            HttpFailure::WriteFailed => "write failed",
        },
    }
}
