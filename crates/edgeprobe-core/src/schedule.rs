//! The schedule: which monitors are due, what their next due time is, and when the
//! coordinator's next alarm should fire.
//!
//! Owns the interval grid arithmetic. It must not arm alarms, read a clock or store
//! anything: the coordinator (a Durable Object) keeps one [`Entry`] per monitor, calls
//! [`due`] with the alarm's `now`, runs those rounds, stores [`advance`]d due times and arms
//! [`next_alarm`].
//!
//! The grid. A monitor's rounds belong to slots `next_due + k * interval`. When the alarm
//! runs at `now`, the round it runs stands for the slot nearest to `now` (ties go to the
//! earlier slot); every slot before that one since `next_due` is reported as `missed` so the
//! platform can record it (a late alarm never makes rounds silently vanish). The next due time
//! is the slot after the one that ran, which is therefore on the grid, in the future, and at
//! least `interval / 2` after `now`: a late alarm never causes two rounds back to back.
//!
//! Interrupted rounds. The coordinator advances a monitor's due time *before* probing (a slow
//! round must not run twice), so a round cut short by a crash, an eviction or a deploy would
//! vanish. It therefore stores an [`InFlight`] marker per round before probing and deletes it
//! once the round is recorded; [`interrupted`] decides which markers stand for rounds that
//! will never be recorded, and the coordinator records each as a `missed` round. Nothing is
//! re-run: the next slot on the grid is the next chance, as for any other missed slot.

use sha2::{Digest, Sha256};

use crate::time::UnixMillis;

/// One monitor in the coordinator's table (kept in the coordinator object's storage).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Entry {
    pub monitor_id: String,
    /// Validated monitors have >= 30 000 ms; 0 is treated as 1 ms rather than dividing by it.
    pub interval_ms: u64,
    pub next_due: UnixMillis,
    pub paused: bool,
}

/// A round to run now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Due {
    pub monitor_id: String,
    /// The grid slot this round stands for. Usually `<= now`; up to `interval / 2` after
    /// `now` when the alarm is more than half an interval late (the run is nearer that slot).
    pub scheduled_for: UnixMillis,
    /// Slots between the entry's `next_due` and `scheduled_for` that no round ran for,
    /// starting at `next_due`: the platform records each as a missed round.
    pub missed: u32,
}

/// A round started and not yet recorded, kept in the coordinator's storage while it runs.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct InFlight {
    pub monitor_id: String,
    /// The grid slot (or re-check time) the round stands for.
    pub scheduled_for: UnixMillis,
    pub started_at: UnixMillis,
    /// The coordinator instance that started it (a fresh id per object instance).
    pub owner: String,
}

/// How long after it started a round of the current instance is given up on (its recording
/// failed, e.g. D1 was down) and reported missed. Far longer than any round takes: the longest
/// batch deadline is minutes.
pub const IN_FLIGHT_GIVE_UP_MS: i64 = 60 * 60 * 1_000;

/// The markers whose rounds will never be recorded: every marker left by another instance of
/// the object (at most one instance of a Durable Object runs at a time, so the one that wrote
/// it is gone, and its rounds with it), and those of `instance` started more than
/// [`IN_FLIGHT_GIVE_UP_MS`] before `now`. A marker of `instance` younger than that belongs to a
/// round still running in this instance and is left alone.
pub fn interrupted<'a>(
    markers: &'a [InFlight],
    instance: &str,
    now: UnixMillis,
) -> Vec<&'a InFlight> {
    markers
        .iter()
        .filter(|m| m.owner != instance || now.saturating_sub(m.started_at) >= IN_FLIGHT_GIVE_UP_MS)
        .collect()
}

/// Whether a monitor's configuration at `incoming` (its stored version, see
/// `schema/migrations/0002_config_versions.sql`) should replace the coordinator's copy at `stored`. Two PATCHes
/// tell the coordinator in whatever order their requests arrive; the older one must not undo
/// the newer one's `paused` or interval. Equal versions re-apply (idempotent).
pub fn config_supersedes(stored: i64, incoming: i64) -> bool {
    incoming >= stored
}

/// When the alarm should fire if a monitor is already due: soon, but not in a tight loop.
pub const DUE_NOW_DELAY_MS: i64 = 1_000;

fn interval(entry: &Entry) -> i64 {
    i64::try_from(entry.interval_ms).unwrap_or(i64::MAX).max(1)
}

/// The index `k` of the slot `next_due + k * interval` nearest `now` (ties: earlier), for
/// `now >= next_due`; 0 before that.
fn slot_index(next_due: UnixMillis, interval: i64, now: UnixMillis) -> i128 {
    let late = (i128::from(now) - i128::from(next_due)).max(0);
    let i = i128::from(interval);
    let (whole, rest) = (late / i, late % i);
    if rest > i / 2 {
        whole + 1
    } else {
        whole
    }
}

fn slot_time(next_due: UnixMillis, interval: i64, k: i128) -> UnixMillis {
    let t = i128::from(next_due) + k * i128::from(interval);
    i64::try_from(t).unwrap_or(i64::MAX)
}

/// The non-paused entries due at `now` (`next_due <= now`), oldest `next_due` first (ties by
/// monitor id), at most `max`: one alarm does a bounded amount of work; the rest stay due and
/// are returned by the next call (with more `missed` if they wait long enough).
pub fn due(entries: &[Entry], now: UnixMillis, max: usize) -> Vec<Due> {
    let mut ready: Vec<&Entry> = entries
        .iter()
        .filter(|e| !e.paused && e.next_due <= now)
        .collect();
    ready.sort_by(|a, b| (a.next_due, &a.monitor_id).cmp(&(b.next_due, &b.monitor_id)));
    ready
        .into_iter()
        .take(max)
        .map(|e| {
            let i = interval(e);
            let k = slot_index(e.next_due, i, now);
            Due {
                monitor_id: e.monitor_id.clone(),
                scheduled_for: slot_time(e.next_due, i, k),
                missed: u32::try_from(k).unwrap_or(u32::MAX),
            }
        })
        .collect()
}

/// The next due time after a round that started at `ran_at` (pass the `now` given to [`due`],
/// not the time the round finished, or a slow round would push the grid). It is the first
/// slot on the grid of `entry.next_due` that is at least `interval / 2` after `ran_at`:
/// aligned, never in the past, never sooner than half an interval away. A run before
/// `next_due` (a manual check) keeps `next_due` if it is at least half an interval away.
pub fn advance(entry: &Entry, ran_at: UnixMillis) -> UnixMillis {
    let i = interval(entry);
    let earliest = i128::from(ran_at) + i128::from(i / 2);
    let i = i128::from(i);
    let k = if earliest <= i128::from(entry.next_due) {
        0
    } else {
        // ceil((earliest - next_due) / i) with a positive numerator.
        (earliest - i128::from(entry.next_due) + i - 1) / i
    };
    slot_time(entry.next_due, interval(entry), k)
}

/// When the coordinator's alarm should fire: the earliest `next_due` among non-paused
/// entries, or `now + DUE_NOW_DELAY_MS` if one is already due (e.g. left over by `max`).
/// `None` when nothing is scheduled.
pub fn next_alarm(entries: &[Entry], now: UnixMillis) -> Option<UnixMillis> {
    let earliest = entries
        .iter()
        .filter(|e| !e.paused)
        .map(|e| e.next_due)
        .min()?;
    Some(if earliest <= now {
        now.saturating_add(DUE_NOW_DELAY_MS)
    } else {
        earliest
    })
}

/// The first due time of a new monitor: the first instant `>= now` whose offset within the
/// interval (counted from the Unix epoch) equals a per-monitor phase taken from SHA-256 of
/// the id. Deterministic (re-creating the table gives the same times) and spread evenly, so
/// a thousand monitors with the same interval do not fire in the same second. The platform
/// may run a first round at once for a brand-new monitor; this only places it on its grid.
pub fn initial_due(monitor_id: &str, interval_ms: u64, now: UnixMillis) -> UnixMillis {
    let i = i128::from(i64::try_from(interval_ms).unwrap_or(i64::MAX).max(1));
    let digest = Sha256::digest(monitor_id.as_bytes());
    let mut first8 = [0u8; 8];
    first8.copy_from_slice(&digest[..8]);
    let phase = i128::from(u64::from_be_bytes(first8)) % i;
    let now = i128::from(now);
    let base = now - now.rem_euclid(i) + phase;
    let t = if base >= now { base } else { base + i };
    i64::try_from(t).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests;
