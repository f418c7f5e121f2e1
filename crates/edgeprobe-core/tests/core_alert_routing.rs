//! Routing alerts to channels, as scripts over time: the real state machine runs an outage,
//! channels are attached and re-filtered between rounds, and every alert is routed with
//! `route::recipients` against what the simulated outbox actually holds (as the platform
//! does at queue time). Shows that a channel attached mid-incident gets no Resolved for a
//! Down it never got, and that per-channel filters (kinds, minimum severity) hold.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use edgeprobe_testkit::builders::{diagnosis, links, monitor, reports, Round, T0};

use edgeprobe_core::alerting::route::{recipients, AlertClass, AlertFilter, Queued, Route};
use edgeprobe_core::alerting::{step, Alert, AlertKind, AlertState, Effect, RoundInput, RoundKind};
use edgeprobe_core::diagnosis::{Severity, Verdict};
use edgeprobe_core::monitor::Monitor;

/// One outbox row: (channel, kind, dedup key).
type Row = (String, AlertKind, String);

/// A monitor, its channels' filters, its alert state and the outbox, advanced round by round.
struct Script {
    monitor: Monitor,
    filters: Vec<(String, AlertFilter)>,
    state: AlertState,
    outbox: Vec<Row>,
    incidents: u32,
}

impl Script {
    fn new(channels: &[&str]) -> Script {
        let mut monitor = monitor();
        monitor.channels = channels.iter().map(|c| c.to_string()).collect();
        Script {
            filters: channels
                .iter()
                .map(|c| (c.to_string(), AlertFilter::default()))
                .collect(),
            monitor,
            state: AlertState::default(),
            outbox: Vec::new(),
            incidents: 0,
        }
    }

    fn attach(&mut self, channel: &str, filter: AlertFilter) {
        self.monitor.channels.push(channel.to_string());
        self.filters.push((channel.to_string(), filter));
    }

    /// Runs a round at `sec` (severity overridden when given) and queues its alerts the way
    /// the platform does; returns (kind, recipients) per alert.
    fn round(
        &mut self,
        sec: i64,
        kind: RoundKind,
        round: Round,
        severity: Option<Severity>,
    ) -> Vec<(AlertKind, Vec<String>)> {
        let now = T0 + sec * 1000;
        let mut d = diagnosis(round);
        if let Some(s) = severity {
            d.severity = s;
        }
        let reps = reports(round, now);
        let l = links();
        let input = RoundInput {
            diagnosis: &d,
            reports: &reps,
            kind,
            round_id: "rnd_x",
            now,
            links: &l,
        };
        let n = self.incidents;
        let (next, effects) = step(
            std::mem::take(&mut self.state),
            &input,
            &self.monitor,
            || format!("inc_{n}"),
        );
        self.state = next;
        let mut out = Vec::new();
        for e in effects {
            if let Effect::OpenIncident(_) = e {
                self.incidents += 1;
            }
            if let Effect::Send(alert) = e {
                let to = self.queue(&alert);
                out.push((alert.kind, to));
            }
        }
        out
    }

    fn queue(&mut self, alert: &Alert) -> Vec<String> {
        let routes: Vec<Route> = self
            .monitor
            .channels
            .iter()
            .map(|c| Route {
                channel_id: c,
                filter: &self.filters.iter().find(|(id, _)| id == c).unwrap().1,
            })
            .collect();
        let queued: Vec<Queued> = self
            .outbox
            .iter()
            .filter(|(_, _, key)| key == &alert.dedup_key)
            .map(|(c, k, _)| Queued {
                channel_id: c.clone(),
                kind: *k,
            })
            .collect();
        let to: Vec<String> = recipients(alert, &routes, &queued)
            .into_iter()
            .map(str::to_string)
            .collect();
        for c in &to {
            self.outbox
                .push((c.clone(), alert.kind, alert.dedup_key.clone()));
        }
        to
    }
}

fn fail() -> Round {
    Round::Fail(Verdict::OriginTimeout, &["enam", "weur"])
}

fn sent(kind: AlertKind, to: &[&str]) -> Vec<(AlertKind, Vec<String>)> {
    vec![(kind, to.iter().map(|c| c.to_string()).collect())]
}

#[test]
fn a_channel_attached_mid_incident_gets_no_resolved_for_a_down_it_never_got() {
    let mut s = Script::new(&["ch_a"]);
    assert_eq!(s.round(0, RoundKind::Scheduled, fail(), None), []);
    assert_eq!(
        s.round(10, RoundKind::Recheck, fail(), None),
        sent(AlertKind::Down, &["ch_a"])
    );
    // B is attached while the incident is open.
    s.attach("ch_b", AlertFilter::default());
    assert_eq!(s.round(70, RoundKind::Scheduled, fail(), None), []);
    assert_eq!(s.round(130, RoundKind::Scheduled, Round::Healthy, None), []);
    assert_eq!(
        s.round(190, RoundKind::Scheduled, Round::Healthy, None),
        sent(AlertKind::Resolved, &["ch_a"]),
        "only A was told it was down"
    );
    // The next incident reaches both, from Down to Resolved.
    assert_eq!(s.round(600, RoundKind::Scheduled, fail(), None), []);
    assert_eq!(
        s.round(610, RoundKind::Recheck, fail(), None),
        sent(AlertKind::Down, &["ch_a", "ch_b"])
    );
    s.round(670, RoundKind::Scheduled, Round::Healthy, None);
    assert_eq!(
        s.round(730, RoundKind::Scheduled, Round::Healthy, None),
        sent(AlertKind::Resolved, &["ch_a", "ch_b"])
    );
}

#[test]
fn a_channel_attached_mid_incident_is_owed_the_resolved_once_a_reminder_reached_it() {
    let mut s = Script::new(&["ch_a"]);
    s.round(0, RoundKind::Scheduled, fail(), None);
    s.round(10, RoundKind::Recheck, fail(), None);
    s.attach("ch_b", AlertFilter::default());
    // The hourly reminder goes to everyone listed now, B included.
    assert_eq!(
        s.round(3_610, RoundKind::Scheduled, fail(), None),
        sent(AlertKind::Reminder, &["ch_a", "ch_b"])
    );
    s.round(3_670, RoundKind::Scheduled, Round::Healthy, None);
    assert_eq!(
        s.round(3_730, RoundKind::Scheduled, Round::Healthy, None),
        sent(AlertKind::Resolved, &["ch_a", "ch_b"])
    );
}

#[test]
fn filters_choose_kinds_and_a_minimum_severity_per_channel() {
    let mut s = Script::new(&["ch_all"]);
    s.attach(
        "ch_critical",
        AlertFilter {
            min_severity: Severity::Critical,
            ..AlertFilter::default()
        },
    );
    s.attach(
        "ch_no_resolved",
        AlertFilter {
            kinds: vec![AlertClass::Down, AlertClass::Reminder],
            ..AlertFilter::default()
        },
    );
    s.attach(
        "ch_resolved_only",
        AlertFilter {
            kinds: vec![AlertClass::Resolved],
            ..AlertFilter::default()
        },
    );
    // A warning incident: the critical-only channel hears nothing of it, Resolved included.
    let warn = Some(Severity::Warning);
    s.round(0, RoundKind::Scheduled, fail(), warn);
    assert_eq!(
        s.round(10, RoundKind::Recheck, fail(), warn),
        sent(AlertKind::Down, &["ch_all", "ch_no_resolved"])
    );
    s.round(70, RoundKind::Scheduled, Round::Healthy, None);
    assert_eq!(
        s.round(130, RoundKind::Scheduled, Round::Healthy, None),
        sent(AlertKind::Resolved, &["ch_all"]),
        "no resolved where it was filtered out, nor where no down went"
    );
    // A critical incident reaches the critical-only channel.
    s.round(600, RoundKind::Scheduled, fail(), None);
    assert_eq!(
        s.round(610, RoundKind::Recheck, fail(), None),
        sent(
            AlertKind::Down,
            &["ch_all", "ch_critical", "ch_no_resolved"]
        )
    );
    s.round(670, RoundKind::Scheduled, Round::Healthy, None);
    assert_eq!(
        s.round(730, RoundKind::Scheduled, Round::Healthy, None),
        sent(AlertKind::Resolved, &["ch_all", "ch_critical"])
    );
}

#[test]
fn flapping_ended_goes_only_where_flapping_went() {
    let mut s = Script::new(&["ch_a"]);
    s.monitor.confirmation.flap_threshold = 1;
    s.round(0, RoundKind::Scheduled, fail(), None);
    s.round(10, RoundKind::Recheck, fail(), None);
    s.round(70, RoundKind::Scheduled, Round::Healthy, None);
    s.round(130, RoundKind::Scheduled, Round::Healthy, None);
    s.round(240, RoundKind::Scheduled, fail(), None);
    let flapping = s.round(250, RoundKind::Recheck, fail(), None);
    assert!(
        flapping.contains(&(AlertKind::Flapping, vec!["ch_a".to_string()])),
        "{flapping:?}"
    );
    s.attach("ch_b", AlertFilter::default());
    // Calm for a whole flap window: the episode ends (the monitor is still down).
    let mut ended = Vec::new();
    for i in 0..40 {
        let sec = 250 + 60 * (i + 1);
        ended.extend(
            s.round(sec, RoundKind::Scheduled, fail(), None)
                .into_iter()
                .filter(|(k, _)| *k == AlertKind::FlappingEnded),
        );
    }
    assert_eq!(ended, sent(AlertKind::FlappingEnded, &["ch_a"]));
}

#[test]
fn class_of_each_kind_and_tests_are_never_filtered() {
    use edgeprobe_core::alerting::route::class_of;
    let l = links();
    let m = monitor();
    let mut a = edgeprobe_core::alerting::alert::test_alert(&m, &l, T0);
    let nothing = AlertFilter {
        kinds: vec![AlertClass::Cert],
        min_severity: Severity::Critical,
    };
    assert!(nothing.admits(&a), "a test alert always goes out");
    let cases = [
        (AlertKind::Down, Verdict::OriginTimeout, AlertClass::Down),
        (AlertKind::Updated, Verdict::OriginTimeout, AlertClass::Down),
        (
            AlertKind::Reminder,
            Verdict::OriginTimeout,
            AlertClass::Reminder,
        ),
        (AlertKind::Resolved, Verdict::Healthy, AlertClass::Resolved),
        (
            AlertKind::Flapping,
            Verdict::OriginTimeout,
            AlertClass::Flapping,
        ),
        (
            AlertKind::FlappingEnded,
            Verdict::OriginTimeout,
            AlertClass::Flapping,
        ),
        (AlertKind::Down, Verdict::CertExpiring, AlertClass::Cert),
        (AlertKind::Reminder, Verdict::CertExpiring, AlertClass::Cert),
    ];
    for (kind, verdict, class) in cases {
        a.kind = kind;
        a.verdict = verdict;
        assert_eq!(class_of(&a), Some(class), "{kind:?} {verdict:?}");
    }
}
