//! The per-invocation cap on the own TLS client's handshakes (`core::tls::plan`), scripted
//! over lane invocations: never more than the cap, oldest request first, and every deferred
//! handshake granted within a bounded number of invocations.

use std::collections::BTreeMap;

use edgeprobe_core::diagnosis::PathKind;
use edgeprobe_core::tls::plan::{cap_from, Backlog, Why, DEFAULT_CAP, STALE_INVOCATIONS};

fn ids(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("mon_{i:02}")).collect()
}

/// One invocation as the region object runs it: plan with the due requests, run the grants,
/// then for each monitor whose platform TLS failed (in `failing` order) and that was not
/// granted, take from the budget or defer. Returns the (monitor, path) pairs handshaken.
fn invoke(
    backlog: &mut Backlog,
    lane: &[String],
    due: &[(String, PathKind)],
    failing: &[(String, PathKind)],
    cap: u32,
) -> Vec<(String, PathKind)> {
    let mut inv = backlog.plan(lane, due, cap);
    let mut ran = inv.granted.clone();
    for (m, p) in failing {
        if inv.is_granted(m, *p) {
            continue;
        }
        if inv.budget.take() {
            ran.push((m.clone(), *p));
        } else {
            backlog.defer(m, *p, Why::PlatformTlsFailed);
        }
    }
    ran
}

#[test]
fn a_lane_of_failing_tls_monitors_runs_at_most_the_cap_and_names_each_within_a_few_rounds() {
    let lane = ids(8);
    let failing: Vec<(String, PathKind)> =
        lane.iter().map(|m| (m.clone(), PathKind::Origin)).collect();
    let mut backlog = Backlog::default();
    let mut named: BTreeMap<String, usize> = BTreeMap::new();
    // Every round all 8 fail again; first round their certificate checks are due too.
    for round in 0..4 {
        let due: Vec<(String, PathKind)> = if round == 0 { failing.clone() } else { vec![] };
        let ran = invoke(&mut backlog, &lane, &due, &failing, DEFAULT_CAP);
        assert!(ran.len() <= DEFAULT_CAP as usize, "round {round}: {ran:?}");
        assert_eq!(
            ran.len(),
            DEFAULT_CAP as usize,
            "the cap is used, not wasted"
        );
        for (m, _) in ran {
            named.entry(m).or_insert(round);
        }
    }
    // 8 monitors, 3 per invocation: all named by the third invocation.
    assert_eq!(named.len(), 8, "{named:?}");
    assert!(named.values().all(|&r| r <= 2), "{named:?}");
}

#[test]
fn the_oldest_request_goes_first_whatever_its_reason() {
    let lane = ids(4);
    let mut b = Backlog::default();
    // Invocation 1: two scheduled checks due, cap 1: one runs, one waits.
    let inv = b.plan(
        &lane,
        &[
            (lane[0].clone(), PathKind::Origin),
            (lane[1].clone(), PathKind::Edge),
        ],
        1,
    );
    assert_eq!(inv.granted, vec![(lane[0].clone(), PathKind::Origin)]);
    assert_eq!(inv.budget.left, 0);
    // A platform TLS failure found then is deferred behind the waiting check.
    b.defer(&lane[2], PathKind::Origin, Why::PlatformTlsFailed);
    let inv = b.plan(&lane, &[], 1);
    assert_eq!(inv.granted, vec![(lane[1].clone(), PathKind::Edge)]);
    let inv = b.plan(&lane, &[], 1);
    assert_eq!(inv.granted, vec![(lane[2].clone(), PathKind::Origin)]);
    let inv = b.plan(&lane, &[], 1);
    assert!(inv.granted.is_empty());
    assert_eq!(
        inv.budget.left, 1,
        "an idle invocation keeps its whole cap for failures"
    );
}

#[test]
fn a_request_waiting_for_its_monitor_is_not_queued_twice_and_other_lanes_are_not_served() {
    let lane_a = ids(2);
    let lane_b = vec!["mon_other".to_string()];
    let mut b = Backlog::default();
    b.plan(&lane_a, &[], 0);
    b.defer(&lane_a[0], PathKind::Origin, Why::Scheduled);
    b.defer(&lane_a[0], PathKind::Origin, Why::PlatformTlsFailed);
    assert_eq!(b.waiting.len(), 1);
    assert_eq!(b.waiting[0].why, Why::PlatformTlsFailed);
    let inv = b.plan(&lane_b, &[], 3);
    assert!(
        inv.granted.is_empty(),
        "another lane's request waits for its own lane"
    );
    let inv = b.plan(&lane_a, &[], 3);
    assert_eq!(inv.granted, vec![(lane_a[0].clone(), PathKind::Origin)]);
}

#[test]
fn requests_of_monitors_gone_from_every_lane_are_dropped() {
    let mut b = Backlog::default();
    let gone = vec!["mon_deleted".to_string()];
    b.plan(&gone, &[], 0);
    b.defer("mon_deleted", PathKind::Origin, Why::PlatformTlsFailed);
    let other = vec!["mon_x".to_string()];
    for _ in 0..STALE_INVOCATIONS + 1 {
        b.plan(&other, &[], 0);
    }
    assert!(b.waiting.is_empty(), "{:?}", b.waiting);
}

/// Deterministic pseudo-random bits (no clock, no seed from outside).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1);
        self.0 >> 33
    }
}

#[test]
fn every_wanted_handshake_runs_within_the_fifo_bound_whatever_the_pattern() {
    for cap in [1u32, 2, 3, 5] {
        let lane = ids(10);
        let n = lane.len();
        // A request has at most 2n - 1 others ahead of it (one per monitor and path).
        let bound = (2 * n).div_ceil(cap as usize);
        let mut rng = Lcg(u64::from(cap) * 7919);
        let mut b = Backlog::default();
        // (monitor, path) -> invocation its unserved want began.
        let mut pending: BTreeMap<(String, PathKind), usize> = BTreeMap::new();
        let mut worst = 0;
        for round in 0..400 {
            let mut due = Vec::new();
            let mut failing = Vec::new();
            for m in &lane {
                for p in [PathKind::Origin, PathKind::Edge] {
                    let r = rng.next() % 10;
                    if r < 2 {
                        due.push((m.clone(), p));
                    } else if r < 5 {
                        failing.push((m.clone(), p));
                    }
                }
            }
            let ran = invoke(&mut b, &lane, &due, &failing, cap);
            assert!(
                ran.len() <= cap as usize,
                "cap {cap}, round {round}: {ran:?}"
            );
            for key in ran {
                if let Some(since) = pending.remove(&key) {
                    worst = worst.max(round - since);
                }
            }
            for key in due.into_iter().chain(failing) {
                let served = !b.waiting_for(&key.0).any(|r| r.path == key.1);
                if !served {
                    pending.entry(key).or_insert(round);
                }
            }
            for (key, since) in &pending {
                assert!(
                    round - since <= bound,
                    "cap {cap}: {key:?} waited {} invocations (bound {bound})",
                    round - since
                );
            }
        }
        assert!(worst >= 1, "cap {cap}: the pattern made something wait");
    }
}

#[test]
fn the_configured_cap_is_bounded() {
    assert_eq!(cap_from(None), DEFAULT_CAP);
    assert_eq!(cap_from(Some("5")), 5);
    assert_eq!(cap_from(Some("0")), DEFAULT_CAP);
    assert_eq!(cap_from(Some("1000")), DEFAULT_CAP);
    assert_eq!(cap_from(Some("x")), DEFAULT_CAP);
}
