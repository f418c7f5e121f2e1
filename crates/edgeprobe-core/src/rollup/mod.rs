//! Rollups: raw per-round samples reduced to hourly and daily buckets per monitor, region
//! and path, and the windows the status page, badges and diagnosis read from them.
//!
//! Owns the sample shape, the grouping rule, the exact hourly-to-daily merge, uptime and
//! latency windows ([`window`]), and retention cut-offs and roll scheduling ([`retention`]).
//! It must not query storage or read a clock: the platform passes samples and rollups in,
//! with `now`, and writes back what these functions return.
//!
//! Counting rules (one place, so the status page and badges agree):
//! - A sample exists for every path a region actually probed. A region that did not answer
//!   the coordinator gives no sample: that is our platform failing, not the monitored site.
//! - `ok` is [`crate::status::path_ok`], the rule the status grid uses.
//! - Latency histograms hold latencies of successful checks only, so a timeout does not
//!   drag the "how fast is it when it works" numbers (and the diagnosis baseline) up; the
//!   failure is counted in `failures` instead.

pub mod histogram;
pub mod retention;
pub mod window;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::diagnosis::PathKind;
use crate::monitor::Expectations;
use crate::observation::{HttpStep, RegionReport};
use crate::status::path_ok;
use crate::time::{UnixMillis, DAY, HOUR};

pub use histogram::LatencyHistogram;
pub use retention::{cutoffs, hours_to_roll, Cutoffs, Retention};
pub use window::{baselines, latency_p50, latency_series, uptime};

/// One path in one region in one round: the raw row rollups are built from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sample {
    pub monitor_id: String,
    pub region: String,
    pub path: PathKind,
    pub at: UnixMillis,
    pub ok: bool,
    /// Edge: time to response headers. Origin: time to first byte of the HTTP exchange.
    pub latency_ms: Option<u32>,
}

/// The samples of one round (`at` is the round's scheduled time), edge before origin per
/// region, regions in report order.
pub fn samples_from_round(
    monitor_id: &str,
    reports: &[RegionReport],
    expect: &Expectations,
    at: UnixMillis,
) -> Vec<Sample> {
    let mut out = Vec::with_capacity(reports.len() * 2);
    for report in reports {
        let RegionReport::Probed(probe) = report else {
            continue;
        };
        for path in [PathKind::Edge, PathKind::Origin] {
            let Some(ok) = path_ok(report, path, expect) else {
                continue;
            };
            let latency_ms = match path {
                PathKind::Edge => probe.edge.headers_ms,
                PathKind::Origin => match probe.origin.as_ref().map(|o| &o.http) {
                    Some(HttpStep::Response { ttfb_ms, .. }) => Some(*ttfb_ms),
                    _ => None,
                },
            };
            out.push(Sample {
                monitor_id: monitor_id.to_string(),
                region: probe.region.clone(),
                path,
                at,
                ok,
                latency_ms,
            });
        }
    }
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Granularity {
    Hour,
    Day,
}

impl Granularity {
    pub fn millis(self) -> i64 {
        match self {
            Granularity::Hour => HOUR,
            Granularity::Day => DAY,
        }
    }

    /// Start of the (UTC) bucket containing `t`.
    pub fn bucket_start(self, t: UnixMillis) -> UnixMillis {
        floor_to(t, self.millis())
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Granularity::Hour => "hour",
            Granularity::Day => "day",
        }
    }
}

/// Checks of one path of one monitor from one region, over one hour or one UTC day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rollup {
    pub monitor_id: String,
    pub region: String,
    pub path: PathKind,
    pub granularity: Granularity,
    pub bucket_start: UnixMillis,
    pub checks: u32,
    pub failures: u32,
    /// Latencies of the successful checks.
    pub latency: LatencyHistogram,
}

impl Rollup {
    fn empty(key: &RollupKey) -> Rollup {
        Rollup {
            monitor_id: key.0.clone(),
            region: key.1.clone(),
            path: key.2,
            granularity: key.3,
            bucket_start: key.4,
            checks: 0,
            failures: 0,
            latency: LatencyHistogram::default(),
        }
    }

    fn same_key(&self, other: &Rollup) -> bool {
        self.monitor_id == other.monitor_id
            && self.region == other.region
            && self.path == other.path
            && self.granularity == other.granularity
            && self.bucket_start == other.bucket_start
    }

    fn absorb(&mut self, other: &Rollup) {
        self.checks = self.checks.saturating_add(other.checks);
        self.failures = self.failures.saturating_add(other.failures);
        self.latency.absorb(&other.latency);
    }

    /// Percentage of checks that passed; `None` when there were no checks.
    pub fn uptime(&self) -> Option<f64> {
        uptime_percent(self.checks, self.failures)
    }

    pub fn p50(&self) -> Option<u32> {
        self.latency.p50()
    }

    pub fn p95(&self) -> Option<u32> {
        self.latency.p95()
    }
}

/// `t` rounded down to a multiple of `unit` (saturating at the far past instead of panicking).
pub(crate) fn floor_to(t: UnixMillis, unit: i64) -> UnixMillis {
    t.saturating_sub(t.rem_euclid(unit.max(1)))
}

pub(crate) fn uptime_percent(checks: u32, failures: u32) -> Option<f64> {
    if checks == 0 {
        return None;
    }
    let passed = checks.saturating_sub(failures);
    Some(f64::from(passed) * 100.0 / f64::from(checks))
}

/// (monitor, region, path, granularity, bucket start): the identity of a rollup row.
type RollupKey = (String, String, PathKind, Granularity, UnixMillis);

/// Groups samples by monitor, region, path and bucket. Output is sorted by that key.
pub fn rollup(samples: &[Sample], granularity: Granularity) -> Vec<Rollup> {
    let mut groups: BTreeMap<RollupKey, Rollup> = BTreeMap::new();
    for s in samples {
        let key = (
            s.monitor_id.clone(),
            s.region.clone(),
            s.path,
            granularity,
            granularity.bucket_start(s.at),
        );
        let r = groups.entry(key).or_insert_with_key(Rollup::empty);
        r.checks = r.checks.saturating_add(1);
        if s.ok {
            if let Some(ms) = s.latency_ms {
                r.latency.record(ms);
            }
        } else {
            r.failures = r.failures.saturating_add(1);
        }
    }
    groups.into_values().collect()
}

/// Why two rollups cannot be merged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MergeError {
    /// They differ in monitor, region, path, granularity or bucket (a caller's bug).
    KeyMismatch,
}

impl std::fmt::Display for MergeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MergeError::KeyMismatch => f.write_str("rollups with different keys cannot be merged"),
        }
    }
}

/// Adds two rollups of the same key (e.g. the stored row and a late batch of samples).
pub fn merge(a: &Rollup, b: &Rollup) -> Result<Rollup, MergeError> {
    if !a.same_key(b) {
        return Err(MergeError::KeyMismatch);
    }
    let mut out = a.clone();
    out.absorb(b);
    Ok(out)
}

/// Folds rollups into daily ones per monitor, region, path and UTC day. Daily rollups in the
/// input are folded in too, so a stored partial day can be extended with its remaining
/// hours; never pass a day together with hours it already contains (they would count twice).
pub fn roll_hours_into_days(hours: &[Rollup]) -> Vec<Rollup> {
    let mut groups: BTreeMap<RollupKey, Rollup> = BTreeMap::new();
    for h in hours {
        let day = Granularity::Day;
        let key = (
            h.monitor_id.clone(),
            h.region.clone(),
            h.path,
            day,
            day.bucket_start(h.bucket_start),
        );
        groups
            .entry(key)
            .or_insert_with_key(Rollup::empty)
            .absorb(h);
    }
    groups.into_values().collect()
}

#[cfg(test)]
mod tests;
