//! The 90-day strip of daily uptime bars (the one people know from Statuspage, Uptime Kuma and
//! UptimeFlare): one bar per UTC day, coloured by the day's worst state, with a `<title>` per
//! bar (date, uptime, incidents) so the detail shows on hover without JavaScript.
//!
//! A day's state, from its edge-path checks (all regions) and the incidents that overlapped it:
//! - no checks: "No data" (grey);
//! - no failed check and no incident: "Operational";
//! - uptime at least [`MINOR_UPTIME`] %: "Degraded" (a few failed checks, a short incident);
//! - below: "Down".
//!
//! Pure: the facts and `now` in, bars out.

use serde::{Deserialize, Serialize};

use super::format::uptime_text;
use super::layout::{look, Look};
use super::PageIncident;
use edgeprobe_core::rollup::{Granularity, Rollup};
use edgeprobe_core::status::Health;
use edgeprobe_core::time::{format_rfc3339, UnixMillis, DAY};

use super::document::BAR_DAYS;

/// A day at or above this uptime with some failures is "Degraded", below it "Down".
pub const MINOR_UPTIME: f64 = 99.0;

/// One UTC day of one monitor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayBar {
    /// Start of the UTC day.
    pub day: UnixMillis,
    pub checks: u32,
    pub failures: u32,
    /// Incidents that were open at some point of the day.
    pub incidents: u32,
}

impl DayBar {
    pub fn uptime(&self) -> Option<f64> {
        (self.checks > 0).then(|| {
            f64::from(self.checks.saturating_sub(self.failures)) * 100.0 / f64::from(self.checks)
        })
    }

    /// The day's worst state (see the module docs).
    pub fn health(&self) -> Health {
        match self.uptime() {
            None if self.incidents > 0 => Health::Degraded,
            None => Health::Unknown,
            Some(_) if self.failures == 0 && self.incidents == 0 => Health::Up,
            Some(p) if p >= MINOR_UPTIME => Health::Degraded,
            Some(_) => Health::Down,
        }
    }
}

/// The last [`BAR_DAYS`] days, oldest first, today included: finished days from daily rollups,
/// today from its hours (rolled and current). Edge-path rollups of one monitor.
pub fn day_bars(
    hours: &[Rollup],
    days: &[Rollup],
    incidents: &[PageIncident],
    now: UnixMillis,
) -> Vec<DayBar> {
    let today = Granularity::Day.bucket_start(now);
    (0..BAR_DAYS)
        .rev()
        .map(|back| {
            let day = today - back * DAY;
            let rows: Box<dyn Iterator<Item = &Rollup>> = if day == today {
                Box::new(hours.iter().filter(move |r| r.bucket_start >= today))
            } else {
                Box::new(days.iter().filter(move |r| r.bucket_start == day))
            };
            let (checks, failures) = rows.fold((0u32, 0u32), |(c, f), r| {
                (c.saturating_add(r.checks), f.saturating_add(r.failures))
            });
            let overlapping = incidents
                .iter()
                .filter(|i| i.started_at < day + DAY && i.ended_at.unwrap_or(now) >= day)
                .count();
            DayBar {
                day,
                checks,
                failures,
                incidents: u32::try_from(overlapping).unwrap_or(u32::MAX),
            }
        })
        .collect()
}

/// A bar as the template draws it.
pub(crate) struct BarView {
    pub x: u32,
    pub look: Look,
    /// The `<title>`: "2026-11-21: 99.95% uptime, 1 incident".
    pub title: String,
}

/// Width of one bar and the gap after it, in the SVG's user units.
pub(crate) const BAR_STEP: u32 = 4;

pub(crate) fn bar_views(bars: &[DayBar]) -> Vec<BarView> {
    bars.iter()
        .enumerate()
        .map(|(i, b)| {
            let date = &format_rfc3339(b.day)[..10];
            let uptime = match b.uptime() {
                Some(p) => format!("{} uptime", uptime_text(Some(p))),
                None => "no data".to_string(),
            };
            let incidents = match b.incidents {
                0 => "no incidents".to_string(),
                1 => "1 incident".to_string(),
                n => format!("{n} incidents"),
            };
            let health = b.health();
            BarView {
                x: u32::try_from(i).unwrap_or(0) * BAR_STEP,
                look: look(health),
                title: format!("{date}: {} · {uptime}, {incidents}", look(health).word),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bar(checks: u32, failures: u32, incidents: u32) -> DayBar {
        DayBar {
            day: 0,
            checks,
            failures,
            incidents,
        }
    }

    #[test]
    fn a_day_is_coloured_by_its_worst_state() {
        let cases = [
            (bar(0, 0, 0), Health::Unknown),
            (bar(0, 0, 1), Health::Degraded),
            (bar(1440, 0, 0), Health::Up),
            (bar(1440, 0, 1), Health::Degraded),
            (bar(1440, 14, 0), Health::Degraded),
            (bar(1440, 15, 0), Health::Down),
            (bar(10, 10, 1), Health::Down),
        ];
        for (b, health) in cases {
            assert_eq!(b.health(), health, "{b:?}");
        }
    }
}
