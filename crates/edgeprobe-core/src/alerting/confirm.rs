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

use crate::alerting::alert::{alert_regions, message_id, Alert, AlertKind, Links};
use crate::alerting::incident::{Incident, TimelineEvent, TimelineKind};
use crate::alerting::payload::duration_words;
use crate::diagnosis::{Diagnosis, Severity, Verdict};
use crate::monitor::Monitor;
use crate::observation::RegionReport;
use crate::time::{UnixMillis, MINUTE};

pub use crate::alerting::state::{
    AlertState, FailureSnapshot, FlapEpisode, OpenIncident, Phase, PhaseState,
};

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
    UpdateIncident {
        incident_id: String,
        event: TimelineEvent,
    },
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
    let mut fx = Vec::new();
    let mut incident_alerts: Vec<Alert> = Vec::new();
    s.verdict = Some(d.verdict);

    let phase = std::mem::take(&mut s.phase);
    let mut confirmed = false;
    s.phase = match classify_round(d, monitor) {
        RoundClass::Failing => {
            let snapshot = FailureSnapshot {
                verdict: d.verdict,
                severity: d.severity,
                summary: d.summary(),
                checklist: d.checklist(),
                affected_regions: d.affected_regions.clone(),
                regions: alert_regions(input.reports, &d.affected_regions),
            };
            match phase {
                PhaseState::Up => {
                    fx.push(Effect::ScheduleRecheck {
                        at: now.saturating_add(i64::from(policy.recheck_delay_ms)),
                    });
                    PhaseState::Suspect {
                        first_seen_at: now,
                        suspected: Some(event(input, TimelineKind::Suspected)),
                        last_failure: Some(snapshot),
                    }
                }
                PhaseState::Suspect {
                    first_seen_at,
                    suspected,
                    ..
                } => {
                    let id = new_incident_id();
                    let mut timeline: Vec<TimelineEvent> = suspected.into_iter().collect();
                    timeline.push(event(input, TimelineKind::Confirmed));
                    fx.push(Effect::OpenIncident(Incident {
                        id: id.clone(),
                        monitor_id: monitor.id.clone(),
                        started_at: first_seen_at,
                        confirmed_at: now,
                        verdict: d.verdict,
                        severity: d.severity,
                        summary: d.summary(),
                        regions: d.affected_regions.clone(),
                        timeline,
                    }));
                    s.flaps.push(now);
                    confirmed = true;
                    PhaseState::Down {
                        incident: OpenIncident {
                            id,
                            first_seen_at,
                            confirmed_at: now,
                            last_reminder_at: None,
                            down_rounds: 1,
                            announced_down: false,
                            alert_seq: 0,
                            last_failure: Some(snapshot),
                        },
                    }
                }
                PhaseState::Down { incident } => fail_again(
                    incident,
                    false,
                    snapshot,
                    &mut fx,
                    &mut incident_alerts,
                    input,
                    monitor,
                ),
                PhaseState::Recovering { incident, .. } => fail_again(
                    incident,
                    true,
                    snapshot,
                    &mut fx,
                    &mut incident_alerts,
                    input,
                    monitor,
                ),
            }
        }
        RoundClass::Healthy => match phase {
            PhaseState::Up | PhaseState::Suspect { .. } => PhaseState::Up,
            PhaseState::Down { incident } => {
                fx.push(update(&incident, event(input, TimelineKind::Recovering)));
                recover(incident, 0, &mut fx, &mut incident_alerts, input, monitor)
            }
            PhaseState::Recovering {
                incident,
                healthy_rounds,
            } => recover(
                incident,
                healthy_rounds,
                &mut fx,
                &mut incident_alerts,
                input,
                monitor,
            ),
        },
        RoundClass::Inconclusive => phase,
    };

    let flap_notice = detect_flapping(&mut s, &mut fx, confirmed, input, monitor);

    if monitor.in_maintenance(now) {
        // A muted `Flapping` leaves its episode unannounced, so its end is owed nothing; a
        // muted `FlappingEnded` ends the episode all the same. Only an announced incident makes
        // a Resolved; it is owed whatever the flapping.
        if let Some(resolved) = incident_alerts
            .into_iter()
            .find(|a| a.kind == AlertKind::Resolved)
        {
            s.pending_resolved = Some(resolved);
        }
        return (s, fx);
    }
    if let Some(pending) = s.pending_resolved.take() {
        fx.push(Effect::Send(pending));
    }
    match flap_notice {
        Some(FlapNotice::Started(notice)) => {
            if let Some(episode) = &mut s.flapping {
                episode.announced = true;
            }
            fx.push(Effect::Send(notice));
        }
        Some(FlapNotice::Ended { notice, owed: true }) => fx.push(Effect::Send(notice)),
        Some(FlapNotice::Ended { owed: false, .. }) | None => {}
    }
    // Alerts about an announced incident (Updated, Resolved) flow whether or not the monitor
    // is flapping: they are only ever built for an incident whose Down was sent.
    fx.extend(incident_alerts.into_iter().map(Effect::Send));
    let flapping = s.flapping.is_some();
    if let PhaseState::Down { incident } = &mut s.phase {
        if !incident.announced_down {
            // While flapping, a new incident is announced only once it has lasted.
            let held = flapping && incident.down_rounds < policy.sustained_down_rounds;
            if !held {
                let down = incident_alert(incident, AlertKind::Down, "up -> down", input, monitor);
                fx.push(Effect::Send(down));
                incident.announced_down = true;
                incident.last_reminder_at = Some(now);
            }
        } else if reminder_due(incident.last_reminder_at, policy.reminder_interval_ms, now) {
            let reminder = incident_alert(
                incident,
                AlertKind::Reminder,
                "down -> down",
                input,
                monitor,
            );
            fx.push(Effect::Send(reminder));
            incident.last_reminder_at = Some(now);
        }
    }
    (s, fx)
}

/// A failing round while an incident is open: back to (or still) `Down`; a relapse or a new
/// verdict is recorded, and a new verdict of an announced incident is sent as `Updated`.
fn fail_again(
    mut incident: OpenIncident,
    relapsed: bool,
    snapshot: FailureSnapshot,
    fx: &mut Vec<Effect>,
    alerts: &mut Vec<Alert>,
    input: &RoundInput,
    monitor: &Monitor,
) -> PhaseState {
    let changed =
        incident.last_failure.as_ref().map(|f| f.verdict) != Some(input.diagnosis.verdict);
    incident.last_failure = Some(snapshot);
    incident.down_rounds = incident.down_rounds.saturating_add(1);
    if relapsed || changed {
        let kind = if relapsed {
            TimelineKind::Relapsed
        } else {
            TimelineKind::VerdictChanged
        };
        fx.push(update(&incident, event(input, kind)));
    }
    if changed && incident.announced_down {
        alerts.push(incident_alert(
            &mut incident,
            AlertKind::Updated,
            "down -> down",
            input,
            monitor,
        ));
    }
    PhaseState::Down { incident }
}

/// A healthy round while an incident is open (`healthy_rounds` before it): still recovering,
/// or resolved once `recovery_rounds` healthy rounds in a row were seen.
fn recover(
    incident: OpenIncident,
    healthy_rounds: u32,
    fx: &mut Vec<Effect>,
    alerts: &mut Vec<Alert>,
    input: &RoundInput,
    monitor: &Monitor,
) -> PhaseState {
    let healthy_rounds = healthy_rounds.saturating_add(1);
    if healthy_rounds >= monitor.confirmation.recovery_rounds {
        resolve(incident, fx, alerts, input, monitor);
        PhaseState::Up
    } else {
        PhaseState::Recovering {
            incident,
            healthy_rounds,
        }
    }
}

fn reminder_due(last_reminder_at: Option<UnixMillis>, interval_ms: u64, now: UnixMillis) -> bool {
    let interval = i64::try_from(interval_ms).unwrap_or(i64::MAX);
    interval > 0 && last_reminder_at.is_some_and(|last| now.saturating_sub(last) >= interval)
}

fn event(input: &RoundInput, kind: TimelineKind) -> TimelineEvent {
    TimelineEvent {
        at: input.now,
        kind,
        verdict: input.diagnosis.verdict,
        summary: input.diagnosis.summary(),
        regions: input.diagnosis.affected_regions.clone(),
        round_id: input.round_id.to_string(),
    }
}

fn update(incident: &OpenIncident, event: TimelineEvent) -> Effect {
    Effect::UpdateIncident {
        incident_id: incident.id.clone(),
        event,
    }
}

/// Closes the incident (the caller returns the state to `Up`); a `Resolved` alert is owed
/// only if the `Down` was announced.
fn resolve(
    mut incident: OpenIncident,
    fx: &mut Vec<Effect>,
    alerts: &mut Vec<Alert>,
    input: &RoundInput,
    monitor: &Monitor,
) {
    fx.push(update(&incident, event(input, TimelineKind::Resolved)));
    fx.push(Effect::CloseIncident {
        incident_id: incident.id.clone(),
        ended_at: input.now,
        duration_ms: input.now.saturating_sub(incident.first_seen_at),
    });
    if incident.announced_down {
        alerts.push(incident_alert(
            &mut incident,
            AlertKind::Resolved,
            "down -> up",
            input,
            monitor,
        ));
    }
}

/// A change of flapping found by [`detect_flapping`].
enum FlapNotice {
    /// An episode began: its `Flapping` notice.
    Started(Alert),
    /// The episode ended (it is gone from the state): its `FlappingEnded` notice, owed only if
    /// the `Flapping` one went out.
    Ended { notice: Alert, owed: bool },
}

/// Starts or ends the flapping episode; returns its notice if one is due. `confirmed`: an
/// incident was confirmed in this step (and recorded in `s.flaps`).
fn detect_flapping(
    s: &mut AlertState,
    fx: &mut Vec<Effect>,
    confirmed: bool,
    input: &RoundInput,
    monitor: &Monitor,
) -> Option<FlapNotice> {
    let policy = &monitor.confirmation;
    let window = i64::try_from(policy.flap_window_ms).unwrap_or(i64::MAX);
    let now = input.now;
    s.flaps.retain(|&t| now.saturating_sub(t) < window);
    let window_min = window / MINUTE;
    let enabled = policy.flap_threshold > 0;
    if enabled
        && confirmed
        && s.flapping.is_none()
        && s.flaps.len() > policy.flap_threshold as usize
    {
        s.flapping = Some(FlapEpisode {
            since: now,
            announced: false,
        });
        if let Some(incident) = s.incident() {
            fx.push(update(
                incident,
                event(input, TimelineKind::FlappingStarted),
            ));
        }
        let summary = format!(
            "{} had {} outages within {window_min} min. Short outages are not paged until none has started for {window_min} min; \
an outage that lasts {} rounds is always paged.",
            monitor.name,
            s.flaps.len(),
            policy.sustained_down_rounds
        );
        return Some(FlapNotice::Started(flap_alert(
            s,
            now,
            AlertKind::Flapping,
            "up -> flapping",
            Severity::Warning,
            summary,
            input,
            monitor,
        )));
    }
    let episode = s.flapping?;
    if !s.flaps.is_empty() && enabled {
        return None;
    }
    s.flapping = None;
    if let Some(incident) = s.incident() {
        fx.push(update(incident, event(input, TimelineKind::FlappingEnded)));
    }
    let down = matches!(
        s.phase,
        PhaseState::Down { .. } | PhaseState::Recovering { .. }
    );
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
        episode.since,
        AlertKind::FlappingEnded,
        &format!("flapping -> {word}"),
        severity,
        summary,
        input,
        monitor,
    );
    Some(FlapNotice::Ended {
        notice,
        owed: episode.announced,
    })
}

/// A notice about the flapping episode that began at `since`.
#[allow(clippy::too_many_arguments)]
fn flap_alert(
    s: &AlertState,
    since: UnixMillis,
    kind: AlertKind,
    state_change: &str,
    severity: Severity,
    summary: String,
    input: &RoundInput,
    monitor: &Monitor,
) -> Alert {
    let dedup_key = format!("flap_{}_{since}", monitor.id);
    let verdict = s
        .last_failure()
        .map_or(input.diagnosis.verdict, |f| f.verdict);
    Alert {
        id: message_id(&dedup_key, kind, 0),
        kind,
        at: input.now,
        dedup_key,
        monitor_id: monitor.id.clone(),
        monitor_name: monitor.name.clone(),
        monitor_url: monitor.url.clone(),
        incident_id: s.incident_id().map(str::to_string),
        state_change: state_change.to_string(),
        verdict,
        summary,
        checklist: Vec::new(),
        severity,
        first_seen_at: s.first_seen_at(),
        confirmed_at: s.incident().map(|i| i.confirmed_at),
        resolved_at: None,
        regions: Vec::new(),
        regions_total: region_count(monitor),
        links: input.links.for_monitor(monitor, verdict),
        certificate: None,
    }
}

/// An alert about the open incident, described by the last failing round's findings.
fn incident_alert(
    incident: &mut OpenIncident,
    kind: AlertKind,
    state_change: &str,
    input: &RoundInput,
    monitor: &Monitor,
) -> Alert {
    let d = input.diagnosis;
    let seq = incident.alert_seq;
    incident.alert_seq = incident.alert_seq.saturating_add(1);
    let failure = incident
        .last_failure
        .clone()
        .unwrap_or_else(|| FailureSnapshot {
            verdict: d.verdict,
            severity: d.severity,
            summary: d.summary(),
            checklist: d.checklist(),
            affected_regions: d.affected_regions.clone(),
            regions: alert_regions(input.reports, &d.affected_regions),
        });
    let (summary, severity, checklist, regions, resolved_at) = if kind == AlertKind::Resolved {
        let down_for = duration_words(input.now.saturating_sub(incident.first_seen_at));
        (
            format!(
                "{} is healthy again after {down_for}. The cause was: {}",
                monitor.name, failure.summary
            ),
            Severity::Ok,
            Vec::new(),
            alert_regions(input.reports, &d.healthy_regions),
            Some(input.now),
        )
    } else {
        (
            failure.summary,
            failure.severity,
            failure.checklist,
            failure.regions,
            None,
        )
    };
    Alert {
        id: message_id(&incident.id, kind, seq),
        kind,
        at: input.now,
        dedup_key: incident.id.clone(),
        monitor_id: monitor.id.clone(),
        monitor_name: monitor.name.clone(),
        monitor_url: monitor.url.clone(),
        incident_id: Some(incident.id.clone()),
        state_change: state_change.to_string(),
        verdict: failure.verdict,
        summary,
        checklist,
        severity,
        first_seen_at: Some(incident.first_seen_at),
        confirmed_at: Some(incident.confirmed_at),
        resolved_at,
        regions,
        regions_total: region_count(monitor),
        links: input.links.for_monitor(monitor, failure.verdict),
        certificate: None,
    }
}

/// The regions the monitor probes, for "3 of 4 regions" in alert texts.
fn region_count(monitor: &Monitor) -> u32 {
    u32::try_from(monitor.regions.len()).unwrap_or(u32::MAX)
}
