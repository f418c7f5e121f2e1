//! A round, from the coordinator's point of view: which region objects to ask for which
//! monitors, how long to wait for them, how to assemble their answers into one report per
//! region, and what to record afterwards (observation rows, the current-status document).
//!
//! Pure: the coordinator Durable Object performs the fan-out and the writes; every choice it
//! needs is made here and tested in crates/edgeprobe-core/tests/core_round.rs (with the
//! testkit's builders).

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::diagnosis::{Diagnosis, PathKind};
use crate::monitor::Monitor;
use crate::observation::RegionReport;
use crate::status::{path_ok, summarize_region, CurrentStatus, Health};
use crate::time::{Millis, UnixMillis};

// The region object's concurrency and the coordinator's deadline both come from [`BatchPlan`].
use crate::limits::{FANOUT_MARGIN_MS, MAX_CONNECTIONS_IN_FLIGHT};

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

/// For each region, the indices (into `monitors`) of the monitors that probe from it.
/// One region object then probes all of them in one call.
pub fn region_batches(monitors: &[Monitor]) -> BTreeMap<String, Vec<usize>> {
    let mut out: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, m) in monitors.iter().enumerate() {
        for r in &m.regions {
            let batch = out.entry(r.clone()).or_default();
            if !batch.contains(&i) {
                batch.push(i);
            }
        }
    }
    out
}

/// Connections one monitor's probe holds at once: the edge fetch, plus the origin socket if
/// any (both paths run concurrently).
pub fn connections_per_monitor(m: &Monitor) -> usize {
    1 + usize::from(m.origin.is_some())
}

/// How a region object probes one batch, and therefore how long the coordinator waits for it:
/// one plan, used by both sides (`platform::region` runs the waves, `platform::coordinator`
/// waits until [`BatchPlan::deadline`]), so the concurrency and the deadline cannot disagree.
///
/// The batch is split into waves of at most [`MAX_CONNECTIONS_IN_FLIGHT`] connections,
/// counted per monitor ([`connections_per_monitor`]): an edge-only monitor takes one, a monitor
/// with an origin two. The monitors of a wave are probed together; the next wave starts when
/// the whole wave has finished. Every probe ends by its monitor's timeout, so a wave lasts at
/// most its slowest member's timeout, and the batch at most [`BatchPlan::worst_case_ms`].
/// Monitors are packed slowest timeout first (then widest first, first fit), which keeps the
/// waves few and puts slow monitors together rather than letting each stretch its own wave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchPlan {
    /// Indices into the batch, wave by wave; every index appears exactly once.
    pub waves: Vec<Vec<usize>>,
    /// The sum over the waves of each wave's slowest timeout.
    pub worst_case_ms: i64,
}

impl BatchPlan {
    pub fn for_monitors(batch: &[&Monitor]) -> BatchPlan {
        let mut order: Vec<usize> = (0..batch.len()).collect();
        order.sort_by_key(|&i| {
            (
                std::cmp::Reverse(batch[i].timeout_ms),
                std::cmp::Reverse(connections_per_monitor(batch[i])),
                i,
            )
        });
        // (connections used, slowest timeout, members) per wave.
        let mut waves: Vec<(usize, Millis, Vec<usize>)> = Vec::new();
        for i in order {
            let need = connections_per_monitor(batch[i]);
            let fits = waves
                .iter_mut()
                .find(|(used, _, _)| used + need <= MAX_CONNECTIONS_IN_FLIGHT);
            match fits {
                Some((used, slowest, members)) => {
                    *used += need;
                    *slowest = (*slowest).max(batch[i].timeout_ms);
                    members.push(i);
                }
                // A monitor wider than the limit (none today) still gets a wave of its own.
                None => waves.push((need, batch[i].timeout_ms, vec![i])),
            }
        }
        let worst_case_ms = waves
            .iter()
            .map(|(_, slowest, _)| i64::from(*slowest))
            .sum();
        let waves = waves
            .into_iter()
            .map(|(_, _, mut members)| {
                members.sort_unstable();
                members
            })
            .collect();
        BatchPlan {
            waves,
            worst_case_ms,
        }
    }

    /// When the coordinator stops waiting for the region object running this plan (started at
    /// `started_at`): the plan's worst case plus [`FANOUT_MARGIN_MS`]. A region that has not
    /// answered by then is recorded as unanswered, never waited on longer.
    pub fn deadline(&self, started_at: UnixMillis) -> UnixMillis {
        started_at
            .saturating_add(self.worst_case_ms)
            .saturating_add(FANOUT_MARGIN_MS)
    }
}

/// What one region object said about a batch.
#[derive(Debug, Clone)]
pub enum RegionAnswer {
    /// One report per monitor of the batch, in batch order.
    Reports(Vec<RegionReport>),
    /// The object did not answer by the deadline, or failed ("timeout" or the error text).
    Failed(String),
}

/// Assembles one report per region for monitor `index`, in the monitor's region order.
/// A region whose answer is missing, failed, or malformed (wrong length) is `Unanswered`.
pub fn reports_for(
    monitor_index: usize,
    monitor: &Monitor,
    batches: &BTreeMap<String, Vec<usize>>,
    answers: &BTreeMap<String, RegionAnswer>,
) -> Vec<RegionReport> {
    monitor
        .regions
        .iter()
        .map(|region| {
            let unanswered = |reason: String| RegionReport::Unanswered {
                region: region.clone(),
                reason,
            };
            let Some(batch) = batches.get(region) else {
                return unanswered("not asked".into());
            };
            let Some(pos) = batch.iter().position(|&i| i == monitor_index) else {
                return unanswered("not asked".into());
            };
            match answers.get(region) {
                None => unanswered("no answer".into()),
                Some(RegionAnswer::Failed(reason)) => unanswered(reason.clone()),
                Some(RegionAnswer::Reports(reports)) if reports.len() != batch.len() => {
                    unanswered(format!(
                        "region answered {} reports for {} monitors",
                        reports.len(),
                        batch.len()
                    ))
                }
                Some(RegionAnswer::Reports(reports)) => match &reports[pos] {
                    // The object must report on the region it was asked about.
                    r if r.region() == region => r.clone(),
                    r => unanswered(format!("region object reported region {}", r.region())),
                },
            }
        })
        .collect()
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

/// The scheduled times of the rounds an alarm skipped (most recent last): `missed` slots
/// before `scheduled_for`, one interval apart. Each is recorded as a missed round.
pub fn missed_slots(scheduled_for: UnixMillis, interval_ms: u64, missed: u32) -> Vec<UnixMillis> {
    (1..=i64::from(missed))
        .rev()
        .map(|k| scheduled_for - k * interval_ms as i64)
        .collect()
}
