//! One monitor's alerting state as data: each phase carries only its own facts (a suspicion,
//! an open incident, a recovery count), and the flapping episode is its own value. The
//! transitions live in `confirm`; this module owns the shape and its storage.
//!
//! Storage. The platform keeps the state as JSON (D1 `alert_state.state`), so the shape is a
//! compatibility surface: rows written by one deploy are read by the next. The current shape
//! carries `"version": 2`; a row without a version is the earlier flat shape (one struct with
//! optional fields, written until issue 11), read through [`LegacyAlertState`] into the same
//! meaning (tested against a fixture that code wrote). `{}` is a fresh monitor.

use serde::{Deserialize, Serialize};

use crate::alerting::alert::{Alert, AlertRegion};
use crate::alerting::certs::CertWatch;
use crate::alerting::incident::TimelineEvent;
use crate::diagnosis::{Severity, Verdict};
use crate::time::UnixMillis;

/// Where a monitor stands, without its data (see [`PhaseState`] for the data).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Healthy, or never probed.
    #[default]
    Up,
    /// One failing round; waiting for the re-check to agree.
    Suspect,
    /// Confirmed failing; an incident is open.
    Down,
    /// Healthy rounds seen while an incident is open; counting to `recovery_rounds`.
    Recovering,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Up => "up",
            Phase::Suspect => "suspect",
            Phase::Down => "down",
            Phase::Recovering => "recovering",
        }
    }
}

/// The latest failing round's findings: what incident alerts describe (a reminder sent after
/// an inconclusive round still names the last known cause).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailureSnapshot {
    pub verdict: Verdict,
    pub severity: Severity,
    pub summary: String,
    pub checklist: Vec<String>,
    pub affected_regions: Vec<String>,
    pub regions: Vec<AlertRegion>,
}

/// The phase with the facts that only it has.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(tag = "phase", rename_all = "snake_case")]
pub enum PhaseState {
    #[default]
    Up,
    Suspect {
        /// The failing round that raised the suspicion.
        first_seen_at: UnixMillis,
        /// Its `Suspected` timeline entry, which opens the incident's timeline if confirmed
        /// (absent only in rows of versions that did not keep it).
        suspected: Option<TimelineEvent>,
        /// Absent only in rows of versions that did not keep it.
        last_failure: Option<FailureSnapshot>,
    },
    Down {
        incident: OpenIncident,
    },
    Recovering {
        incident: OpenIncident,
        /// Healthy rounds in a row since the last failing one (at least 1).
        healthy_rounds: u32,
    },
}

/// The incident open from confirmation until resolution (phases `Down` and `Recovering`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenIncident {
    pub id: String,
    /// The first failing round of the episode (the suspicion's).
    pub first_seen_at: UnixMillis,
    pub confirmed_at: UnixMillis,
    /// When the last `Down` or `Reminder` went out; reminders count from here.
    pub last_reminder_at: Option<UnixMillis>,
    /// Failing rounds of the incident, the confirming round included (the hold of a `Down`
    /// while flapping counts these).
    pub down_rounds: u32,
    /// The channels were told the incident is down (so a `Resolved` is owed).
    pub announced_down: bool,
    /// Alerts built for the incident so far (the message-id sequence).
    pub alert_seq: u32,
    /// Absent only in rows of versions that did not keep it.
    pub last_failure: Option<FailureSnapshot>,
}

/// A flapping episode in progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlapEpisode {
    /// When it began (its alerts' dedup key).
    pub since: UnixMillis,
    /// The `Flapping` notice went out (it is muted in maintenance); only then is a
    /// `FlappingEnded` owed.
    pub announced: bool,
}

/// One monitor's alerting state. The platform stores it (JSON, see the module docs) and
/// passes it to `confirm::step` unchanged.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(try_from = "StoredAlertState")]
pub struct AlertState {
    pub phase: PhaseState,
    /// The last round's verdict (`None` before the first round).
    pub verdict: Option<Verdict>,
    /// When each incident within the flap window was confirmed, oldest first (pruned to the
    /// window).
    pub flaps: Vec<UnixMillis>,
    /// The flapping episode in progress, if any.
    pub flapping: Option<FlapEpisode>,
    /// A `Resolved` alert muted by maintenance, sent on the first round after the window (it
    /// outlives its incident, so it is not part of a phase).
    pub pending_resolved: Option<Alert>,
    /// Certificates seen per path and region, and the expiry warnings standing
    /// (`alerting::certs`).
    pub certs: CertWatch,
}

impl AlertState {
    pub fn phase(&self) -> Phase {
        match self.phase {
            PhaseState::Up => Phase::Up,
            PhaseState::Suspect { .. } => Phase::Suspect,
            PhaseState::Down { .. } => Phase::Down,
            PhaseState::Recovering { .. } => Phase::Recovering,
        }
    }

    /// The open incident (`Down` and `Recovering`).
    pub fn incident(&self) -> Option<&OpenIncident> {
        match &self.phase {
            PhaseState::Down { incident } | PhaseState::Recovering { incident, .. } => {
                Some(incident)
            }
            PhaseState::Up | PhaseState::Suspect { .. } => None,
        }
    }

    pub fn incident_id(&self) -> Option<&str> {
        self.incident().map(|i| i.id.as_str())
    }

    /// The first failing round of the current episode (suspicion or incident).
    pub fn first_seen_at(&self) -> Option<UnixMillis> {
        match &self.phase {
            PhaseState::Suspect { first_seen_at, .. } => Some(*first_seen_at),
            _ => self.incident().map(|i| i.first_seen_at),
        }
    }

    pub fn last_failure(&self) -> Option<&FailureSnapshot> {
        match &self.phase {
            PhaseState::Suspect { last_failure, .. } => last_failure.as_ref(),
            _ => self.incident().and_then(|i| i.last_failure.as_ref()),
        }
    }
}

/// The current stored shape (`version` 2), borrowed for writing.
#[derive(Serialize)]
struct CurrentShapeRef<'a> {
    version: u32,
    #[serde(flatten)]
    phase: &'a PhaseState,
    verdict: &'a Option<Verdict>,
    flaps: &'a Vec<UnixMillis>,
    flapping: &'a Option<FlapEpisode>,
    pending_resolved: &'a Option<Alert>,
    #[serde(skip_serializing_if = "CertWatch::is_empty")]
    certs: &'a CertWatch,
}

impl Serialize for AlertState {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        CurrentShapeRef {
            version: CURRENT_VERSION,
            phase: &self.phase,
            verdict: &self.verdict,
            flaps: &self.flaps,
            flapping: &self.flapping,
            pending_resolved: &self.pending_resolved,
            certs: &self.certs,
        }
        .serialize(serializer)
    }
}

const CURRENT_VERSION: u32 = 2;

#[derive(Deserialize)]
struct CurrentShape {
    version: u32,
    #[serde(flatten)]
    phase: PhaseState,
    #[serde(default)]
    verdict: Option<Verdict>,
    #[serde(default)]
    flaps: Vec<UnixMillis>,
    #[serde(default)]
    flapping: Option<FlapEpisode>,
    #[serde(default)]
    pending_resolved: Option<Alert>,
    #[serde(default)]
    certs: CertWatch,
}

/// Any stored row: the current shape (it has a `version`), else the flat shape before it.
#[derive(Deserialize)]
#[serde(untagged)]
enum StoredAlertState {
    Current(CurrentShape),
    Legacy(LegacyAlertState),
}

impl TryFrom<StoredAlertState> for AlertState {
    type Error = String;

    fn try_from(stored: StoredAlertState) -> Result<AlertState, String> {
        match stored {
            StoredAlertState::Current(c) if c.version == CURRENT_VERSION => Ok(AlertState {
                phase: c.phase,
                verdict: c.verdict,
                flaps: c.flaps,
                flapping: c.flapping,
                pending_resolved: c.pending_resolved,
                certs: c.certs,
            }),
            StoredAlertState::Current(c) => Err(format!(
                "alert state version {} is newer than this code ({CURRENT_VERSION})",
                c.version
            )),
            StoredAlertState::Legacy(LegacyAlertState {
                version: Some(v), ..
            }) => Err(format!("alert state of version {v} does not parse")),
            StoredAlertState::Legacy(l) => Ok(l.into()),
        }
    }
}

/// The flat shape stored before version 2: one struct whose fields were meaningful only in
/// some phases (every field defaulted, so `{}` is a fresh monitor; the even older
/// `transitions` field is ignored). Read only.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LegacyAlertState {
    pub phase: Phase,
    pub verdict: Option<Verdict>,
    pub incident_id: Option<String>,
    pub first_seen_at: Option<UnixMillis>,
    pub confirmed_at: Option<UnixMillis>,
    pub last_reminder_at: Option<UnixMillis>,
    pub healthy_rounds: u32,
    pub flaps: Vec<UnixMillis>,
    pub down_rounds: u32,
    pub flapping: bool,
    pub flapping_since: Option<UnixMillis>,
    pub flap_announced: bool,
    pub announced_down: bool,
    pub alert_seq: u32,
    pub suspected: Option<TimelineEvent>,
    pub last_failure: Option<FailureSnapshot>,
    pub pending_resolved: Option<Alert>,
    /// Set only in a current-shape row that did not parse as one (then it is an error, never
    /// read as a flat row).
    version: Option<u32>,
}

/// The flat state's meaning in the phased shape. The old code kept these invariants (the
/// property tests checked the first): an incident id exactly while down or recovering, a
/// first-seen time from suspicion to resolution, a confirmation time while an incident is open,
/// and a flapping start while flapping. A row breaking one (no version wrote such rows) loses
/// the phase it cannot describe: down without an incident reads as up, suspect without a
/// first-seen time as up; a missing time reads as the other one (or 0).
impl From<LegacyAlertState> for AlertState {
    fn from(l: LegacyAlertState) -> AlertState {
        let incident = l.incident_id.map(|id| OpenIncident {
            id,
            first_seen_at: l.first_seen_at.or(l.confirmed_at).unwrap_or(0),
            confirmed_at: l.confirmed_at.or(l.first_seen_at).unwrap_or(0),
            last_reminder_at: l.last_reminder_at,
            down_rounds: l.down_rounds,
            announced_down: l.announced_down,
            alert_seq: l.alert_seq,
            last_failure: l.last_failure.clone(),
        });
        let phase = match (l.phase, incident) {
            (Phase::Suspect, _) => match l.first_seen_at {
                Some(first_seen_at) => PhaseState::Suspect {
                    first_seen_at,
                    suspected: l.suspected,
                    last_failure: l.last_failure,
                },
                None => PhaseState::Up,
            },
            (Phase::Down, Some(incident)) => PhaseState::Down { incident },
            (Phase::Recovering, Some(incident)) => PhaseState::Recovering {
                incident,
                healthy_rounds: l.healthy_rounds,
            },
            (Phase::Up, _) | (Phase::Down | Phase::Recovering, None) => PhaseState::Up,
        };
        AlertState {
            phase,
            verdict: l.verdict,
            flaps: l.flaps,
            flapping: l.flapping.then(|| FlapEpisode {
                since: l.flapping_since.unwrap_or(0),
                announced: l.flap_announced,
            }),
            pending_resolved: l.pending_resolved,
            certs: CertWatch::default(),
        }
    }
}
