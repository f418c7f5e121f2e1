//! A round, from the coordinator's point of view: which region objects to ask for which
//! monitors, how long to wait for them, how to assemble their answers into one report per
//! region, and what to record afterwards (observation rows, the current-status document).
//!
//! Pure: the coordinator Durable Object performs the fan-out and the writes; every choice it
//! needs is made here and unit-tested.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::core::diagnosis::{Diagnosis, PathKind};
use crate::core::monitor::Monitor;
use crate::core::observation::RegionReport;
use crate::core::status::{path_ok, summarize_region, CurrentStatus, Health};
use crate::core::time::{Millis, UnixMillis};

/// Connections a Worker invocation may have waiting for response headers (platform limit).
pub const MAX_CONNECTIONS_IN_FLIGHT: usize = 6;

/// Extra time the coordinator grants a region object beyond its probes' own timeouts.
pub const FANOUT_MARGIN_MS: i64 = 5_000;

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

/// Connections one monitor's probe opens: the edge fetch, plus the origin socket if any.
pub fn connections_per_monitor(m: &Monitor) -> usize {
    1 + usize::from(m.origin.is_some())
}

/// When the coordinator stops waiting for a region object probing `batch`: the probes run in
/// waves of [`MAX_CONNECTIONS_IN_FLIGHT`] connections, each wave bounded by the slowest
/// timeout, plus [`FANOUT_MARGIN_MS`]. A region that has not answered by then is recorded as
/// unanswered, never waited on longer.
pub fn batch_deadline(started_at: UnixMillis, batch: &[&Monitor]) -> UnixMillis {
    let connections: usize = batch.iter().map(|m| connections_per_monitor(m)).sum();
    let per_wave = MAX_CONNECTIONS_IN_FLIGHT.max(1);
    let waves = connections.div_ceil(per_wave).max(1) as i64;
    let slowest: Millis = batch.iter().map(|m| m.timeout_ms).max().unwrap_or(0);
    started_at + waves * i64::from(slowest) + FANOUT_MARGIN_MS
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
                    unanswered(format!("region answered {} reports for {} monitors", reports.len(), batch.len()))
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
    /// `edge`, `origin`, or `none` for a region that did not answer.
    pub path: &'static str,
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
                path: "none",
                ok: None,
                latency_ms: None,
                colo: None,
                data: serde_json::json!({ "unanswered": reason }),
            }),
            RegionReport::Refused { region, reason } => rows.push(ObservationRow {
                region: region.clone(),
                path: "none",
                ok: None,
                latency_ms: None,
                colo: None,
                data: serde_json::json!({ "refused_by_policy": reason }),
            }),
            RegionReport::Probed(p) => {
                rows.push(ObservationRow {
                    region: p.region.clone(),
                    path: "edge",
                    ok: path_ok(report, PathKind::Edge, &monitor.expect),
                    latency_ms: p.edge.headers_ms,
                    colo: p.colo.clone(),
                    data: serde_json::to_value(&p.edge).unwrap_or(Value::Null),
                });
                if let Some(o) = &p.origin {
                    let latency_ms = match &o.http {
                        crate::core::observation::HttpStep::Response { ttfb_ms, .. } => Some(*ttfb_ms),
                        _ => None,
                    };
                    rows.push(ObservationRow {
                        region: p.region.clone(),
                        path: "origin",
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
        regions: reports.iter().map(|r| summarize_region(r, &monitor.expect)).collect(),
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

#[cfg(test)]
mod tests;
