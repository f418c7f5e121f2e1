//! Incidents as data: a confirmed outage of one monitor and its timeline.
//!
//! This module owns the shapes the state machine ([`super::confirm`]) hands to the platform in
//! `OpenIncident` / `UpdateIncident` effects. It decides nothing and stores nothing: the
//! platform writes these rows (D1) exactly as given.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::diagnosis::{Severity, Verdict};
use crate::time::UnixMillis;

/// What happened at one point of an incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TimelineKind {
    /// The first failing round (the monitor became suspect).
    Suspected,
    /// A second failing round agreed: the incident opened.
    Confirmed,
    /// Still failing, but for a different reason than before.
    VerdictChanged,
    /// A healthy round while down: counting rounds towards recovery.
    Recovering,
    /// A failing round while recovering: down again (same incident).
    Relapsed,
    /// Enough healthy rounds in a row: the incident closed.
    Resolved,
    /// Too many state changes in the flap window; alerts for this incident are held back.
    FlappingStarted,
    /// The monitor calmed down; alerts flow again.
    FlappingEnded,
}

/// One entry of an incident's timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TimelineEvent {
    pub at: UnixMillis,
    pub kind: TimelineKind,
    /// The round's verdict at that moment.
    pub verdict: Verdict,
    /// The round's summary in plain words.
    pub summary: String,
    /// Regions where the problem showed in that round, sorted.
    pub regions: Vec<String>,
    /// The probe round that caused the event.
    pub round_id: String,
}

/// A confirmed outage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Incident {
    /// Opaque id supplied by the platform (`inc_` + random).
    pub id: String,
    pub monitor_id: String,
    /// The first failing round (before confirmation).
    pub started_at: UnixMillis,
    pub confirmed_at: UnixMillis,
    /// The verdict that confirmed the incident.
    pub verdict: Verdict,
    pub severity: Severity,
    pub summary: String,
    pub regions: Vec<String>,
    /// Oldest first: `suspected`, then `confirmed`.
    pub timeline: Vec<TimelineEvent>,
}
