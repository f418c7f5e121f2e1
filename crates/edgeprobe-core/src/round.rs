//! A round's records: why it ran ([`RoundKind`]), the observation rows of a stored round and
//! the current-status document. (Planning and running rounds is `core::tick`; what a round
//! writes is `core::record`.)
//!
//! Pure; tested in crates/edgeprobe-core/tests/core_round.rs (with the testkit's builders).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::diagnosis::{Diagnosis, PathKind};
use crate::monitor::Monitor;
use crate::observation::RegionReport;
use crate::status::{path_ok, summarize_region, CurrentStatus, Health};
use crate::time::{Millis, UnixMillis};

/// Why a round ran: the `kind` column of a `rounds` row, the API's `kind` of a round, and what
/// the alert state machine is told (`alerting::RoundInput`). Serialized as its snake_case name
/// (stored in D1: the strings must never change, unit-tested).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RoundKind {
    /// A slot of the monitor's schedule.
    Scheduled,
    /// Asked for by `alerting::Effect::ScheduleRecheck`.
    Recheck,
    /// "Check now" from the API. Steps the alert state machine like a scheduled round.
    Manual,
    /// A slot no round ran for (a late alarm, an interrupted round): a row with no
    /// observations and no diagnosis; never given to the alert state machine.
    Missed,
}

impl RoundKind {
    pub const ALL: [RoundKind; 4] = [
        RoundKind::Scheduled,
        RoundKind::Recheck,
        RoundKind::Manual,
        RoundKind::Missed,
    ];

    /// The stored and served name (the same as its JSON string).
    pub fn as_str(self) -> &'static str {
        match self {
            RoundKind::Scheduled => "scheduled",
            RoundKind::Recheck => "recheck",
            RoundKind::Manual => "manual",
            RoundKind::Missed => "missed",
        }
    }
}

/// The `path` column of an observation row: the path probed, or `none` for a region that did
/// not answer (or was refused by the target policy), which has no path.
pub fn path_column(path: Option<PathKind>) -> &'static str {
    path.map_or("none", PathKind::as_str)
}

/// One row of the `observations` table.
#[derive(Debug, Clone, PartialEq)]
pub struct ObservationRow {
    pub region: String,
    /// The path probed; `None` for a region that did not answer (stored as [`path_column`]).
    pub path: Option<PathKind>,
    pub ok: Option<bool>,
    pub latency_ms: Option<Millis>,
    pub colo: Option<String>,
    /// The path's observation (or the unanswered reason) as JSON.
    pub data: Value,
}

/// The rows a round records: one per region and path probed, one per unanswered region.
pub fn observation_rows(monitor: &Monitor, reports: &[RegionReport]) -> Vec<ObservationRow> {
    let mut rows = Vec::new();
    for report in reports {
        match report {
            RegionReport::Unanswered { region, reason } => rows.push(ObservationRow {
                region: region.clone(),
                path: None,
                ok: None,
                latency_ms: None,
                colo: None,
                data: serde_json::json!({ "unanswered": reason }),
            }),
            RegionReport::Refused { region, reason } => rows.push(ObservationRow {
                region: region.clone(),
                path: None,
                ok: None,
                latency_ms: None,
                colo: None,
                data: serde_json::json!({ "refused_by_policy": reason }),
            }),
            RegionReport::Probed(p) => {
                rows.push(ObservationRow {
                    region: p.region.clone(),
                    path: Some(PathKind::Edge),
                    ok: path_ok(report, PathKind::Edge, &monitor.expect),
                    latency_ms: p.edge.headers_ms,
                    colo: p.colo.clone(),
                    data: serde_json::to_value(&p.edge).unwrap_or(Value::Null),
                });
                if let Some(o) = &p.origin {
                    let latency_ms = match &o.http {
                        crate::observation::HttpStep::Response { ttfb_ms, .. } => Some(*ttfb_ms),
                        _ => None,
                    };
                    rows.push(ObservationRow {
                        region: p.region.clone(),
                        path: Some(PathKind::Origin),
                        ok: path_ok(report, PathKind::Origin, &monitor.expect),
                        latency_ms,
                        colo: p.colo.clone(),
                        data: serde_json::to_value(o).unwrap_or(Value::Null),
                    });
                }
            }
        }
    }
    rows
}

/// The KV status document after a round.
pub fn current_status(
    monitor: &Monitor,
    diagnosis: &Diagnosis,
    reports: &[RegionReport],
    round_id: &str,
    now: UnixMillis,
) -> CurrentStatus {
    CurrentStatus {
        monitor_id: monitor.id.clone(),
        slug: monitor.slug.clone(),
        name: monitor.name.clone(),
        public: monitor.public,
        health: Health::of(diagnosis),
        diagnosis: diagnosis.clone(),
        regions: reports
            .iter()
            .map(|r| summarize_region(r, &monitor.expect))
            .collect(),
        round_id: round_id.to_string(),
        updated_at: now,
    }
}
