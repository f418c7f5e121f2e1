//! Retention: how long raw samples, hourly and daily rollups are kept, and which hours are
//! complete and due to be rolled up.
//!
//! Owns the cut-off arithmetic and the catch-up bound. It must not delete or query anything:
//! the platform turns [`Cutoffs`] into `DELETE ... WHERE at < ?` statements.

use serde::{Deserialize, Serialize};

use crate::time::{UnixMillis, DAY, HOUR, MINUTE};

use super::floor_to;

/// Days each kind of row is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Retention {
    pub raw_days: u32,
    pub hourly_days: u32,
    pub daily_days: u32,
}

impl Default for Retention {
    fn default() -> Self {
        // A week of raw rounds for incident forensics, a quarter of hours for "last 90 days"
        // bars, and a bit over a year of days for year-on-year uptime.
        Retention {
            raw_days: 7,
            hourly_days: 90,
            daily_days: 400,
        }
    }
}

/// Rows strictly older than these are deleted. Hourly and daily cut-offs are aligned down to
/// their bucket, so a bucket is kept or dropped whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cutoffs {
    /// Raw samples with `at < raw_before` go. Never prune past the last rolled hour: see
    /// [`raw_prune_before`].
    pub raw_before: UnixMillis,
    /// Hourly rollups with `bucket_start < hourly_before` go.
    pub hourly_before: UnixMillis,
    /// Daily rollups with `bucket_start < daily_before` go.
    pub daily_before: UnixMillis,
}

pub fn cutoffs(r: &Retention, now: UnixMillis) -> Cutoffs {
    let ago = |days: u32| now.saturating_sub(i64::from(days).saturating_mul(DAY));
    Cutoffs {
        raw_before: ago(r.raw_days),
        hourly_before: floor_to(ago(r.hourly_days), HOUR),
        daily_before: floor_to(ago(r.daily_days), DAY),
    }
}

/// The raw cut-off that is safe to apply: raw samples are never deleted before their hour
/// has been rolled up (if the roller is behind, raw rows wait for it). `None`: delete nothing
/// (nothing has been rolled yet).
pub fn raw_prune_before(c: &Cutoffs, last_rolled_hour: Option<UnixMillis>) -> Option<UnixMillis> {
    let rolled_until = floor_to(last_rolled_hour?, HOUR).checked_add(HOUR)?;
    Some(c.raw_before.min(rolled_until))
}

/// At most this many hours are returned per [`hours_to_roll`] call, so one invocation has a
/// bounded amount of work; after a long outage of the roller, successive calls (e.g. one per
/// cron tick) catch up 48 hours at a time, oldest first.
pub const MAX_HOURS_PER_CALL: usize = 48;

/// An hour is rolled only this long after it ends, so samples of rounds that started just
/// before the hour boundary (and are written when the round completes) are in.
pub const ROLL_GRACE: i64 = 5 * MINUTE;

/// Starts of the complete hours to roll next, oldest first: those after `last_rolled_hour`
/// that ended at least [`ROLL_GRACE`] before `now`, at most [`MAX_HOURS_PER_CALL`]. With no
/// hour rolled yet, the most recent [`MAX_HOURS_PER_CALL`] complete hours (a new install
/// has no older samples; an older unrolled backlog is not reconstructed).
pub fn hours_to_roll(last_rolled_hour: Option<UnixMillis>, now: UnixMillis) -> Vec<UnixMillis> {
    // The newest hour whose end is at least ROLL_GRACE ago.
    let Some(newest) = now
        .checked_sub(ROLL_GRACE)
        .and_then(|t| floor_to(t, HOUR).checked_sub(HOUR))
    else {
        return Vec::new();
    };
    let first = match last_rolled_hour {
        Some(last) => match floor_to(last, HOUR).checked_add(HOUR) {
            Some(next) => next,
            None => return Vec::new(),
        },
        None => newest.saturating_sub((MAX_HOURS_PER_CALL as i64 - 1) * HOUR),
    };
    (0..MAX_HOURS_PER_CALL as i64)
        .map_while(|i| first.checked_add(i * HOUR))
        .take_while(|&h| h <= newest)
        .collect()
}
