//! Scripted step-and-verify scenarios for the confirmation state machine. Each script is a
//! table: at this second, this kind of round with this outcome, expect exactly these effects.

// Test code: a panic on unwrap/expect is the test failing with its message (the workspace's
// clippy::unwrap_used/expect_used are for production code; see clippy.toml).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use edgeprobe_testkit::assert_fixture_snapshot;
use edgeprobe_testkit::builders as common;

use common::{diagnosis, links, monitor, reports, with_maintenance, Round, T0};
use edgeprobe_core::alerting::confirm::{classify_round, RoundClass};
use edgeprobe_core::alerting::{
    step, Alert, AlertKind, AlertState, Effect, Links, Phase, RoundInput, RoundKind,
};
use edgeprobe_core::diagnosis::Verdict;
use edgeprobe_core::monitor::Monitor;

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
            let effects = self.feed(*sec, *kind, *round);
            let got: Vec<String> = effects.iter().map(describe).collect();
            assert_eq!(
                got,
                *want,
                "row {i} (t={sec}s, {kind:?}, {round:?}): effects differ; state now {:?}",
                self.state.phase()
            );
        }
    }

    /// Steps one round at `sec`; keeps the state (through its JSON round trip) and the alerts
    /// sent, and returns the effects.
    fn feed(&mut self, sec: i64, kind: RoundKind, round: Round) -> Vec<Effect> {
        let now = T0 + sec * 1000;
        let d = diagnosis(round);
        let reps = reports(round, now);
        let round_id = format!("rnd_{sec}");
        let input = RoundInput {
            diagnosis: &d,
            reports: &reps,
            kind,
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
        self.sent.extend(effects.iter().filter_map(|e| match e {
            Effect::Send(a) => Some(a.clone()),
            _ => None,
        }));
        effects
    }

    fn phase(&self) -> Phase {
        self.state.phase()
    }
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
            incident_id,
            duration_ms,
            ..
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
    assert_eq!(
        (down.first_seen_at, down.confirmed_at),
        (Some(T0), Some(T0 + 10_000))
    );
    let regions: Vec<&str> = down.regions.iter().map(|r| r.region.as_str()).collect();
    assert_eq!(regions, ["enam", "weur"]);
    assert_eq!(down.regions[0].edge_status, Some(522));
    assert_eq!(
        down.regions[0].origin_failed_step.as_deref(),
        Some("connect")
    );
    assert_eq!(
        down.links.docs,
        "https://github.com/edgeprobe/edgeprobe/blob/main/docs/diagnoses.md#origin_timeout"
    );
    assert_eq!(
        down.links.status_page.as_deref(),
        Some("https://probe.example.com/status/shop")
    );
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
    assert_eq!(s.state.first_seen_at(), None);
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
        (
            3610,
            S,
            Fail(TIMEOUT, TWO),
            &["send reminder origin_timeout"],
        ),
        (3700, S, NoAnswer, &[]),
        (7210, S, NoAnswer, &["send reminder origin_timeout"]),
    ]);
    let ids: Vec<&str> = s.sent.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "msg_inc_1_down_0",
            "msg_inc_1_reminder_1",
            "msg_inc_1_reminder_2"
        ]
    );
}

#[test]
fn recovery_needs_consecutive_healthy_rounds_and_a_relapse_keeps_the_incident() {
    // A relapse is not a flap: the default test threshold (4) is never reached by one incident.
    let mut s = Script::new(monitor());
    s.run(CONFIRM);
    s.run(&[
        (60, S, Healthy, &["update inc_1 recovering"]),
        (120, S, Fail(TIMEOUT, ALL), &["update inc_1 relapsed"]),
        (180, S, Healthy, &["update inc_1 recovering"]),
        (
            240,
            S,
            Healthy,
            &[
                "update inc_1 resolved",
                "close inc_1 after 240s",
                "send resolved origin_timeout",
            ],
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
            &[
                "update inc_1 verdict_changed",
                "send updated origin_refused",
            ],
        ),
        (120, S, Fail(REFUSED, ALL), &[]),
        (180, S, Healthy, &["update inc_1 recovering"]),
        (
            240,
            S,
            Healthy,
            &[
                "update inc_1 resolved",
                "close inc_1 after 240s",
                "send resolved origin_refused",
            ],
        ),
    ]);
    assert_eq!(s.incidents, 1);
    assert_eq!(s.sent[1].state_change, "down -> down");
    assert_eq!(
        s.sent[1].regions[0].origin_failed_step.as_deref(),
        Some("connect")
    );
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
            &[
                "update inc_1 resolved",
                "close inc_1 after 360s",
                "send resolved origin_timeout",
            ],
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
        (
            300,
            S,
            Fail(REFUSED, TWO),
            &["update inc_1 verdict_changed"],
        ),
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
        (
            120,
            S,
            Healthy,
            &["update inc_1 resolved", "close inc_1 after 120s"],
        ),
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
        (
            180,
            S,
            Healthy,
            &["update inc_1 resolved", "close inc_1 after 180s"],
        ),
        (660, S, Healthy, &["send resolved origin_timeout"]),
    ]);
    assert_eq!(s.sent[1].resolved_at, Some(T0 + 180_000));
}

#[test]
fn flapping_sends_one_notice_holds_incident_alerts_and_ends_after_a_calm_window() {
    let mut m = monitor();
    m.confirmation.flap_threshold = 1;
    let mut s = Script::new(m);
    s.run(CONFIRM); // incident 1
    s.run(&[
        (60, S, Healthy, &["update inc_1 recovering"]),
        (
            120,
            S,
            Healthy,
            &[
                "update inc_1 resolved",
                "close inc_1 after 120s",
                "send resolved origin_timeout",
            ],
        ),
        (180, S, Fail(TIMEOUT, TWO), &["recheck@190s"]),
        // Incident 2 within the window: more than 1.
        (
            190,
            R,
            Fail(TIMEOUT, TWO),
            &[
                "open inc_2 origin_timeout",
                "update inc_2 flapping_started",
                "send flapping origin_timeout",
            ],
        ),
        (240, S, Healthy, &["update inc_2 recovering"]),
        // Never announced, so never resolved either.
        (
            300,
            S,
            Healthy,
            &["update inc_2 resolved", "close inc_2 after 120s"],
        ),
        (360, S, Fail(TIMEOUT, ONE), &[]),
        // The last incident was confirmed at 190 s; the window is 30 min.
        (1989, S, Healthy, &[]),
        (1990, S, Healthy, &["send flapping_ended healthy"]),
        (2050, S, Fail(TIMEOUT, TWO), &["recheck@2060s"]),
    ]);
    let notices: Vec<(&str, &str)> = s
        .sent
        .iter()
        .map(|a| (a.kind.as_str(), a.state_change.as_str()))
        .collect();
    assert_eq!(
        notices,
        [
            ("down", "up -> down"),
            ("resolved", "down -> up"),
            ("flapping", "up -> flapping"),
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
    m.confirmation.flap_threshold = 1;
    m.confirmation.recovery_rounds = 1;
    let mut s = Script::new(m);
    s.run(CONFIRM);
    s.run(&[
        (
            60,
            S,
            Healthy,
            &[
                "update inc_1 recovering",
                "update inc_1 resolved",
                "close inc_1 after 60s",
                "send resolved origin_timeout",
            ],
        ),
        (120, S, Fail(TIMEOUT, TWO), &["recheck@130s"]),
        (
            130,
            R,
            Fail(TIMEOUT, TWO),
            &[
                "open inc_2 origin_timeout",
                "update inc_2 flapping_started",
                "send flapping origin_timeout",
            ],
        ),
        (
            180,
            S,
            Fail(REFUSED, ALL),
            &["update inc_2 verdict_changed"],
        ),
        // Third failing round of the incident: sustained, paged while flapping.
        (240, S, Fail(REFUSED, ALL), &["send down origin_refused"]),
        (1929, S, Fail(REFUSED, ALL), &[]),
        (
            1930,
            S,
            Fail(REFUSED, ALL),
            &[
                "update inc_2 flapping_ended",
                "send flapping_ended origin_refused",
            ],
        ),
        (1990, S, Fail(REFUSED, ALL), &[]),
    ]);
    // The Down was announced during the flapping, so no second Down: the notice says down.
    assert_eq!(s.sent.last().unwrap().state_change, "flapping -> down");
    let kinds: Vec<&str> = s.sent.iter().map(|a| a.kind.as_str()).collect();
    assert_eq!(
        kinds,
        ["down", "resolved", "flapping", "down", "flapping_ended"]
    );
}

#[test]
fn a_down_held_back_by_flapping_is_announced_when_it_calms() {
    let mut m = monitor();
    m.confirmation.flap_threshold = 1;
    m.confirmation.recovery_rounds = 1;
    let mut s = Script::new(m);
    s.run(CONFIRM);
    s.run(&[
        (
            60,
            S,
            Healthy,
            &[
                "update inc_1 recovering",
                "update inc_1 resolved",
                "close inc_1 after 60s",
                "send resolved origin_timeout",
            ],
        ),
        (120, S, Fail(TIMEOUT, TWO), &["recheck@130s"]),
        (
            130,
            R,
            Fail(TIMEOUT, TWO),
            &[
                "open inc_2 origin_timeout",
                "update inc_2 flapping_started",
                "send flapping origin_timeout",
            ],
        ),
        // Its second failing round comes after the window: flapping is over, the Down is owed.
        (
            1930,
            S,
            Fail(TIMEOUT, TWO),
            &[
                "update inc_2 flapping_ended",
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
    m.confirmation.recovery_rounds = 1;
    let mut s = Script::new(m);
    s.run(&[
        (0, S, Fail(TIMEOUT, TWO), &["recheck@10s"]),
        (10, R, Fail(TIMEOUT, TWO), &["open inc_1 origin_timeout"]),
        (
            60,
            S,
            Healthy,
            &[
                "update inc_1 recovering",
                "update inc_1 resolved",
                "close inc_1 after 60s",
            ],
        ),
        (120, S, Fail(TIMEOUT, TWO), &["recheck@130s"]),
        (
            130,
            R,
            Fail(TIMEOUT, TWO),
            &["open inc_2 origin_timeout", "update inc_2 flapping_started"],
        ),
        (
            1930,
            S,
            Fail(TIMEOUT, TWO),
            &["update inc_2 flapping_ended", "send down origin_timeout"],
        ),
    ]);
    // Not flapping, and no FlappingEnded owed for the muted episode.
    assert_eq!(s.state.flapping, None);
}

/// Turning flap detection off ends a flapping episode at once, with its notice, and pages the
/// incident it was holding back.
#[test]
fn turning_flap_detection_off_ends_the_episode() {
    let mut m = monitor();
    m.confirmation.flap_threshold = 1;
    m.confirmation.recovery_rounds = 1;
    let mut s = Script::new(m);
    s.run(CONFIRM);
    s.run(&[
        (
            60,
            S,
            Healthy,
            &[
                "update inc_1 recovering",
                "update inc_1 resolved",
                "close inc_1 after 60s",
                "send resolved origin_timeout",
            ],
        ),
        (120, S, Fail(TIMEOUT, TWO), &["recheck@130s"]),
        (
            130,
            R,
            Fail(TIMEOUT, TWO),
            &[
                "open inc_2 origin_timeout",
                "update inc_2 flapping_started",
                "send flapping origin_timeout",
            ],
        ),
    ]);
    s.monitor.confirmation.flap_threshold = 0;
    s.run(&[(
        180,
        S,
        Fail(TIMEOUT, TWO),
        &[
            "update inc_2 flapping_ended",
            "send flapping_ended origin_timeout",
            "send down origin_timeout",
        ],
    )]);
    assert!(s.sent.last().unwrap().kind == AlertKind::Down && s.state.flapping.is_none());
}

/// Alerts sent, as `(second, kind)`, for asserting a whole scenario at once.
fn sent_at(s: &Script) -> Vec<(i64, &'static str)> {
    s.sent
        .iter()
        .map(|a| ((a.at - T0) / 1000, a.kind.as_str()))
        .collect()
}

/// Issue 10: two one-minute outages used to count eight state changes and mark the monitor
/// flapping, so a hard outage after them sent nothing for the whole window. Flaps are
/// incidents now: three incidents within the window are not "more than 4", so the hard one
/// pages at its confirmation, within one interval plus the re-check of its start.
#[test]
fn two_short_outages_then_a_hard_one_pages_at_confirmation() {
    let m = monitor();
    let (interval_s, recheck_s) = (
        m.interval_ms as i64 / 1000,
        i64::from(m.confirmation.recheck_delay_ms) / 1000,
    );
    let mut s = Script::new(m);
    s.run(CONFIRM);
    s.run(&[
        (60, S, Healthy, &["update inc_1 recovering"]),
        (
            120,
            S,
            Healthy,
            &[
                "update inc_1 resolved",
                "close inc_1 after 120s",
                "send resolved origin_timeout",
            ],
        ),
        (180, S, Fail(TIMEOUT, TWO), &["recheck@190s"]),
        (
            190,
            R,
            Fail(TIMEOUT, TWO),
            &["open inc_2 origin_timeout", "send down origin_timeout"],
        ),
        (240, S, Healthy, &["update inc_2 recovering"]),
        (
            300,
            S,
            Healthy,
            &[
                "update inc_2 resolved",
                "close inc_2 after 120s",
                "send resolved origin_timeout",
            ],
        ),
        // The hard outage starts at 350 s; the next scheduled round sees it.
        (360, S, Fail(TIMEOUT, TWO), &["recheck@370s"]),
        (
            370,
            R,
            Fail(TIMEOUT, TWO),
            &["open inc_3 origin_timeout", "send down origin_timeout"],
        ),
        (420, S, Fail(TIMEOUT, TWO), &[]),
        (480, S, Healthy, &["update inc_3 recovering"]),
        (
            540,
            S,
            Healthy,
            &[
                "update inc_3 resolved",
                "close inc_3 after 180s",
                "send resolved origin_timeout",
            ],
        ),
    ]);
    let hard_down = s
        .sent
        .iter()
        .find(|a| a.incident_id.as_deref() == Some("inc_3"))
        .unwrap();
    assert!(
        (hard_down.at - T0) / 1000 - 350 <= interval_s + recheck_s,
        "{:?}",
        sent_at(&s)
    );
    assert!(
        !s.sent.iter().any(|a| a.kind == AlertKind::Flapping),
        "{:?}",
        sent_at(&s)
    );
}

/// With a strict flap threshold the third incident is flapping: one Flapping notice, and the
/// hard outage is still paged once it has failed `sustained_down_rounds` rounds (3, counting
/// the confirming round): within interval + re-check + two more intervals of its start. Its
/// Resolved follows while the monitor is still flapping.
#[test]
fn a_hard_outage_while_flapping_pages_after_the_hold_and_resolves() {
    let mut m = monitor();
    m.confirmation.flap_threshold = 2;
    let hold_rounds: i64 = 3; // ConfirmationPolicy::sustained_down_rounds of the test monitor
    let (interval_s, recheck_s) = (
        m.interval_ms as i64 / 1000,
        i64::from(m.confirmation.recheck_delay_ms) / 1000,
    );
    let mut s = Script::new(m);
    s.run(CONFIRM);
    s.run(&[
        (60, S, Healthy, &["update inc_1 recovering"]),
        (
            120,
            S,
            Healthy,
            &[
                "update inc_1 resolved",
                "close inc_1 after 120s",
                "send resolved origin_timeout",
            ],
        ),
        (180, S, Fail(TIMEOUT, TWO), &["recheck@190s"]),
        (
            190,
            R,
            Fail(TIMEOUT, TWO),
            &["open inc_2 origin_timeout", "send down origin_timeout"],
        ),
        (240, S, Healthy, &["update inc_2 recovering"]),
        (
            300,
            S,
            Healthy,
            &[
                "update inc_2 resolved",
                "close inc_2 after 120s",
                "send resolved origin_timeout",
            ],
        ),
        // The hard outage starts at 350 s.
        (360, S, Fail(TIMEOUT, TWO), &["recheck@370s"]),
        (
            370,
            R,
            Fail(TIMEOUT, TWO),
            &[
                "open inc_3 origin_timeout",
                "update inc_3 flapping_started",
                "send flapping origin_timeout",
            ],
        ),
        (420, S, Fail(TIMEOUT, TWO), &[]),
        (480, S, Fail(TIMEOUT, TWO), &["send down origin_timeout"]),
        (540, S, Fail(TIMEOUT, TWO), &[]),
        (600, S, Healthy, &["update inc_3 recovering"]),
        (
            660,
            S,
            Healthy,
            &[
                "update inc_3 resolved",
                "close inc_3 after 300s",
                "send resolved origin_timeout",
            ],
        ),
    ]);
    assert!(
        s.state.flapping.is_some(),
        "still flapping: the window has not passed"
    );
    let hard_down = s
        .sent
        .iter()
        .find(|a| a.kind == AlertKind::Down && a.incident_id.as_deref() == Some("inc_3"))
        .unwrap_or_else(|| panic!("the hard outage was never paged: {:?}", sent_at(&s)));
    let bound = interval_s + recheck_s + (hold_rounds - 1) * interval_s;
    assert!(
        (hard_down.at - T0) / 1000 - 350 <= bound,
        "paged later than {bound}s: {:?}",
        sent_at(&s)
    );
}

/// A real flapping origin: down for a round (and its re-check), up for the next, with
/// `recovery_rounds` 1 so each outage is its own incident. Exactly one Flapping notice, no
/// incident alerts for the short outages after it, then a Down once it stays down, then its
/// Resolved; when no incident has opened for a whole window, FlappingEnded.
#[test]
fn a_flapping_origin_sends_one_notice_then_pages_once_it_stays_down() {
    let mut m = monitor();
    m.confirmation.flap_threshold = 2;
    m.confirmation.recovery_rounds = 1;
    let mut s = Script::new(m);
    let mut rows: Vec<(i64, RoundKind, Round)> = Vec::new();
    // Five up/down cycles: down at 0, 120, 240, 360, 480 s (each confirmed by its re-check),
    // up at 60, 180, 300, 420 s; from 480 s it stays down for four rounds, then comes back.
    for k in 0..4 {
        rows.push((k * 120, S, Fail(TIMEOUT, TWO)));
        rows.push((k * 120 + 10, R, Fail(TIMEOUT, TWO)));
        rows.push((k * 120 + 60, S, Healthy));
    }
    rows.extend([
        (480, S, Fail(TIMEOUT, TWO)),
        (490, R, Fail(TIMEOUT, TWO)),
        (540, S, Fail(TIMEOUT, TWO)),
        (600, S, Fail(TIMEOUT, TWO)),
        (660, S, Healthy),
        (720, S, Healthy),
        // The last incident opened at 490 s; the window is 30 min.
        (2280, S, Healthy),
        (2340, S, Healthy),
    ]);
    for (sec, kind, round) in rows {
        // Only the alerts are checked here; the other scripts check the effects row by row.
        s.feed(sec, kind, round);
    }
    assert_eq!(
        sent_at(&s),
        [
            (10, "down"),
            (60, "resolved"),
            (130, "down"),
            (180, "resolved"),
            (250, "flapping"),
            (600, "down"),
            (660, "resolved"),
            (2340, "flapping_ended"),
        ]
    );
    assert_eq!(s.incidents, 5);
    let down = &s.sent[5];
    assert_eq!(down.incident_id.as_deref(), Some("inc_5"));
    assert_eq!(
        s.sent[6].incident_id.as_deref(),
        Some("inc_5"),
        "the Resolved closes the paged incident"
    );
}

/// `flap_threshold: 0` turns flap detection off: every incident is paged and resolved.
#[test]
fn flap_threshold_zero_never_flaps() {
    let mut m = monitor();
    m.confirmation.flap_threshold = 0;
    m.confirmation.recovery_rounds = 1;
    let mut s = Script::new(m);
    for k in 0..10i64 {
        let t = k * 120;
        let n = k + 1;
        let recheck = format!("recheck@{}s", t + 10);
        let open = format!("open inc_{n} origin_timeout");
        let recovering = format!("update inc_{n} recovering");
        let resolved = format!("update inc_{n} resolved");
        let close = format!("close inc_{n} after 60s");
        s.run(&[
            (t, S, Fail(TIMEOUT, TWO), &[recheck.as_str()]),
            (
                t + 10,
                R,
                Fail(TIMEOUT, TWO),
                &[open.as_str(), "send down origin_timeout"],
            ),
            (
                t + 60,
                S,
                Healthy,
                &[
                    recovering.as_str(),
                    resolved.as_str(),
                    close.as_str(),
                    "send resolved origin_timeout",
                ],
            ),
        ]);
    }
    assert_eq!(s.sent.len(), 20);
    assert!(s
        .sent
        .iter()
        .all(|a| matches!(a.kind, AlertKind::Down | AlertKind::Resolved)));
    assert!(s.state.flapping.is_none());
}

/// An incident held back by flapping that recovers before the hold ends was never paged, so
/// no Resolved goes out for it either; one announced before flapping gets its Resolved.
#[test]
fn resolved_only_follows_a_sent_down() {
    let mut m = monitor();
    m.confirmation.flap_threshold = 1;
    m.confirmation.recovery_rounds = 1;
    let mut s = Script::new(m);
    s.run(CONFIRM);
    s.run(&[
        (
            60,
            S,
            Healthy,
            &[
                "update inc_1 recovering",
                "update inc_1 resolved",
                "close inc_1 after 60s",
                "send resolved origin_timeout",
            ],
        ),
        (120, S, Fail(TIMEOUT, TWO), &["recheck@130s"]),
        (
            130,
            R,
            Fail(TIMEOUT, TWO),
            &[
                "open inc_2 origin_timeout",
                "update inc_2 flapping_started",
                "send flapping origin_timeout",
            ],
        ),
        (
            180,
            S,
            Healthy,
            &[
                "update inc_2 recovering",
                "update inc_2 resolved",
                "close inc_2 after 60s",
            ],
        ),
    ]);
    let kinds: Vec<&str> = s.sent.iter().map(|a| a.kind.as_str()).collect();
    assert_eq!(kinds, ["down", "resolved", "flapping"]);
}

/// The stored shape is a compatibility surface (rows written by one deploy are read by the
/// next): a change to it shows up here as a snapshot diff (tests/fixtures/alerts/).
#[test]
fn alert_state_json_shape_mid_incident_matches_its_snapshot() {
    let mut s = Script::new(monitor());
    s.run(CONFIRM);
    s.run(&[(60, S, Healthy, &["update inc_1 recovering"])]);
    let json = serde_json::to_string_pretty(&s.state).unwrap();
    assert_fixture_snapshot!("alerts", "state_recovering.json", json, "");
}

#[test]
fn alert_state_json_has_defaults_for_every_field() {
    let fresh: AlertState = serde_json::from_str("{}").unwrap();
    assert_eq!(fresh, AlertState::default());
    // A row written before flaps were counted as incidents: its transitions are ignored.
    let old: AlertState =
        serde_json::from_str(r#"{"phase": "up", "transitions": [1, 2, 3, 4, 5, 6, 7, 8]}"#)
            .unwrap();
    assert_eq!(old, AlertState::default());
    let mut s = Script::new(monitor());
    s.run(CONFIRM);
    let v = serde_json::to_value(&s.state).unwrap();
    assert_eq!(v["version"], 2);
    assert_eq!(v["phase"], "down");
    assert_eq!(v["incident"]["id"], "inc_1");
    assert_eq!(v["verdict"], "origin_timeout");
    assert_eq!(
        v["flaps"].as_array().unwrap().len(),
        1,
        "one incident confirmed"
    );
    assert_eq!(v["incident"]["down_rounds"], 1);
    assert!(v.get("transitions").is_none());
    // Each phase carries only its own facts: nothing of an incident while merely suspect.
    let mut s = Script::new(monitor());
    s.run(&CONFIRM[..1]);
    let v = serde_json::to_value(&s.state).unwrap();
    assert_eq!(v["phase"], "suspect");
    assert!(
        v.get("incident").is_none() && v.get("healthy_rounds").is_none(),
        "{v}"
    );
    // A row of a newer shape than this code knows is an error, never read as something else.
    let newer = serde_json::from_str::<AlertState>(r#"{"version": 3, "phase": "up"}"#);
    assert!(newer.is_err());
    let broken = serde_json::from_str::<AlertState>(r#"{"version": 2, "phase": "down"}"#);
    assert!(
        broken.is_err(),
        "a current row missing its incident must not load as up"
    );
}

/// Rows written before the state was phased (the flat shape with optional fields) still load,
/// with the same meaning: `state_recovering_v1.json` is what that code stored after exactly the
/// rounds below, and it loads as the state this code reaches after them, so every later round
/// behaves the same.
#[test]
fn alert_state_rows_of_the_flat_shape_load_with_the_same_meaning() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/fixtures/alerts/state_recovering_v1.json"
    );
    let stored = std::fs::read_to_string(path).unwrap();
    assert!(
        !stored.contains("\"version\""),
        "the fixture is of the flat shape"
    );
    let loaded: AlertState = serde_json::from_str(&stored).unwrap();
    let mut s = Script::new(monitor());
    s.run(CONFIRM);
    s.run(&[(60, S, Healthy, &["update inc_1 recovering"])]);
    assert_eq!(loaded, s.state);
    assert_eq!(loaded.phase(), Phase::Recovering);
    assert_eq!(loaded.incident_id(), Some("inc_1"));
    // And from there both go on alike: the next healthy round resolves with the same alert.
    let mut from_row = Script::new(monitor());
    from_row.state = loaded;
    from_row.incidents = 1;
    let rows: &[(i64, RoundKind, Round, &[&str])] = &[(
        120,
        S,
        Healthy,
        &[
            "update inc_1 resolved",
            "close inc_1 after 120s",
            "send resolved origin_timeout",
        ],
    )];
    from_row.run(rows);
    s.run(rows);
    assert_eq!(
        from_row.sent,
        s.sent[1..],
        "the Resolved sent from the stored row"
    );
    assert_eq!(from_row.state, s.state);

    // The flat shape's flapping fields become one episode, kept only while flapping.
    let flat = r#"{"phase": "up", "flaps": [5], "flapping": true, "flapping_since": 5, "flap_announced": true}"#;
    let loaded: AlertState = serde_json::from_str(flat).unwrap();
    assert_eq!(
        loaded.flapping,
        Some(edgeprobe_core::alerting::state::FlapEpisode {
            since: 5,
            announced: true
        })
    );
    assert_eq!(loaded.flaps, [5]);
    let calm: AlertState =
        serde_json::from_str(r#"{"phase": "up", "flapping": false, "flap_announced": false}"#)
            .unwrap();
    assert_eq!(calm, AlertState::default());
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
                let down = matches!(state.phase(), Phase::Down | Phase::Recovering);
                prop_assert_eq!(down, state.incident_id().is_some());
                prop_assert_eq!(state.incident_id(), open.as_deref());
            }
        }

        /// Whatever came before (flapping, maintenance, open incidents): outside maintenance, a
        /// failure lasting `sustained_down_rounds` rounds after its confirmation is paged, and
        /// once the monitor is healthy again every Down that was sent has had its Resolved, and
        /// no Resolved went out for an incident whose Down was not sent.
        #[test]
        fn a_sustained_down_is_always_paged_and_always_resolved(
            rounds in proptest::collection::vec((1i64..400, any::<bool>(), any_round()), 1..60),
            window in (0i64..6_000, 0i64..6_000),
            flap_threshold in 0u32..4,
            recovery_rounds in 1u32..3,
        ) {
            let mut m = with_maintenance(monitor(), window.0.min(window.1), window.0.max(window.1));
            m.confirmation.flap_threshold = flap_threshold;
            m.confirmation.recovery_rounds = recovery_rounds;
            let hold = 3; // the test monitor's sustained_down_rounds
            let l = links();
            let mut state = AlertState::default();
            let (mut now, mut n) = (T0, 0u32);
            let mut downs: Vec<Option<String>> = Vec::new();
            let mut resolved: Vec<Option<String>> = Vec::new();
            let run = |state: AlertState, now: i64, kind: RoundKind, round: Round, n: &mut u32, downs: &mut Vec<Option<String>>, resolved: &mut Vec<Option<String>>| {
                let d = diagnosis(round);
                let reps = reports(round, now);
                let input = RoundInput { diagnosis: &d, reports: &reps, kind, round_id: "r", now, links: &l };
                let (next, effects) = step(state, &input, &m, || { *n += 1; format!("inc_{n}") });
                for e in effects {
                    if let Effect::Send(a) = e {
                        match a.kind {
                            AlertKind::Down => downs.push(a.incident_id.clone()),
                            AlertKind::Resolved => resolved.push(a.incident_id.clone()),
                            _ => {}
                        }
                    }
                }
                next
            };
            for (dt, recheck, round) in rounds {
                now += dt * 1000;
                state = run(state, now, if recheck { R } else { S }, round, &mut n, &mut downs, &mut resolved);
            }
            // After the maintenance window: a hard outage, then recovery.
            now = now.max(T0 + window.0.max(window.1) * 1000) + 60_000;
            for i in 0..(2 + hold) {
                state = run(state, now + i * 60_000, S, Fail(TIMEOUT, TWO), &mut n, &mut downs, &mut resolved);
            }
            prop_assert_eq!(state.phase(), Phase::Down);
            prop_assert!(state.incident().is_some_and(|i| i.announced_down), "a failure held {} rounds after its confirmation was not paged", hold);
            prop_assert_eq!(downs.last().and_then(|d| d.as_deref()), state.incident_id());
            now += (2 + hold) * 60_000;
            for i in 0..i64::from(recovery_rounds) {
                state = run(state, now + i * 60_000, S, Healthy, &mut n, &mut downs, &mut resolved);
            }
            prop_assert_eq!(state.phase(), Phase::Up);
            prop_assert_eq!(&downs, &resolved, "every sent Down has its Resolved, in order, and nothing more");
        }
    }
}
