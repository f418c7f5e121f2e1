//! Scripted step-and-verify scenarios for the confirmation state machine. Each script is a
//! table: at this second, this kind of round with this outcome, expect exactly these effects.

mod common;

use common::{diagnosis, links, monitor, reports, with_maintenance, Round, T0};
use edgeprobe::core::alerting::confirm::{classify_round, RoundClass};
use edgeprobe::core::alerting::{step, Alert, AlertKind, AlertState, Effect, Links, Phase, RoundInput, RoundKind};
use edgeprobe::core::diagnosis::Verdict;
use edgeprobe::core::monitor::Monitor;

use Round::{Fail, FailRestUnanswered, Healthy, NoAnswer};
use RoundKind::{Recheck as R, Scheduled as S};
use Verdict::{OriginRefused as REFUSED, OriginTimeout as TIMEOUT};

const TWO: &[&str] = &["enam", "weur"];
const ALL: &[&str] = &["apac", "enam", "weur"];
const ONE: &[&str] = &["weur"];

/// Drives one monitor through rounds; keeps every alert sent for later inspection.
struct Script {
    monitor: Monitor,
    links: Links,
    state: AlertState,
    incidents: u32,
    sent: Vec<Alert>,
}

impl Script {
    fn new(monitor: Monitor) -> Self {
        Script {
            monitor,
            links: links(),
            state: AlertState::default(),
            incidents: 0,
            sent: Vec::new(),
        }
    }

    /// Runs `(second, kind, round, expected effects)` rows in order, checking each.
    fn run(&mut self, rows: &[(i64, RoundKind, Round, &[&str])]) {
        for (i, (sec, kind, round, want)) in rows.iter().enumerate() {
            let now = T0 + sec * 1000;
            let d = diagnosis(*round);
            let reps = reports(*round, now);
            let round_id = format!("rnd_{sec}");
            let input = RoundInput {
                diagnosis: &d,
                reports: &reps,
                kind: *kind,
                round_id: &round_id,
                now,
                links: &self.links,
            };
            let next_id = format!("inc_{}", self.incidents + 1);
            let mut opened = false;
            let state = std::mem::take(&mut self.state);
            let (state, effects) = step(state, &input, &self.monitor, || {
                opened = true;
                next_id
            });
            if opened {
                self.incidents += 1;
            }
            // The platform stores the state as JSON between rounds: do the same.
            let json = serde_json::to_string(&state).expect("state serialises");
            self.state = serde_json::from_str(&json).expect("state parses back");
            assert_eq!(self.state, state, "state must survive its JSON round trip");
            let got: Vec<String> = effects.iter().map(describe).collect();
            assert_eq!(
                got, *want,
                "row {i} (t={sec}s, {kind:?}, {round:?}): effects differ; state now {:?}",
                self.state.phase
            );
            self.sent.extend(effects.into_iter().filter_map(|e| match e {
                Effect::Send(a) => Some(a),
                _ => None,
            }));
        }
    }

    fn phase(&self) -> Phase {
        self.state.phase
    }
}

fn golden(name: &str, actual: &str) {
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/alerts")
        .join(name);
    if std::env::var_os("EDGEPROBE_BLESS").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    for (i, (w, g)) in expected.lines().zip(actual.lines()).enumerate() {
        assert_eq!(g, w, "{name} line {}: actual vs golden", i + 1);
    }
    assert_eq!(actual, expected, "{name}: same lines, different length or line endings");
}

fn describe(e: &Effect) -> String {
    match e {
        Effect::ScheduleRecheck { at } => format!("recheck@{}s", (at - T0) / 1000),
        Effect::OpenIncident(i) => format!("open {} {}", i.id, i.verdict.as_str()),
        Effect::UpdateIncident { incident_id, event } => {
            format!(
                "update {incident_id} {}",
                serde_json::to_value(event.kind).unwrap().as_str().unwrap()
            )
        }
        Effect::CloseIncident {
            incident_id, duration_ms, ..
        } => format!("close {incident_id} after {}s", duration_ms / 1000),
        Effect::Send(a) => format!("send {} {}", a.kind.as_str(), a.verdict.as_str()),
    }
}

/// Confirms an origin timeout at t=0/10 s (used as the opening of several scripts).
const CONFIRM: &[(i64, RoundKind, Round, &[&str])] = &[
    (0, S, Fail(TIMEOUT, TWO), &["recheck@10s"]),
    (
        10,
        R,
        Fail(TIMEOUT, TWO),
        &["open inc_1 origin_timeout", "send down origin_timeout"],
    ),
];

#[test]
fn single_region_blip_never_alerts() {
    let mut s = Script::new(monitor());
    s.run(&[
        (0, S, Fail(TIMEOUT, ONE), &[]),
        (60, S, Fail(TIMEOUT, ONE), &[]),
        (120, S, Healthy, &[]),
    ]);
    assert_eq!(s.phase(), Phase::Up);
    assert!(s.sent.is_empty());
}

#[test]
fn two_of_three_regions_confirmed_by_the_recheck_opens_an_incident_and_alerts() {
    let mut s = Script::new(monitor());
    s.run(CONFIRM);
    assert_eq!(s.phase(), Phase::Down);
    let down = &s.sent[0];
    assert_eq!(down.kind, AlertKind::Down);
    assert_eq!(down.id, "msg_inc_1_down_0");
    assert_eq!(down.incident_id.as_deref(), Some("inc_1"));
    assert_eq!(down.state_change, "up -> down");
    assert_eq!((down.first_seen_at, down.confirmed_at), (Some(T0), Some(T0 + 10_000)));
    let regions: Vec<&str> = down.regions.iter().map(|r| r.region.as_str()).collect();
    assert_eq!(regions, ["enam", "weur"]);
    assert_eq!(down.regions[0].edge_status, Some(522));
    assert_eq!(down.regions[0].origin_failed_step.as_deref(), Some("connect"));
    assert_eq!(
        down.links.docs,
        "https://github.com/edgeprobe/edgeprobe/blob/main/docs/diagnoses.md#origin_timeout"
    );
    assert_eq!(down.links.status_page.as_deref(), Some("https://probe.example.com/status/shop"));
}

#[test]
fn failure_not_confirmed_by_the_recheck_goes_back_to_up_silently() {
    let mut s = Script::new(monitor());
    s.run(&[
        (0, S, Fail(TIMEOUT, ALL), &["recheck@10s"]),
        (10, R, Healthy, &[]),
        (60, S, Healthy, &[]),
    ]);
    assert_eq!(s.phase(), Phase::Up);
    assert_eq!(s.state.first_seen_at, None);
}

#[test]
fn a_scheduled_round_confirms_when_the_recheck_was_lost() {
    let mut s = Script::new(monitor());
    s.run(&[
        (0, S, Fail(TIMEOUT, TWO), &["recheck@10s"]),
        (
            60,
            S,
            Fail(TIMEOUT, TWO),
            &["open inc_1 origin_timeout", "send down origin_timeout"],
        ),
    ]);
}

#[test]
fn a_monitor_with_fewer_regions_than_the_quorum_needs_all_of_them() {
    let mut m = monitor();
    m.regions = vec!["weur".into()];
    m.confirmation.regions_to_agree = 3;
    let d = diagnosis(Fail(TIMEOUT, ONE));
    assert_eq!(classify_round(&d, &m), RoundClass::Failing);
    m.regions = vec!["enam".into(), "weur".into()];
    assert_eq!(classify_round(&d, &m), RoundClass::Healthy);
}

#[test]
fn reminders_repeat_while_down() {
    let mut s = Script::new(monitor());
    s.run(CONFIRM);
    s.run(&[
        (1800, S, Fail(TIMEOUT, TWO), &[]),
        (3609, S, Fail(TIMEOUT, TWO), &[]),
        (3610, S, Fail(TIMEOUT, TWO), &["send reminder origin_timeout"]),
        (3700, S, NoAnswer, &[]),
        (7210, S, NoAnswer, &["send reminder origin_timeout"]),
    ]);
    let ids: Vec<&str> = s.sent.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(ids, ["msg_inc_1_down_0", "msg_inc_1_reminder_1", "msg_inc_1_reminder_2"]);
}

#[test]
fn recovery_needs_consecutive_healthy_rounds_and_a_relapse_keeps_the_incident() {
    let mut m = monitor();
    m.confirmation.flap_threshold = 10; // five changes in four minutes is flapping otherwise
    let mut s = Script::new(m);
    s.run(CONFIRM);
    s.run(&[
        (60, S, Healthy, &["update inc_1 recovering"]),
        (120, S, Fail(TIMEOUT, ALL), &["update inc_1 relapsed"]),
        (180, S, Healthy, &["update inc_1 recovering"]),
        (
            240,
            S,
            Healthy,
            &["update inc_1 resolved", "close inc_1 after 240s", "send resolved origin_timeout"],
        ),
        (300, S, Healthy, &[]),
    ]);
    assert_eq!(s.phase(), Phase::Up);
    let resolved = s.sent.last().unwrap();
    assert_eq!(resolved.state_change, "down -> up");
    assert_eq!(resolved.resolved_at, Some(T0 + 240_000));
    assert_eq!(resolved.incident_id.as_deref(), Some("inc_1"));
    assert_eq!(s.incidents, 1);
}

#[test]
fn a_verdict_change_mid_incident_updates_it_instead_of_opening_another() {
    let mut s = Script::new(monitor());
    s.run(CONFIRM);
    s.run(&[
        (
            60,
            S,
            Fail(REFUSED, ALL),
            &["update inc_1 verdict_changed", "send updated origin_refused"],
        ),
        (120, S, Fail(REFUSED, ALL), &[]),
        (180, S, Healthy, &["update inc_1 recovering"]),
        (
            240,
            S,
            Healthy,
            &["update inc_1 resolved", "close inc_1 after 240s", "send resolved origin_refused"],
        ),
    ]);
    assert_eq!(s.incidents, 1);
    assert_eq!(s.sent[1].state_change, "down -> down");
    assert_eq!(s.sent[1].regions[0].origin_failed_step.as_deref(), Some("connect"));
    assert_eq!(s.sent[1].regions.len(), 3);
}

#[test]
fn inconclusive_rounds_neither_confirm_nor_clear_nor_recover() {
    let mut s = Script::new(monitor());
    s.run(&[
        (0, S, Fail(TIMEOUT, TWO), &["recheck@10s"]),
        (10, R, NoAnswer, &[]),
        // One failing region, the other two silent: they might have agreed, so no verdict either way.
        (60, S, FailRestUnanswered(TIMEOUT, ONE), &[]),
    ]);
    assert_eq!(s.phase(), Phase::Suspect);
    s.run(&[
        (
            120,
            S,
            Fail(TIMEOUT, TWO),
            &["open inc_1 origin_timeout", "send down origin_timeout"],
        ),
        (180, S, NoAnswer, &[]),
        (240, S, Healthy, &["update inc_1 recovering"]),
        (300, S, NoAnswer, &[]),
        (
            360,
            S,
            Healthy,
            &["update inc_1 resolved", "close inc_1 after 360s", "send resolved origin_timeout"],
        ),
    ]);
    // The incident started at the first failing round, not at the confirmation.
    assert_eq!(s.sent[0].first_seen_at, Some(T0));
}

#[test]
fn maintenance_mutes_alerts_and_announces_a_still_down_monitor_when_it_ends() {
    let mut s = Script::new(with_maintenance(monitor(), 0, 600));
    s.run(&[
        (0, S, Fail(TIMEOUT, TWO), &["recheck@10s"]),
        (10, R, Fail(TIMEOUT, TWO), &["open inc_1 origin_timeout"]),
        (300, S, Fail(REFUSED, TWO), &["update inc_1 verdict_changed"]),
        (600, S, Fail(REFUSED, TWO), &["send down origin_refused"]),
    ]);
    assert_eq!(s.sent[0].first_seen_at, Some(T0));
}

#[test]
fn an_incident_inside_a_maintenance_window_is_recorded_but_never_announced() {
    let mut s = Script::new(with_maintenance(monitor(), 0, 600));
    s.run(&[
        (0, S, Fail(TIMEOUT, TWO), &["recheck@10s"]),
        (10, R, Fail(TIMEOUT, TWO), &["open inc_1 origin_timeout"]),
        (60, S, Healthy, &["update inc_1 recovering"]),
        (120, S, Healthy, &["update inc_1 resolved", "close inc_1 after 120s"]),
        (660, S, Healthy, &[]),
    ]);
    assert!(s.sent.is_empty());
}

#[test]
fn a_resolution_during_maintenance_of_an_announced_incident_is_sent_after_the_window() {
    let mut s = Script::new(with_maintenance(monitor(), 100, 600));
    s.run(CONFIRM);
    s.run(&[
        (120, S, Healthy, &["update inc_1 recovering"]),
        (180, S, Healthy, &["update inc_1 resolved", "close inc_1 after 180s"]),
        (660, S, Healthy, &["send resolved origin_timeout"]),
    ]);
    assert_eq!(s.sent[1].resolved_at, Some(T0 + 180_000));
}

#[test]
fn flapping_sends_one_notice_holds_incident_alerts_and_ends_after_a_calm_window() {
    let mut s = Script::new(monitor());
    s.run(CONFIRM); // changes: suspect (1), down (2)
    s.run(&[
        (60, S, Healthy, &["update inc_1 recovering"]), // 3
        (
            120,
            S,
            Healthy,
            &["update inc_1 resolved", "close inc_1 after 120s", "send resolved origin_timeout"],
        ), // 4
        (180, S, Fail(TIMEOUT, TWO), &["recheck@190s", "send flapping origin_timeout"]), // 5 > 4
        (190, R, Fail(TIMEOUT, TWO), &["open inc_2 origin_timeout"]),
        (240, S, Healthy, &["update inc_2 recovering"]),
        (300, S, Healthy, &["update inc_2 resolved", "close inc_2 after 120s"]),
        (360, S, Fail(TIMEOUT, ONE), &[]),
        // The last change was at 300 s; the window is 30 min.
        (2099, S, Healthy, &[]),
        (2100, S, Healthy, &["send flapping_ended healthy"]),
        (2160, S, Fail(TIMEOUT, TWO), &["recheck@2170s"]),
    ]);
    let notices: Vec<(&str, &str)> = s.sent.iter().map(|a| (a.kind.as_str(), a.state_change.as_str())).collect();
    assert_eq!(
        notices,
        [
            ("down", "up -> down"),
            ("resolved", "down -> up"),
            ("flapping", "suspect -> flapping"),
            ("flapping_ended", "flapping -> up")
        ]
    );
    assert_eq!(
        s.sent[2].dedup_key, s.sent[3].dedup_key,
        "flapping and its end share a dedup key (PagerDuty resolves it)"
    );
}

#[test]
fn flapping_that_ends_while_down_says_so_without_a_second_down() {
    let mut m = monitor();
    m.confirmation.flap_threshold = 2;
    let mut s = Script::new(m);
    s.run(CONFIRM);
    s.run(&[
        (
            60,
            S,
            Healthy,
            &[
                "update inc_1 recovering",
                "update inc_1 flapping_started",
                "send flapping origin_timeout",
            ],
        ),
        (120, S, Fail(REFUSED, ALL), &["update inc_1 relapsed"]),
        (1919, S, Fail(REFUSED, ALL), &[]),
        (
            1920,
            S,
            Fail(REFUSED, ALL),
            &["update inc_1 flapping_ended", "send flapping_ended origin_refused"],
        ),
        (1980, S, Fail(REFUSED, ALL), &[]),
    ]);
    // The Down alert was announced before flapping began, so no second Down: the notice says down.
    assert_eq!(s.sent.last().unwrap().state_change, "flapping -> down");
    assert_eq!(s.sent.len(), 3);
}

#[test]
fn a_down_held_back_by_flapping_is_announced_when_it_calms() {
    let mut m = monitor();
    m.confirmation.flap_threshold = 1;
    let mut s = Script::new(m);
    s.run(&[
        (0, S, Fail(TIMEOUT, TWO), &["recheck@10s"]),
        (
            10,
            R,
            Fail(TIMEOUT, TWO),
            &[
                "open inc_1 origin_timeout",
                "update inc_1 flapping_started",
                "send flapping origin_timeout",
            ],
        ),
        (
            1810,
            S,
            Fail(TIMEOUT, TWO),
            &[
                "update inc_1 flapping_ended",
                "send flapping_ended origin_timeout",
                "send down origin_timeout",
            ],
        ),
    ]);
}

#[test]
fn flapping_muted_by_maintenance_owes_no_flapping_ended() {
    let mut m = with_maintenance(monitor(), 0, 600);
    m.confirmation.flap_threshold = 1;
    let mut s = Script::new(m);
    s.run(&[
        (0, S, Fail(TIMEOUT, TWO), &["recheck@10s"]),
        (
            10,
            R,
            Fail(TIMEOUT, TWO),
            &["open inc_1 origin_timeout", "update inc_1 flapping_started"],
        ),
        (
            1810,
            S,
            Fail(TIMEOUT, TWO),
            &["update inc_1 flapping_ended", "send down origin_timeout"],
        ),
    ]);
    assert!(!s.state.flapping && !s.state.flap_announced);
}

/// The stored shape is a compatibility surface (rows written by one deploy are read by the
/// next): a change to it shows up here as a golden-file diff.
#[test]
fn alert_state_json_shape_mid_incident_matches_the_golden_file() {
    let mut s = Script::new(monitor());
    s.run(CONFIRM);
    s.run(&[(60, S, Healthy, &["update inc_1 recovering"])]);
    let json = serde_json::to_string_pretty(&s.state).unwrap();
    golden("state_recovering.json", &json);
}

#[test]
fn alert_state_json_has_defaults_for_every_field() {
    let fresh: AlertState = serde_json::from_str("{}").unwrap();
    assert_eq!(fresh, AlertState::default());
    let mut s = Script::new(monitor());
    s.run(CONFIRM);
    let v = serde_json::to_value(&s.state).unwrap();
    assert_eq!(v["phase"], "down");
    assert_eq!(v["incident_id"], "inc_1");
    assert_eq!(v["verdict"], "origin_timeout");
    assert_eq!(v["transitions"].as_array().unwrap().len(), 2);
}

mod properties {
    use std::collections::BTreeSet;

    use proptest::prelude::*;

    use super::*;

    fn any_round() -> impl Strategy<Value = Round> {
        prop_oneof![
            4 => Just(Healthy),
            3 => Just(Fail(TIMEOUT, TWO)),
            2 => Just(Fail(REFUSED, ALL)),
            1 => Just(Fail(TIMEOUT, ONE)),
            1 => Just(FailRestUnanswered(TIMEOUT, ONE)),
            1 => Just(NoAnswer),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        /// Whatever the rounds, maintenance and flapping: an incident is open exactly while
        /// down or recovering, nothing is sent in maintenance, message ids never repeat, and a
        /// Resolved only follows a Down that was sent for that incident.
        #[test]
        fn invariants_hold_for_any_sequence_of_rounds(
            rounds in proptest::collection::vec((1i64..4000, any::<bool>(), any_round()), 1..60),
            window in (0i64..20_000, 0i64..20_000),
            flap_threshold in 0u32..6,
        ) {
            let mut m = with_maintenance(monitor(), window.0.min(window.1), window.0.max(window.1));
            m.confirmation.flap_threshold = flap_threshold;
            m.confirmation.reminder_interval_ms = 900_000;
            let l = links();
            let mut state = AlertState::default();
            let (mut now, mut n) = (T0, 0u32);
            let mut open: Option<String> = None;
            let mut ids = BTreeSet::new();
            let mut announced = BTreeSet::new();
            for (dt, recheck, round) in rounds {
                now += dt * 1000;
                let d = diagnosis(round);
                let reps = reports(round, now);
                let kind = if recheck { R } else { S };
                let input = RoundInput { diagnosis: &d, reports: &reps, kind, round_id: "r", now, links: &l };
                let (next, effects) = step(state, &input, &m, || { n += 1; format!("inc_{n}") });
                state = next;
                for e in &effects {
                    match e {
                        Effect::OpenIncident(i) => {
                            prop_assert!(open.is_none(), "opened {} while {:?} open", i.id, open);
                            open = Some(i.id.clone());
                        }
                        Effect::CloseIncident { incident_id, .. } => {
                            prop_assert_eq!(Some(incident_id), open.as_ref());
                            open = None;
                        }
                        Effect::UpdateIncident { incident_id, .. } => prop_assert_eq!(Some(incident_id), open.as_ref()),
                        Effect::Send(a) => {
                            prop_assert!(!m.in_maintenance(now), "sent {:?} in maintenance", a.kind);
                            prop_assert!(ids.insert(a.id.clone()), "message id {} repeated", a.id);
                            match a.kind {
                                AlertKind::Down => { prop_assert!(announced.insert(a.incident_id.clone())); }
                                AlertKind::Resolved | AlertKind::Updated | AlertKind::Reminder => {
                                    prop_assert!(announced.contains(&a.incident_id), "{:?} for an unannounced incident", a.kind);
                                }
                                _ => {}
                            }
                        }
                        Effect::ScheduleRecheck { at } => prop_assert!(*at > now),
                    }
                }
                let down = matches!(state.phase, Phase::Down | Phase::Recovering);
                prop_assert_eq!(down, state.incident_id.is_some());
                prop_assert_eq!(&state.incident_id, &open);
            }
        }
    }
}
