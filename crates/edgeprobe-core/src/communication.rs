//! Incident communication: what operators tell visitors about an incident (issue 15).
//!
//! Two kinds of incident carry operator updates:
//! - an **automatic** incident, opened and closed by the confirmation state machine
//!   (`alerting::confirm`) from the probes' rounds. An operator update on it is commentary
//!   ("we found the cause, a fix is rolling out"): it never opens, closes or reopens it. The
//!   state `resolved` is refused while the probes still see the incident open (the page would
//!   say "resolved" over a red monitor; the incident closes by itself when the checks recover).
//!   Once it is closed any state is accepted (a postmortem note).
//! - a **manual** incident, opened by an operator through the API, for what the probes cannot
//!   see (a degraded feature, a third-party outage), tied to zero monitors (site-wide) or some.
//!   Its state is that of its latest update, and `resolved` closes it. A resolved manual
//!   incident takes no more updates: a new problem is a new incident.
//!
//! This module decides which update is allowed and what it does ([`decide_update`]); it owns
//! the shapes the platform stores. It does no I/O and reads no clock: `at` is given.
//! Operator updates never notify alert channels: they are written for visitors, and the
//! on-call people who posted them already know (docs/status-page.md).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::time::UnixMillis;

/// The stage an incident is in, as the operator says (Statuspage's four words).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum UpdateState {
    /// Something is wrong; the cause is not known yet.
    Investigating,
    /// The cause is known; a fix is being worked on.
    Identified,
    /// A fix is in place; watching that it holds.
    Monitoring,
    /// Over.
    Resolved,
}

impl UpdateState {
    pub const ALL: [UpdateState; 4] = [
        UpdateState::Investigating,
        UpdateState::Identified,
        UpdateState::Monitoring,
        UpdateState::Resolved,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            UpdateState::Investigating => "investigating",
            UpdateState::Identified => "identified",
            UpdateState::Monitoring => "monitoring",
            UpdateState::Resolved => "resolved",
        }
    }

    pub fn parse(s: &str) -> Option<UpdateState> {
        UpdateState::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// The word a visitor reads ("Identified").
    pub fn title(self) -> &'static str {
        match self {
            UpdateState::Investigating => "Investigating",
            UpdateState::Identified => "Identified",
            UpdateState::Monitoring => "Monitoring",
            UpdateState::Resolved => "Resolved",
        }
    }
}

/// How much a manual incident affects visitors; it sets the page's overall state while the
/// incident is open (minor → degraded performance, major → partial outage, critical → major
/// outage), since the probes cannot see what a manual incident is about.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Impact {
    Minor,
    Major,
    Critical,
}

impl Impact {
    pub const ALL: [Impact; 3] = [Impact::Minor, Impact::Major, Impact::Critical];

    pub fn as_str(self) -> &'static str {
        match self {
            Impact::Minor => "minor",
            Impact::Major => "major",
            Impact::Critical => "critical",
        }
    }

    pub fn parse(s: &str) -> Option<Impact> {
        Impact::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// One operator update of an incident (automatic or manual).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct IncidentUpdate {
    /// Opaque id (`upd_` + random).
    pub id: String,
    pub incident_id: String,
    pub at: UnixMillis,
    pub state: UpdateState,
    /// Written by an operator for visitors: public wherever the incident is.
    pub message: String,
}

/// An incident opened by an operator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ManualIncident {
    /// Opaque id (`inc_` + random), from the same space as automatic incidents.
    pub id: String,
    pub title: String,
    /// The monitors it concerns; empty: site-wide.
    pub monitor_ids: Vec<String>,
    pub impact: Impact,
    /// The state of the latest update.
    pub state: UpdateState,
    pub opened_at: UnixMillis,
    /// Set by the `resolved` update.
    pub closed_at: Option<UnixMillis>,
}

impl ManualIncident {
    /// A new manual incident and its first update (the state and message it was opened with).
    /// Opening one already `resolved` (a retroactive record) closes it at once.
    pub fn open(
        id: String,
        update_id: String,
        new: NewManualIncident,
        at: UnixMillis,
    ) -> (ManualIncident, IncidentUpdate) {
        let update = IncidentUpdate {
            id: update_id,
            incident_id: id.clone(),
            at,
            state: new.state,
            message: new.message,
        };
        let incident = ManualIncident {
            id,
            title: new.title,
            monitor_ids: new.monitor_ids,
            impact: new.impact,
            state: new.state,
            opened_at: at,
            closed_at: (new.state == UpdateState::Resolved).then_some(at),
        };
        (incident, update)
    }
}

/// A checked create body of a manual incident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewManualIncident {
    pub title: String,
    pub monitor_ids: Vec<String>,
    pub impact: Impact,
    pub state: UpdateState,
    pub message: String,
}

/// The incident an update is posted to, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// An automatic incident; `open`: the probes have not closed it.
    Automatic { open: bool },
    /// A manual incident; `resolved`: its `resolved` update was posted.
    Manual { resolved: bool },
}

/// What an accepted update does besides being recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// Commentary only (automatic incidents, and manual updates that do not resolve).
    Recorded,
    /// The manual incident takes the update's state.
    SetState(UpdateState),
    /// The manual incident takes the state `resolved` and closes at the update's time.
    Close,
}

/// Why an update is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// `resolved` on an automatic incident the probes still see open.
    ProbesStillFailing,
    /// Any update on a manual incident already resolved.
    AlreadyResolved,
}

impl Refused {
    /// Why, in a sentence for the API's problem detail.
    pub fn detail(self) -> &'static str {
        match self {
            Refused::ProbesStillFailing => {
                "an automatic incident closes when the checks recover; post `monitoring` instead"
            }
            Refused::AlreadyResolved => {
                "the incident is resolved; open a new incident for a new problem"
            }
        }
    }
}

/// Decides an update's effect on its incident (see the module docs for the rules).
pub fn decide_update(target: Target, state: UpdateState) -> Result<Applied, Refused> {
    match target {
        Target::Automatic { open: true } if state == UpdateState::Resolved => {
            Err(Refused::ProbesStillFailing)
        }
        Target::Automatic { .. } => Ok(Applied::Recorded),
        Target::Manual { resolved: true } => Err(Refused::AlreadyResolved),
        Target::Manual { resolved: false } if state == UpdateState::Resolved => Ok(Applied::Close),
        Target::Manual { resolved: false } => Ok(Applied::SetState(state)),
    }
}

impl ManualIncident {
    /// The incident after an accepted update at `at`.
    pub fn apply(&mut self, applied: Applied, at: UnixMillis) {
        match applied {
            Applied::Recorded => {}
            Applied::SetState(s) => self.state = s,
            Applied::Close => {
                self.state = UpdateState::Resolved;
                self.closed_at = Some(at);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The transitions, as a table: (incident, posted state, outcome).
    #[test]
    fn which_updates_are_accepted_and_what_they_do() {
        use UpdateState::*;
        let open_auto = Target::Automatic { open: true };
        let closed_auto = Target::Automatic { open: false };
        let open_manual = Target::Manual { resolved: false };
        let done_manual = Target::Manual { resolved: true };
        let cases = [
            (open_auto, Investigating, Ok(Applied::Recorded)),
            (open_auto, Identified, Ok(Applied::Recorded)),
            (open_auto, Monitoring, Ok(Applied::Recorded)),
            (open_auto, Resolved, Err(Refused::ProbesStillFailing)),
            (closed_auto, Resolved, Ok(Applied::Recorded)),
            (closed_auto, Investigating, Ok(Applied::Recorded)),
            (open_manual, Identified, Ok(Applied::SetState(Identified))),
            (open_manual, Monitoring, Ok(Applied::SetState(Monitoring))),
            (open_manual, Resolved, Ok(Applied::Close)),
            (done_manual, Investigating, Err(Refused::AlreadyResolved)),
            (done_manual, Resolved, Err(Refused::AlreadyResolved)),
        ];
        for (target, state, want) in cases {
            assert_eq!(decide_update(target, state), want, "{target:?} {state:?}");
        }
    }

    /// A manual incident walks investigating → identified → resolved and then takes no more.
    #[test]
    fn a_manual_incident_closes_on_resolved() {
        let new = NewManualIncident {
            title: "Login emails delayed".into(),
            monitor_ids: vec![],
            impact: Impact::Minor,
            state: UpdateState::Investigating,
            message: "Some login emails arrive late.".into(),
        };
        let (mut inc, first) = ManualIncident::open("inc_1".into(), "upd_1".into(), new, 1_000);
        assert_eq!(
            (inc.state, inc.closed_at),
            (UpdateState::Investigating, None)
        );
        assert_eq!((first.incident_id.as_str(), first.at), ("inc_1", 1_000));
        let target = |i: &ManualIncident| Target::Manual {
            resolved: i.closed_at.is_some(),
        };
        let a = decide_update(target(&inc), UpdateState::Identified).expect("accepted");
        inc.apply(a, 2_000);
        assert_eq!((inc.state, inc.closed_at), (UpdateState::Identified, None));
        let a = decide_update(target(&inc), UpdateState::Resolved).expect("accepted");
        inc.apply(a, 3_000);
        assert_eq!(
            (inc.state, inc.closed_at),
            (UpdateState::Resolved, Some(3_000))
        );
        assert_eq!(
            decide_update(target(&inc), UpdateState::Monitoring),
            Err(Refused::AlreadyResolved)
        );
    }

    #[test]
    fn opening_resolved_records_a_closed_incident() {
        let new = NewManualIncident {
            title: "Outage last night".into(),
            monitor_ids: vec!["mon_1".into()],
            impact: Impact::Major,
            state: UpdateState::Resolved,
            message: "Between 02:00 and 02:20 UTC the API answered errors.".into(),
        };
        let (inc, _) = ManualIncident::open("inc_2".into(), "upd_2".into(), new, 5_000);
        assert_eq!(inc.closed_at, Some(5_000));
    }

    #[test]
    fn states_and_impacts_round_trip_their_names() {
        for s in UpdateState::ALL {
            assert_eq!(UpdateState::parse(s.as_str()), Some(s));
            let json = serde_json::to_string(&s).expect("serializes");
            assert_eq!(json, format!("\"{}\"", s.as_str()));
        }
        for i in Impact::ALL {
            assert_eq!(Impact::parse(i.as_str()), Some(i));
        }
        assert_eq!(UpdateState::parse("fixed"), None);
    }
}
