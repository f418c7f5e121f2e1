//! Windows over stored rollups: uptime and latency for the status page and badges, the
//! sparkline series, and the latency baseline the diagnosis engine compares against.
//!
//! A rollup belongs to a window `[from, to)` when its `bucket_start` does (a bucket is never
//! split). Callers pass rollups of one granularity per window, or rollups that do not
//! overlap (e.g. daily rows for finished days plus hourly rows for today); a day and its own
//! hours passed together would count twice. Pure; reads no clock.

use std::collections::BTreeMap;

use crate::diagnosis::PathKind;
use crate::time::UnixMillis;

use super::{uptime_percent, LatencyHistogram, Rollup};

/// Most points [`latency_series`] returns, whatever the step: bounds the work of one request.
pub const MAX_SERIES_POINTS: usize = 2_000;

fn in_window(r: &Rollup, from: UnixMillis, to: UnixMillis) -> bool {
    from <= r.bucket_start && r.bucket_start < to
}

/// Percentage of passing checks in `[from, to)`; `None` when there were no checks.
pub fn uptime(rollups: &[Rollup], from: UnixMillis, to: UnixMillis) -> Option<f64> {
    let (checks, failures) = rollups
        .iter()
        .filter(|r| in_window(r, from, to))
        .fold((0u32, 0u32), |(c, f), r| {
            (c.saturating_add(r.checks), f.saturating_add(r.failures))
        });
    uptime_percent(checks, failures)
}

/// Median latency of successful checks in `[from, to)` (histogram precision).
pub fn latency_p50(rollups: &[Rollup], from: UnixMillis, to: UnixMillis) -> Option<u32> {
    let mut h = LatencyHistogram::default();
    for r in rollups.iter().filter(|r| in_window(r, from, to)) {
        h.absorb(&r.latency);
    }
    h.p50()
}

/// Median latency per step for sparklines: one point per `[t, t + step)` for
/// `t = from, from + step, ...` while `t < to`, at most [`MAX_SERIES_POINTS`] points; `None`
/// where no successful check fell in that step. Empty when `step <= 0` or `to <= from`.
pub fn latency_series(
    rollups: &[Rollup],
    from: UnixMillis,
    to: UnixMillis,
    step: i64,
) -> Vec<(UnixMillis, Option<u32>)> {
    if step <= 0 || to <= from {
        return Vec::new();
    }
    let span = (i128::from(to) - i128::from(from) + i128::from(step) - 1) / i128::from(step);
    let points = usize::try_from(span)
        .unwrap_or(usize::MAX)
        .min(MAX_SERIES_POINTS);
    let mut slots = vec![LatencyHistogram::default(); points];
    for r in rollups.iter().filter(|r| in_window(r, from, to)) {
        let idx =
            usize::try_from((i128::from(r.bucket_start) - i128::from(from)) / i128::from(step))
                .unwrap_or(usize::MAX);
        if let Some(slot) = slots.get_mut(idx) {
            slot.absorb(&r.latency);
        }
    }
    (0i64..)
        .zip(slots)
        .map(|(i, h)| (from.saturating_add(i.saturating_mul(step)), h.p50()))
        .collect()
}

/// Median latency and sample count per (region, path) over the given rollups (the platform
/// passes one monitor's recent rollups and converts to the engine's `LatencyBaseline`).
/// Region/path pairs without a successful timed check are left out. Sorted by region, path.
pub fn baselines(rollups: &[Rollup]) -> Vec<(String, PathKind, u32, u32)> {
    let mut groups: BTreeMap<(&str, PathKind), LatencyHistogram> = BTreeMap::new();
    for r in rollups {
        groups
            .entry((r.region.as_str(), r.path))
            .or_default()
            .absorb(&r.latency);
    }
    groups
        .into_iter()
        .filter_map(|((region, path), h)| Some((region.to_string(), path, h.p50()?, h.count())))
        .collect()
}
