//! The response-time chart of a monitor page: a server-rendered SVG with one line per region
//! over the last 24 hours, from the first check. A point is the median edge response time of
//! an hour (hourly rollups), the current hour included as far as it has gone (rounds update
//! its row in place), so a monitor created a minute ago already has a point. Axes: the y axis from 0 to a rounded
//! maximum with three gridlines, the x axis labelled with the first and last time.
//!
//! Pure: series and geometry here, markup in templates/status_page/monitor.html.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::format::{time, Time};
use edgeprobe_core::rollup::{Granularity, Rollup};
use edgeprobe_core::time::{UnixMillis, DAY};

/// One region's points, oldest first: (time, milliseconds).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegionSeries {
    pub region: String,
    pub points: Vec<(UnixMillis, u32)>,
}

/// Per region: the hourly medians of the last 24 h, the current hour so far included.
/// Regions in name order; regions without a point are left out.
pub fn region_series(hours: &[Rollup], now: UnixMillis) -> Vec<RegionSeries> {
    let hour_now = Granularity::Hour.bucket_start(now);
    let mut by_region: BTreeMap<&str, Vec<(UnixMillis, u32)>> = BTreeMap::new();
    for r in hours
        .iter()
        .filter(|r| r.bucket_start >= hour_now - DAY && r.bucket_start <= hour_now)
    {
        if let Some(p50) = r.p50() {
            by_region
                .entry(r.region.as_str())
                .or_default()
                .push((r.bucket_start, p50));
        }
    }
    by_region
        .into_iter()
        .map(|(region, mut points)| {
            points.sort_unstable();
            RegionSeries {
                region: region.to_string(),
                points,
            }
        })
        .collect()
}

pub(crate) const WIDTH: f64 = 640.0;
pub(crate) const HEIGHT: f64 = 200.0;
/// Room on the left for the y labels and at the bottom for the x labels.
pub(crate) const LEFT: f64 = 48.0;
pub(crate) const BOTTOM: f64 = 24.0;
const TOP: f64 = 8.0;
const RIGHT: f64 = 8.0;

/// The chart as the template draws it.
pub(crate) struct ChartView {
    pub label: String,
    /// (y, text) of each horizontal gridline, from 0 up.
    pub grid: Vec<(f64, String)>,
    pub lines: Vec<LineView>,
    pub first: Time,
    pub last: Time,
}

pub(crate) struct LineView {
    pub region: String,
    /// The region's name for people ("Western Europe").
    pub name: &'static str,
    /// Index into the palette (CSS class `c0`…`c5`).
    pub colour: usize,
    /// "x,y x,y …".
    pub points: String,
    /// Dots for each point (so a single point is visible).
    pub dots: Vec<(f64, f64)>,
}

/// A round maximum ≥ `max` for the y axis: 1, 2 or 5 times a power of ten.
fn nice_max(max: u32) -> u32 {
    let mut step = 1u32;
    loop {
        for m in [1, 2, 5] {
            let v = step.saturating_mul(m);
            if v >= max || v == u32::MAX {
                return v.max(1);
            }
        }
        if step > u32::MAX / 10 {
            return u32::MAX;
        }
        step *= 10;
    }
}

pub(crate) fn chart_view(series: &[RegionSeries], monitor_name: &str) -> Option<ChartView> {
    let all = series.iter().flat_map(|s| s.points.iter());
    let t0 = all.clone().map(|p| p.0).min()?;
    let t1 = all.clone().map(|p| p.0).max()?;
    let top = nice_max(all.map(|p| p.1).max()?);
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let x = |t: UnixMillis| {
        if t1 == t0 {
            LEFT + plot_w / 2.0
        } else {
            LEFT + (t - t0) as f64 / (t1 - t0) as f64 * plot_w
        }
    };
    let y = |v: u32| TOP + (1.0 - f64::from(v) / f64::from(top)) * plot_h;
    let grid = (0..=2)
        .map(|i| {
            let v = top / 2 * i;
            let v = if i == 2 { top } else { v };
            (y(v), format!("{v} ms"))
        })
        .collect();
    let lines = series
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let dots: Vec<(f64, f64)> = s.points.iter().map(|&(t, v)| (x(t), y(v))).collect();
            LineView {
                region: s.region.clone(),
                name: super::regions::region_name(&s.region),
                colour: i % 6,
                points: dots
                    .iter()
                    .map(|(x, y)| format!("{x:.1},{y:.1}"))
                    .collect::<Vec<_>>()
                    .join(" "),
                dots,
            }
        })
        .collect();
    Some(ChartView {
        label: format!("{monitor_name}: response time by region, last 24 hours"),
        grid,
        lines,
        first: time(t0),
        last: time(t1),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use edgeprobe_core::diagnosis::PathKind;

    #[test]
    fn nice_maxima() {
        for (max, nice) in [
            (0, 1),
            (1, 1),
            (3, 5),
            (120, 200),
            (999, 1000),
            (1001, 2000),
        ] {
            assert_eq!(nice_max(max), nice, "{max}");
        }
    }

    #[test]
    fn the_current_hour_has_its_point_so_far() {
        let now = 10 * DAY + 90_000;
        let hour = |region: &str, bucket_start, ms| {
            let mut latency = edgeprobe_core::rollup::LatencyHistogram::default();
            latency.record(ms);
            Rollup {
                monitor_id: "m".into(),
                region: region.into(),
                path: PathKind::Edge,
                granularity: Granularity::Hour,
                bucket_start,
                checks: 1,
                failures: 0,
                latency,
            }
        };
        let hour_now = Granularity::Hour.bucket_start(now);
        let rows = [
            hour("weur", hour_now - 3_600_000, 120),
            hour("weur", hour_now, 130),
            hour("apac", hour_now, 300),
            // Older than a day: not drawn.
            hour("apac", hour_now - 2 * DAY, 50),
        ];
        let series = region_series(&rows, now);
        let p = |ms: u32| {
            let mut h = edgeprobe_core::rollup::LatencyHistogram::default();
            h.record(ms);
            h.p50().unwrap()
        };
        assert_eq!(
            series,
            vec![
                RegionSeries {
                    region: "apac".into(),
                    points: vec![(hour_now, p(300))]
                },
                RegionSeries {
                    region: "weur".into(),
                    points: vec![(hour_now - 3_600_000, p(120)), (hour_now, p(130))]
                },
            ]
        );
        let view = chart_view(&series, "Shop").expect("a chart");
        assert_eq!(view.lines.len(), 2);
        assert_eq!(view.lines[1].name, "Western Europe");
    }
}
