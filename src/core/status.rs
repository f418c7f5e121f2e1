//! The current status of a monitor: the document stored in KV after every round, read by the
//! status page, the badges and the API.
//!
//! This module owns that shape and the one rule for whether a path "looks fine" in a region
//! ([`path_ok`]), so that rollups, the status grid and the diagnosis agree. Pure; no I/O.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::core::diagnosis::{Diagnosis, Severity, Verdict};
use crate::core::monitor::Expectations;
use crate::core::observation::{EdgeOutcome, HttpStep, RegionReport};
use crate::core::time::{Millis, UnixMillis};

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
        EdgeOutcome::Response(r) => expect.status_ok(r.status) && r.keyword_found != Some(false),
        EdgeOutcome::Failed { .. } => false,
    }
}

/// Whether the origin answered the direct probe at the HTTP layer with an expected status.
/// (The keyword is checked too: the origin serves the same content the front should.)
pub fn origin_ok(http: &HttpStep, expect: &Expectations) -> bool {
    match http {
        HttpStep::Response { response, .. } => expect.status_ok(response.status) && response.keyword_found != Some(false),
        _ => false,
    }
}

/// The per-path rule shared by rollups, the grid and uptime.
pub fn path_ok(report: &RegionReport, path: crate::core::diagnosis::PathKind, expect: &Expectations) -> Option<bool> {
    use crate::core::diagnosis::PathKind;
    let RegionReport::Probed(p) = report else { return None };
    match path {
        PathKind::Edge => Some(edge_ok(&p.edge.outcome, expect)),
        PathKind::Origin => p.origin.as_ref().map(|o| origin_ok(&o.http, expect)),
    }
}
