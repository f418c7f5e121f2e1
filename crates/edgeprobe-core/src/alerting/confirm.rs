//! The confirmation state machine: when a failing round becomes an incident and an alert.
//!
//! Per monitor: `Up -> Suspect -> Down (confirmed) -> Recovering -> Up`. This module owns the
//! transitions, flap detection and the muting rules (maintenance, flapping), and nothing else:
//! it is pure and deterministic. The platform passes the stored [`AlertState`], the round's
//! facts and the time in, and gets the next state and a list of [`Effect`]s back. It never
//! reads a clock, makes random ids (the caller supplies one) or performs I/O.
//!
//! Rules, in words:
//! - A round is *failing* when its verdict is a failure and at least `regions_to_agree`
//!   regions are affected (all of the monitor's regions when it has fewer). A failure seen by
//!   too few regions is a blip and counts as healthy, unless the regions that did not answer
//!   could have made up the quorum: then the round is *inconclusive*, as is a round where no
//!   region answered. Inconclusive rounds neither confirm, nor clear, nor count towards recovery.
//! - The first failing round makes the monitor `Suspect` and asks for a re-check. A second
//!   failing round in a row confirms (`Down`, incident opened, `Down` alert). Usually that is
//!   the re-check; a scheduled round counts too, so a lost re-check cannot hide an outage.
//!   [`RoundKind`] is therefore not needed for the decision; it is carried for the records.
//! - While down, a change of verdict updates the incident (and sends `Updated`); a reminder
//!   goes out every `reminder_interval_ms`. `recovery_rounds` healthy rounds in a row close it
//!   (`Resolved`); a failure while recovering returns to `Down` in the same incident.
//! - Flapping counts incidents, not internal transitions: each confirmed `Down` (with its
//!   recovery, one up↔down cycle) is one flap, counted when it is confirmed. Suspect rounds that
//!   the re-check clears, and relapses within an open incident, are not flaps. When an incident
//!   is confirmed while more than `flap_threshold` incidents (itself included) were confirmed
//!   within `flap_window_ms`, the monitor is flapping: one `Flapping` alert is sent, and the
//!   `Down` of each incident confirmed while flapping is held back until the incident has
//!   failed `sustained_down_rounds` rounds (the confirming round counts as the first; a healthy
//!   round that does not close the incident does not reset the count). A sustained `Down` is
//!   therefore always sent, flapping or not, at most `sustained_down_rounds - 1` rounds after
//!   its confirmation (outside maintenance). Short incidents that close before that are recorded, never announced.
//!   An incident whose `Down` was sent is reported fully (`Updated`, `Reminder`, `Resolved`)
//!   whether or not the monitor is flapping; one whose `Down` was not sent produces none of
//!   them. When no incident has been confirmed for a whole window, one `FlappingEnded` alert
//!   says whether the monitor is up or down; if it is down and no `Down` was announced, the
//!   `Down` alert follows right away. `flap_threshold = 0` disables flap detection (and ends
//!   an episode in progress). A `FlappingEnded` is sent only when the `Flapping` notice was
//!   (maintenance may have muted it).
//! - Every `Resolved` follows a sent `Down` of the same incident, and every sent `Down` gets
//!   its `Resolved` when the incident closes (after a maintenance window, if it closed in one).
//! - Maintenance: everything is tracked and recorded, but no `Send` effect is produced. A
//!   monitor still `Down` when the window ends is announced (`Down`) on the first round after
//!   it; a `Resolved` for an incident announced before the window is kept in the state and sent
//!   on the first round after the window. An incident that opened and closed inside the window
//!   is never announced.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::alerting::alert::{alert_regions, message_id, Alert, AlertKind, AlertRegion, Links};
use crate::alerting::incident::{Incident, TimelineEvent, TimelineKind};
use crate::diagnosis::{Diagnosis, Severity, Verdict};
use crate::monitor::Monitor;
use crate::observation::RegionReport;
use crate::time::{UnixMillis, MINUTE};

/// Where a monitor stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, JsonSchema)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct FailureSnapshot {
    pub verdict: Verdict,
    pub severity: Severity,
    pub summary: String,
    pub checklist: Vec<String>,
    pub affected_regions: Vec<String>,
    pub regions: Vec<AlertRegion>,
}

/// One monitor's alerting state. The platform stores it as JSON (per monitor) and passes it to
/// [`step`] unchanged; every field has a default so an empty object `{}` is a fresh monitor.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct AlertState {
    pub phase: Phase,
    /// The last round's verdict (`None` before the first round).
    pub verdict: Option<Verdict>,
    /// The open incident (set from confirmation until resolution).
    pub incident_id: Option<String>,
    /// The first failing round of the current episode (suspect or incident).
    pub first_seen_at: Option<UnixMillis>,
    pub confirmed_at: Option<UnixMillis>,
    /// When the last `Down` or `Reminder` went out; reminders count from here.
    pub last_reminder_at: Option<UnixMillis>,
    /// Healthy rounds in a row while recovering.
    pub healthy_rounds: u32,
    /// When each incident within the flap window was confirmed, oldest first (pruned to the
    /// window). Replaces the former `transitions` (every phase change), which is ignored when
    /// read from an older row.
    pub flaps: Vec<UnixMillis>,
    /// Failing rounds of the open incident, the confirming round included (the hold of a
    /// `Down` while flapping counts these).
    pub down_rounds: u32,
    pub flapping: bool,
    /// When the current flapping episode began (its alerts' dedup key).
    pub flapping_since: Option<UnixMillis>,
    /// The `Flapping` notice went out (it is muted in maintenance); only then is a
    /// `FlappingEnded` owed.
    pub flap_announced: bool,
    /// The channels were told the open incident is down (so a `Resolved` is owed).
    pub announced_down: bool,
    /// Alerts built for the open incident so far (the message-id sequence).
    pub alert_seq: u32,
    /// The `Suspected` timeline entry, kept until the incident opens.
    pub suspected: Option<TimelineEvent>,
    pub last_failure: Option<FailureSnapshot>,
    /// A `Resolved` alert muted by maintenance, sent on the first round after the window.
    pub pending_resolved: Option<Alert>,
}

/// Why the round ran (a `Recheck` is the one asked for by [`Effect::ScheduleRecheck`]); the
/// same enum as the `kind` of the round's row. A `Missed` round is never stepped.
pub use crate::round::RoundKind;

/// One round's facts, as the platform hands them in.
#[derive(Debug, Clone, Copy)]
pub struct RoundInput<'a> {
    pub diagnosis: &'a Diagnosis,
    pub reports: &'a [RegionReport],
    pub kind: RoundKind,
    pub round_id: &'a str,
    pub now: UnixMillis,
    /// URL bases for the links in alerts.
    pub links: &'a Links,
}

/// What the platform must do after a [`step`].
///
/// Calling contract: persist the returned [`AlertState`] and execute every effect, in order.
/// `Send` effects are written to the delivery outbox (one row per channel of the monitor) in
/// the *same* storage batch as the new state and the incident writes, so a crash can neither
/// lose an alert nor send one for a state that was never saved. The outbox then delivers with
/// the alert's `id` as the idempotency key (see `retry`). Steps for one monitor must be run
/// one at a time, each with the state the previous one returned.
// A step returns a handful of effects at most; boxing the big variants would buy nothing and
// make the platform's matching noisier.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Run a `Recheck` round for this monitor at (or soon after) this time.
    ScheduleRecheck { at: UnixMillis },
    /// Insert this incident (with its first timeline entries).
    OpenIncident(Incident),
    /// Append to an open incident's timeline.
    UpdateIncident { incident_id: String, event: TimelineEvent },
    /// Mark the incident closed. `duration_ms` counts from the first failing round.
    CloseIncident {
        incident_id: String,
        ended_at: UnixMillis,
        duration_ms: i64,
    },
    /// Deliver this alert to every enabled channel of the monitor.
    Send(Alert),
}

/// How one round counts for alerting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoundClass {
    Failing,
    Healthy,
    Inconclusive,
}

/// Classifies a round per the module rules.
pub fn classify_round(d: &Diagnosis, monitor: &Monitor) -> RoundClass {
    if d.verdict == Verdict::Inconclusive {
        return RoundClass::Inconclusive;
    }
    if !d.is_failure() {
        return RoundClass::Healthy;
    }
    let configured = monitor.regions.len().max(1);
    let needed = (monitor.confirmation.regions_to_agree.max(1) as usize).min(configured);
    let affected = d.affected_regions.len();
    if affected >= needed {
        RoundClass::Failing
    } else if affected + d.unanswered_regions.len() >= needed {
        RoundClass::Inconclusive
    } else {
        RoundClass::Healthy
    }
}

/// Advances one monitor's state by one round. See the module docs for the rules and
/// [`Effect`] for the calling contract. `new_incident_id` is called only when an incident opens.
pub fn step(
    state: AlertState,
    input: &RoundInput,
    monitor: &Monitor,
    new_incident_id: impl FnOnce() -> String,
) -> (AlertState, Vec<Effect>) {
    let mut s = state;
    let d = input.diagnosis;
    let now = input.now;
    let policy = &monitor.confirmation;
    let class = classify_round(d, monitor);
    let mut confirmed = false;
    let mut fx = Vec::new();
    let mut incident_alerts: Vec<Alert> = Vec::new();
    s.verdict = Some(d.verdict);

    if class == RoundClass::Failing {
        let snapshot = FailureSnapshot {
            verdict: d.verdict,
            severity: d.severity,
            summary: d.summary.clone(),
            checklist: d.checklist.clone(),
            affected_regions: d.affected_regions.clone(),
            regions: alert_regions(input.reports, &d.affected_regions),
        };
        let changed = s.last_failure.as_ref().map(|f| f.verdict) != Some(d.verdict);
        s.last_failure = Some(snapshot);
        match s.phase {
            Phase::Up => {
                s.phase = Phase::Suspect;
                s.first_seen_at = Some(now);
                s.suspected = Some(event(input, TimelineKind::Suspected));
                fx.push(Effect::ScheduleRecheck {
                    at: now.saturating_add(i64::from(policy.recheck_delay_ms)),
                });
            }
            Phase::Suspect => {
                let id = new_incident_id();
                let first_seen = s.first_seen_at.unwrap_or(now);
                let mut timeline: Vec<TimelineEvent> = s.suspected.take().into_iter().collect();
                timeline.push(event(input, TimelineKind::Confirmed));
                fx.push(Effect::OpenIncident(Incident {
                    id: id.clone(),
                    monitor_id: monitor.id.clone(),
                    started_at: first_seen,
                    confirmed_at: now,
                    verdict: d.verdict,
                    severity: d.severity,
                    summary: d.summary.clone(),
                    regions: d.affected_regions.clone(),
                    timeline,
                }));
                s.phase = Phase::Down;
                s.incident_id = Some(id);
                s.first_seen_at = Some(first_seen);
                s.confirmed_at = Some(now);
                s.announced_down = false;
                s.alert_seq = 0;
                s.healthy_rounds = 0;
                s.down_rounds = 1;
                s.flaps.push(now);
                confirmed = true;
            }
            Phase::Down | Phase::Recovering => {
                let relapsed = s.phase == Phase::Recovering;
                s.phase = Phase::Down;
                s.healthy_rounds = 0;
                s.down_rounds = s.down_rounds.saturating_add(1);
                if relapsed || changed {
                    let kind = if relapsed {
                        TimelineKind::Relapsed
                    } else {
                        TimelineKind::VerdictChanged
                    };
                    push_update(&mut fx, &s, event(input, kind));
                }
                if changed && s.announced_down {
                    incident_alerts.push(incident_alert(&mut s, AlertKind::Updated, "down -> down", input, monitor));
                }
            }
        }
    } else if class == RoundClass::Healthy {
        match s.phase {
            Phase::Up => {}
            Phase::Suspect => {
                s.phase = Phase::Up;
                s.first_seen_at = None;
                s.suspected = None;
                s.last_failure = None;
            }
            Phase::Down | Phase::Recovering => {
                if s.phase == Phase::Down {
                    s.phase = Phase::Recovering;
                    s.healthy_rounds = 0;
                    push_update(&mut fx, &s, event(input, TimelineKind::Recovering));
                }
                s.healthy_rounds = s.healthy_rounds.saturating_add(1);
                if s.healthy_rounds >= policy.recovery_rounds {
                    resolve(&mut s, &mut fx, &mut incident_alerts, input, monitor);
                }
            }
        }
    }

    let flap_notice = detect_flapping(&mut s, &mut fx, confirmed, input, monitor);

    if monitor.in_maintenance(now) {
        if flap_notice.as_ref().is_some_and(|n| n.kind == AlertKind::FlappingEnded) {
            // The end was muted; nothing more is owed for this episode.
            s.flap_announced = false;
        }
        // Only an announced incident makes a Resolved; it is owed whatever the flapping.
        if let Some(resolved) = incident_alerts.into_iter().find(|a| a.kind == AlertKind::Resolved) {
            s.pending_resolved = Some(resolved);
        }
        return (s, fx);
    }
    if let Some(pending) = s.pending_resolved.take() {
        fx.push(Effect::Send(pending));
    }
    if let Some(notice) = flap_notice {
        match notice.kind {
            AlertKind::Flapping => {
                s.flap_announced = true;
                fx.push(Effect::Send(notice));
            }
            _ if s.flap_announced => {
                s.flap_announced = false;
                fx.push(Effect::Send(notice));
            }
            _ => {}
        }
    }
    // Alerts about an announced incident (Updated, Resolved) flow whether or not the monitor
    // is flapping: they are only ever built for an incident whose Down was sent.
    fx.extend(incident_alerts.into_iter().map(Effect::Send));
    // While flapping, a new incident is announced only once it has lasted.
    let held = s.flapping && s.down_rounds < policy.sustained_down_rounds;
    if s.phase == Phase::Down && s.incident_id.is_some() {
        if !s.announced_down {
            if held {
                return (s, fx);
            }
            let down = incident_alert(&mut s, AlertKind::Down, "up -> down", input, monitor);
            fx.push(Effect::Send(down));
            s.announced_down = true;
            s.last_reminder_at = Some(now);
        } else if reminder_due(&s, policy.reminder_interval_ms, now) {
            let reminder = incident_alert(&mut s, AlertKind::Reminder, "down -> down", input, monitor);
            fx.push(Effect::Send(reminder));
            s.last_reminder_at = Some(now);
        }
    }
    (s, fx)
}

fn reminder_due(s: &AlertState, interval_ms: u64, now: UnixMillis) -> bool {
    let interval = i64::try_from(interval_ms).unwrap_or(i64::MAX);
    interval > 0 && s.last_reminder_at.is_some_and(|last| now.saturating_sub(last) >= interval)
}

fn event(input: &RoundInput, kind: TimelineKind) -> TimelineEvent {
    TimelineEvent {
        at: input.now,
        kind,
        verdict: input.diagnosis.verdict,
        summary: input.diagnosis.summary.clone(),
        regions: input.diagnosis.affected_regions.clone(),
        round_id: input.round_id.to_string(),
    }
}

fn push_update(fx: &mut Vec<Effect>, s: &AlertState, event: TimelineEvent) {
    if let Some(id) = &s.incident_id {
        fx.push(Effect::UpdateIncident {
            incident_id: id.clone(),
            event,
        });
    }
}

/// Closes the open incident and returns the state to `Up`; a `Resolved` alert is owed only if
/// the `Down` was announced.
fn resolve(s: &mut AlertState, fx: &mut Vec<Effect>, alerts: &mut Vec<Alert>, input: &RoundInput, monitor: &Monitor) {
    push_update(fx, s, event(input, TimelineKind::Resolved));
    let first_seen = s.first_seen_at.unwrap_or(input.now);
    if let Some(id) = s.incident_id.clone() {
        fx.push(Effect::CloseIncident {
            incident_id: id,
            ended_at: input.now,
            duration_ms: input.now.saturating_sub(first_seen),
        });
    }
    if s.announced_down {
        alerts.push(incident_alert(s, AlertKind::Resolved, "down -> up", input, monitor));
    }
    s.phase = Phase::Up;
    s.incident_id = None;
    s.first_seen_at = None;
    s.confirmed_at = None;
    s.last_reminder_at = None;
    s.healthy_rounds = 0;
    s.down_rounds = 0;
    s.announced_down = false;
    s.alert_seq = 0;
    s.suspected = None;
    s.last_failure = None;
}

/// Updates the flapping flag; returns the `Flapping` / `FlappingEnded` notice if one is due.
/// `confirmed`: an incident was confirmed in this step (and recorded in `s.flaps`).
fn detect_flapping(s: &mut AlertState, fx: &mut Vec<Effect>, confirmed: bool, input: &RoundInput, monitor: &Monitor) -> Option<Alert> {
    let policy = &monitor.confirmation;
    let window = i64::try_from(policy.flap_window_ms).unwrap_or(i64::MAX);
    let now = input.now;
    s.flaps.retain(|&t| now.saturating_sub(t) < window);
    let window_min = window / MINUTE;
    let enabled = policy.flap_threshold > 0;
    if enabled && confirmed && !s.flapping && s.flaps.len() > policy.flap_threshold as usize {
        s.flapping = true;
        s.flapping_since = Some(now);
        push_update(fx, s, event(input, TimelineKind::FlappingStarted));
        let summary = format!(
            "{} had {} outages within {window_min} min. Short outages are not paged until none has started for {window_min} min; \
an outage that lasts {} rounds is always paged.",
            monitor.name,
            s.flaps.len(),
            policy.sustained_down_rounds
        );
        return Some(flap_alert(
            s,
            AlertKind::Flapping,
            "up -> flapping",
            Severity::Warning,
            summary,
            input,
            monitor,
        ));
    }
    if s.flapping && (s.flaps.is_empty() || !enabled) {
        s.flapping = false;
        push_update(fx, s, event(input, TimelineKind::FlappingEnded));
        let down = matches!(s.phase, Phase::Down | Phase::Recovering);
        let (word, severity) = if down {
            ("down", Severity::Warning)
        } else {
            ("up", Severity::Info)
        };
        let summary = if enabled {
            format!(
                "{} has had no new outage for {window_min} min and is {word} now. Every outage is paged again.",
                monitor.name
            )
        } else {
            format!(
                "Flap detection was turned off for {}; it is {word} now. Every outage is paged again.",
                monitor.name
            )
        };
        let notice = flap_alert(
            s,
            AlertKind::FlappingEnded,
            &format!("flapping -> {word}"),
            severity,
            summary,
            input,
            monitor,
        );
        s.flapping_since = None;
        return Some(notice);
    }
    None
}

fn flap_alert(
    s: &AlertState,
    kind: AlertKind,
    state_change: &str,
    severity: Severity,
    summary: String,
    input: &RoundInput,
    monitor: &Monitor,
) -> Alert {
    let dedup_key = format!("flap_{}_{}", monitor.id, s.flapping_since.unwrap_or(input.now));
    let verdict = s.last_failure.as_ref().map_or(input.diagnosis.verdict, |f| f.verdict);
    Alert {
        id: message_id(&dedup_key, kind, 0),
        kind,
        at: input.now,
        dedup_key,
        monitor_id: monitor.id.clone(),
        monitor_name: monitor.name.clone(),
        monitor_url: monitor.url.clone(),
        incident_id: s.incident_id.clone(),
        state_change: state_change.to_string(),
        verdict,
        summary,
        checklist: Vec::new(),
        severity,
        first_seen_at: s.first_seen_at,
        confirmed_at: s.confirmed_at,
        resolved_at: None,
        regions: Vec::new(),
        links: input.links.for_monitor(monitor, verdict),
    }
}

/// An alert about the open incident, described by the last failing round's findings.
fn incident_alert(s: &mut AlertState, kind: AlertKind, state_change: &str, input: &RoundInput, monitor: &Monitor) -> Alert {
    let d = input.diagnosis;
    let incident_id = s.incident_id.clone().unwrap_or_default();
    let seq = s.alert_seq;
    s.alert_seq = s.alert_seq.saturating_add(1);
    let failure = s.last_failure.clone().unwrap_or_else(|| FailureSnapshot {
        verdict: d.verdict,
        severity: d.severity,
        summary: d.summary.clone(),
        checklist: d.checklist.clone(),
        affected_regions: d.affected_regions.clone(),
        regions: alert_regions(input.reports, &d.affected_regions),
    });
    let (summary, severity, checklist, regions, resolved_at) = if kind == AlertKind::Resolved {
        let minutes = input.now.saturating_sub(s.first_seen_at.unwrap_or(input.now)) / MINUTE;
        (
            format!(
                "{} is healthy again after {minutes} min. The cause was: {}",
                monitor.name, failure.summary
            ),
            Severity::Ok,
            Vec::new(),
            alert_regions(input.reports, &d.healthy_regions),
            Some(input.now),
        )
    } else {
        (failure.summary, failure.severity, failure.checklist, failure.regions, None)
    };
    Alert {
        id: message_id(&incident_id, kind, seq),
        kind,
        at: input.now,
        dedup_key: incident_id.clone(),
        monitor_id: monitor.id.clone(),
        monitor_name: monitor.name.clone(),
        monitor_url: monitor.url.clone(),
        incident_id: Some(incident_id),
        state_change: state_change.to_string(),
        verdict: failure.verdict,
        summary,
        checklist,
        severity,
        first_seen_at: s.first_seen_at,
        confirmed_at: s.confirmed_at,
        resolved_at,
        regions,
        links: input.links.for_monitor(monitor, failure.verdict),
    }
}
