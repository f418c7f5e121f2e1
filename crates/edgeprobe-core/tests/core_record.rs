//! What a concluded round writes (edgeprobe_core::record), as a script over time: a steady
//! healthy monitor writes only its hour row; changes, failures, manual rounds and heartbeats
//! write the rest.

use edgeprobe_core::observation::RegionReport;
use edgeprobe_core::record::*;
use edgeprobe_core::round::RoundKind;
use edgeprobe_core::time::{UnixMillis, HOUR};
use edgeprobe_testkit::builders;

const T: UnixMillis = 1_800_000_000_000 - 1_800_000_000_000 % HOUR;

fn healthy(m: &edgeprobe_core::monitor::Monitor) -> Vec<RegionReport> {
    m.regions
        .iter()
        .map(|r| {
            builders::probed(
                r,
                builders::edge(200, &[], "ok", 20),
                Some(builders::origin_ok(200, 15)),
            )
        })
        .collect()
}

fn refused(m: &edgeprobe_core::monitor::Monitor) -> Vec<RegionReport> {
    m.regions
        .iter()
        .map(|r| {
            builders::probed(
                r,
                builders::edge(502, &[("server", "nginx")], "bad gateway", 20),
                Some(builders::origin_refused()),
            )
        })
        .collect()
}

struct Run {
    memory: Memory,
    n: u32,
}

impl Run {
    fn round(&mut self, kind: RoundKind, at: UnixMillis, reports: &[RegionReport]) -> Conclusion {
        let m = builders::monitor();
        let links = builders::links();
        self.n += 1;
        let id = format!("rnd_{}", self.n);
        let facts = RoundFacts {
            monitor: &m,
            kind,
            scheduled_for: at,
            started_at: at,
            reports,
            round_id: &id,
            links: &links,
            now: at + 500,
        };
        let (next, c) = conclude(&facts, &self.memory, || format!("inc_{}", self.n));
        self.memory = next;
        c
    }
}

#[test]
fn a_steady_healthy_monitor_writes_only_its_hour_row() {
    let m = builders::monitor();
    let mut run = Run {
        memory: Memory::default(),
        n: 0,
    };
    let first = run.round(RoundKind::Scheduled, T, &healthy(&m));
    assert!(first.store_round, "the first round after a start is stored");
    assert!(first.publish.is_some(), "and published");
    let mut writes = 0;
    for k in 1..=20 {
        let c = run.round(RoundKind::Scheduled, T + k * 60_000, &healthy(&m));
        assert_eq!(c.hour.seq, (k + 1) as u32, "every round is in the hour row");
        writes += usize::from(c.store_round)
            + usize::from(c.publish.is_some())
            + usize::from(c.alert_state.is_some());
    }
    assert_eq!(
        writes, 0,
        "20 unchanged rounds: no round row, no KV put, no alert state"
    );
    // Past the stored round's heartbeat (30 min), one full round; past the KV heartbeat
    // (60 min), one KV put.
    let c = run.round(RoundKind::Scheduled, T + 31 * 60_000, &healthy(&m));
    assert!(c.store_round && c.publish.is_none());
    assert!(c.alert_state.is_none());
    let c = run.round(RoundKind::Scheduled, T + 61 * 60_000, &healthy(&m));
    assert!(c.publish.is_some() && c.alert_state.is_none());
}

#[test]
fn failures_changes_and_manual_rounds_are_stored_and_published() {
    let m = builders::monitor();
    let mut run = Run {
        memory: Memory::default(),
        n: 0,
    };
    run.round(RoundKind::Scheduled, T, &healthy(&m));
    run.round(RoundKind::Scheduled, T + 60_000, &healthy(&m));
    let down = run.round(RoundKind::Scheduled, T + 120_000, &refused(&m));
    assert!(down.store_round && down.publish.is_some() && down.alert_state.is_some());
    let again = run.round(RoundKind::Scheduled, T + 180_000, &refused(&m));
    assert!(again.store_round, "failing rounds keep their evidence");
    assert!(again.publish.is_none(), "the page already shows it");
    let manual = run.round(RoundKind::Manual, T + 200_000, &refused(&m));
    assert!(manual.store_round);
    let back = run.round(RoundKind::Scheduled, T + 240_000, &healthy(&m));
    assert!(back.store_round && back.publish.is_some());
}

#[test]
fn the_hour_row_starts_over_each_hour_and_counts_paths() {
    let m = builders::monitor();
    let mut run = Run {
        memory: Memory::default(),
        n: 0,
    };
    run.round(RoundKind::Scheduled, T + HOUR - 60_000, &healthy(&m));
    let c = run.round(RoundKind::Scheduled, T + HOUR, &refused(&m));
    assert_eq!(c.hour.hour, T + HOUR);
    assert_eq!(c.hour.seq, 1);
    // Edge and origin per region, each one check and one failure.
    assert_eq!(c.hour.rollups.len(), m.regions.len() * 2);
    assert!(c
        .hour
        .rollups
        .iter()
        .all(|r| r.checks == 1 && r.failures == 1));
    assert_eq!(c.hour.last_scheduled_for, T + HOUR);
}

#[test]
fn a_timeout_marks_the_monitor_slow_and_a_clean_round_clears_it() {
    let m = builders::monitor();
    let mut run = Run {
        memory: Memory::default(),
        n: 0,
    };
    let hung: Vec<RegionReport> = m
        .regions
        .iter()
        .map(|r| {
            builders::probed(
                r,
                builders::edge(200, &[], "ok", 20),
                Some(builders::origin_connect_timeout()),
            )
        })
        .collect();
    run.round(RoundKind::Scheduled, T, &hung);
    assert!(run.memory.slow);
    run.round(RoundKind::Scheduled, T + 60_000, &healthy(&m));
    assert!(!run.memory.slow);
}

/// A Durable Object is evicted between the alarms of a long tick: the new instance reloads the
/// alert state and hour row from D1 and takes back what the old one carried. A steady monitor
/// then writes nothing more than before the restart; without the carried part it would store
/// and publish its next round again (every round, when every tick restarts).
#[test]
fn a_restart_between_rounds_does_not_store_or_publish_a_steady_monitor_again() {
    let m = builders::monitor();
    let mut run = Run {
        memory: Memory::default(),
        n: 0,
    };
    let first = run.round(RoundKind::Scheduled, T, &healthy(&m));
    assert!(first.store_round && first.publish.is_some());
    let carried = run.memory.carried();
    assert!(
        carried.published.is_some() && carried.stored.is_some(),
        "a stored and published round is carried"
    );
    // The restart: a fresh instance with D1's part and the carried part.
    let mut restarted = Memory {
        alert: run.memory.alert.clone(),
        hour: run.memory.hour.clone(),
        ..Memory::default()
    };
    restarted.restore(carried.clone());
    assert_eq!(restarted.carried(), carried);
    let mut after = Run {
        memory: restarted,
        n: 10,
    };
    let c = after.round(RoundKind::Scheduled, T + 60_000, &healthy(&m));
    assert!(
        !c.store_round && c.publish.is_none(),
        "nothing new to write"
    );
    // Without it, the same round is stored and published again.
    let mut forgetful = Run {
        memory: Memory {
            alert: run.memory.alert.clone(),
            hour: run.memory.hour.clone(),
            ..Memory::default()
        },
        n: 20,
    };
    let c = forgetful.round(RoundKind::Scheduled, T + 60_000, &healthy(&m));
    assert!(c.store_round && c.publish.is_some());
}
