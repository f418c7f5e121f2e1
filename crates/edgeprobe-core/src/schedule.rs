//! Interrupted rounds and configuration versions: the bookkeeping that keeps every slot
//! accounted for and every configuration change in order. (Which monitors are due, and when,
//! is `core::tick`.)
//!
//! Interrupted rounds. The coordinator moves its cursor *before* probing (a slow round must
//! not run twice), so a round cut short by a crash, an eviction or a deploy would vanish. It
//! therefore stores the tick's rounds as in-flight before probing and deletes them once
//! recorded; [`interrupted`] decides which stand for rounds that will never be recorded, and
//! the coordinator records each as a `missed` round (unless it was recorded after all).
//! Nothing is re-run: the next slot on the grid is the next chance.
//!
//! Pure: no clock, no storage.

use crate::time::UnixMillis;

/// A round started and not yet recorded (one entry of a tick's in-flight record).
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
/// lane deadline is a minute or two.
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

#[cfg(test)]
mod tests;
