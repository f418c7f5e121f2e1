//! The cost model behind docs/capacity.md and `make bench-capacity`'s projection: what a
//! deployment of a given size spends per day in each resource the plans meter, from the
//! scheduler's own rules and per-round rates the benchmark measures.
//!
//! Why a model and not a straight line: the benchmark runs some hundred monitors, and Durable
//! Object requests per check *fall* as more monitors share a tick (one alarm and one request per
//! region lane, whatever the number of monitors in it), while KV heartbeats and stored-round
//! heartbeats grow with monitors, not checks. Scaling the measured per-check rates linearly would
//! be wrong both ways. The model is checked against the benchmark's own counts at the size it
//! ran (the report prints both), then solved for the largest size each plan carries.
//!
//! What the model counts, per day:
//! - Durable Object requests: per tick that has work, one alarm of the coordinator plus one
//!   request per region lane. Lanes come from the core's own rule
//!   ([`edgeprobe_core::tick::plan_lanes`]), so a change of that rule changes the projection.
//! - Durable Object duration (billed in wall-clock time while an object runs or awaits I/O, at
//!   128 MB): each region object is active while its lanes probe (lanes run side by side, so
//!   the longest lane), the coordinator as long plus its own bookkeeping. A probe's wall time
//!   on the real network is an input (`probe_ms`): loopback timings say nothing about it.
//! - D1 rows written: the hour row of every round, plus the measured extra rows per round
//!   (notable rounds, incidents), plus one stored round per monitor per 30-minute heartbeat.
//! - KV writes: one status document per monitor per 60-minute heartbeat, plus the measured
//!   writes per round (changes).
//! - Durable Object storage rows written: the coordinator's writes per tick with work, plus
//!   the measured writes per round (a monitor's carried memory changing).
//! - Slow monitors (a timeout in their last round) share lanes of their own kind: one more
//!   request per region and tick while any are slow.
//!
//! Pure arithmetic: no I/O.

use edgeprobe_core::monitor::Monitor;
use edgeprobe_core::record::{PUBLISH_HEARTBEAT_MS, STORED_HEARTBEAT_MS};
use edgeprobe_core::tick::{plan_lanes, Grid, LaneRule, LANE_CONCURRENCY};

/// What the plans meter per day (monthly allowances divided by 30).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Plan {
    pub name: &'static str,
    pub do_requests: f64,
    pub do_gb_s: f64,
    pub d1_rows_written: f64,
    pub kv_writes: f64,
    /// Rows written to SQLite-backed Durable Object storage.
    pub do_rows_written: f64,
}

/// The included usage of the two plans, as documented in docs/capacity.md "Limits assumed".
pub const PLANS: [Plan; 2] = [
    Plan {
        name: "Workers Free",
        do_requests: 100_000.0,
        do_gb_s: 13_000.0,
        d1_rows_written: 100_000.0,
        kv_writes: 1_000.0,
        do_rows_written: 100_000.0,
    },
    Plan {
        name: "Workers Paid ($5)",
        do_requests: 1_000_000.0 / 30.0,
        do_gb_s: 400_000.0 / 30.0,
        d1_rows_written: 50_000_000.0 / 30.0,
        kv_writes: 1_000_000.0 / 30.0,
        do_rows_written: 50_000_000.0 / 30.0,
    },
];

/// Durable Objects are billed at 128 MB while active (GB-s = seconds × 0.128).
pub const DO_GB: f64 = 0.128;

/// A deployment's shape and the per-round rates measured for it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Deployment {
    /// Monitor rounds a day (a round probes from every region of the monitor).
    pub checks_per_day: f64,
    pub regions: u32,
    pub interval_s: u64,
    /// The scheduler's tick (`TICK_SECONDS`).
    pub tick_s: u64,
    pub lanes: LaneRule,
    pub timeout_ms: u32,
    /// Wall time of one region's probe of one monitor (edge and origin paths).
    pub probe_ms: f64,
    /// The coordinator's wall time per tick beyond its lanes (storage, recording the last
    /// monitor).
    pub coordinator_overhead_ms: f64,
    /// D1 rows written per round beyond the hour row (measured: notable rounds, incidents).
    pub d1_extra_rows_per_round: f64,
    /// KV writes per round beyond heartbeats (measured: changes).
    pub kv_writes_per_round: f64,
    /// The coordinator's own storage writes per tick with work (cursor, in-flight record put
    /// and delete, alarm, counters: [`DO_WRITES_PER_TICK`]).
    pub do_writes_per_tick: f64,
    /// Its storage writes per round beyond those (measured: what a monitor's memory carries
    /// over a restart changes with each stored or published round).
    pub do_writes_per_round: f64,
    /// The share of monitors that were slow in their last round (a timeout): they share lanes
    /// apart from the others.
    pub slow_share: f64,
}

/// The coordinator's storage writes in a tick with work, from `src/coordinator.rs`: cursor,
/// in-flight record put and delete, alarm, and the counters (at most every 30 s, so at most
/// one per tick).
pub const DO_WRITES_PER_TICK: f64 = 5.0;

/// What a [`Deployment`] uses per day.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Usage {
    pub monitors: f64,
    pub ticks_with_work: f64,
    pub monitors_per_tick: f64,
    pub lanes_per_region: usize,
    pub largest_lane: usize,
    pub do_requests: f64,
    pub do_gb_s: f64,
    pub d1_rows_written: f64,
    pub kv_writes: f64,
    pub do_rows_written: f64,
}

const DAY_S: f64 = 86_400.0;

/// The lanes the core would plan for `n` healthy monitors of `timeout_ms` in one region:
/// (number of lanes, members of the largest).
pub fn lanes_for(n: usize, timeout_ms: u32, rule: LaneRule) -> (usize, usize) {
    if n == 0 {
        return (0, 0);
    }
    let m = Monitor {
        timeout_ms,
        ..crate::builders::monitor()
    };
    let monitors: Vec<&Monitor> = vec![&m; n];
    let batch: Vec<usize> = (0..n).collect();
    let lanes = plan_lanes("weur", &monitors, &batch, &vec![false; n], rule);
    let largest = lanes.iter().map(|l| l.members.len()).max().unwrap_or(0);
    (lanes.len(), largest)
}

/// A day of `d`.
pub fn usage(d: &Deployment) -> Usage {
    // The core's grid: the interval in whole ticks.
    let grid = Grid::from_seconds(d.tick_s).unwrap_or_default();
    let tick_s = (grid.tick_ms() / 1_000) as f64;
    let interval_s = (grid.interval(d.interval_s * 1_000) / 1_000) as f64;
    let monitors = d.checks_per_day * interval_s / DAY_S;
    // Monitors hash onto the interval's phases; the expected number of phases in use.
    let phases = (interval_s / tick_s).max(1.0);
    let used = phases * (1.0 - (1.0 - 1.0 / phases).powf(monitors));
    let used = used.max(if monitors > 0.0 { 1.0 } else { 0.0 });
    let ticks_with_work = if used > 0.0 {
        DAY_S / interval_s * used
    } else {
        0.0
    };
    let per_tick = if used > 0.0 { monitors / used } else { 0.0 };
    let slow = (per_tick * d.slow_share).ceil().min(per_tick.ceil());
    let (fast_lanes, largest) = lanes_for(
        (per_tick.ceil() - slow).max(0.0) as usize,
        d.timeout_ms,
        d.lanes,
    );
    let (slow_lanes, _) = lanes_for(slow as usize, d.timeout_ms, d.lanes);
    let lanes = fast_lanes + slow_lanes;
    let do_requests = ticks_with_work * (1.0 + f64::from(d.regions) * lanes as f64);
    let waves = (largest as f64 / LANE_CONCURRENCY as f64).ceil();
    let region_active_s = waves * d.probe_ms / 1_000.0;
    let coordinator_active_s = region_active_s + d.coordinator_overhead_ms / 1_000.0;
    let cap = |s: f64| s.min(DAY_S);
    let do_gb_s = (f64::from(d.regions) * cap(ticks_with_work * region_active_s)
        + cap(ticks_with_work * coordinator_active_s))
        * DO_GB;
    let stored_heartbeats = monitors * DAY_S * 1_000.0 / STORED_HEARTBEAT_MS as f64;
    let kv_heartbeats = monitors * DAY_S * 1_000.0 / PUBLISH_HEARTBEAT_MS as f64;
    Usage {
        monitors,
        ticks_with_work,
        monitors_per_tick: per_tick,
        lanes_per_region: lanes,
        largest_lane: largest,
        do_requests,
        do_gb_s,
        d1_rows_written: d.checks_per_day * (1.0 + d.d1_extra_rows_per_round) + stored_heartbeats,
        kv_writes: kv_heartbeats + d.checks_per_day * d.kv_writes_per_round,
        do_rows_written: ticks_with_work * d.do_writes_per_tick
            + d.checks_per_day * d.do_writes_per_round,
    }
}

/// Each metered resource of `u` as (name, used per day, included per day).
pub fn against(plan: &Plan, u: &Usage) -> [(&'static str, f64, f64); 5] {
    [
        ("DO requests", u.do_requests, plan.do_requests),
        ("DO duration GB-s", u.do_gb_s, plan.do_gb_s),
        ("D1 rows written", u.d1_rows_written, plan.d1_rows_written),
        ("KV writes", u.kv_writes, plan.kv_writes),
        (
            "DO storage rows written",
            u.do_rows_written,
            plan.do_rows_written,
        ),
    ]
}

/// Whether `plan`'s included usage carries `d`.
pub fn fits(plan: &Plan, d: &Deployment) -> bool {
    against(plan, &usage(d))
        .iter()
        .all(|(_, used, limit)| used <= limit)
}

/// The most checks a day `plan` carries with `d`'s shape (bisection over checks; usage is not
/// strictly monotonic — lanes come in whole requests — so the answer is the largest size found
/// to fit below the first size that does not, to within 0.1 %).
pub fn max_checks(plan: &Plan, d: &Deployment) -> f64 {
    let at = |c: f64| Deployment {
        checks_per_day: c,
        ..*d
    };
    let (mut lo, mut hi) = (0.0_f64, 1.0e9_f64);
    if fits(plan, &at(hi)) {
        return hi;
    }
    for _ in 0..200 {
        if hi - lo <= hi * 0.001 {
            break;
        }
        let mid = (lo + hi) / 2.0;
        if fits(plan, &at(mid)) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    lo
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(checks: f64) -> Deployment {
        Deployment {
            checks_per_day: checks,
            regions: 3,
            interval_s: 60,
            tick_s: 60,
            lanes: LaneRule {
                max_monitors: 100,
                budget_ms: 400_000,
            },
            timeout_ms: 10_000,
            probe_ms: 400.0,
            coordinator_overhead_ms: 200.0,
            d1_extra_rows_per_round: 0.05,
            kv_writes_per_round: 0.0,
            do_writes_per_tick: 4.0,
            do_writes_per_round: 0.0,
            slow_share: 0.0,
        }
    }

    #[test]
    fn lanes_follow_the_cores_rule() {
        // 120 s budget, 10 s timeouts, 3 at once: 36 fit; the cap of 24 binds first.
        assert_eq!(lanes_for(58, 10_000, LaneRule::default()), (3, 24));
        let roomy = LaneRule {
            max_monitors: 400,
            budget_ms: 120_000,
        };
        assert_eq!(lanes_for(58, 10_000, roomy), (2, 36));
        assert_eq!(lanes_for(0, 10_000, roomy), (0, 0));
    }

    #[test]
    fn a_million_checks_on_minute_ticks_by_hand() {
        let u = usage(&shape(1_000_000.0));
        // 694.4 monitors, all on the one phase of a 60 s interval on a 60 s tick.
        assert!((u.monitors - 694.44).abs() < 0.01, "{u:?}");
        assert!((u.ticks_with_work - 1_440.0).abs() < 1e-6, "{u:?}");
        // 695 per tick in lanes of at most 100: 7 lanes per region.
        assert_eq!((u.lanes_per_region, u.largest_lane), (7, 100));
        assert!((u.do_requests - 1_440.0 * 22.0).abs() < 1e-6);
        // 34 waves × 0.4 s per region object and tick; the coordinator 0.2 s more.
        let expect = (3.0 * 1_440.0 * 13.6 + 1_440.0 * 13.8) * DO_GB;
        assert!(
            (u.do_gb_s - expect).abs() < 1e-6,
            "{} vs {expect}",
            u.do_gb_s
        );
        // Hour rows + 5 % notable + 48 stored heartbeats a monitor; 24 KV heartbeats.
        assert!((u.d1_rows_written - (1_050_000.0 + 694.44 * 48.0)).abs() < 1.0);
        assert!((u.kv_writes - 694.44 * 24.0).abs() < 1.0);
        assert!((u.do_rows_written - 1_440.0 * 4.0).abs() < 1e-6);
        assert!(fits(&PLANS[1], &shape(1_000_000.0)));
    }

    #[test]
    fn slow_monitors_cost_a_lane_per_region_not_one_each() {
        let d = Deployment {
            slow_share: 0.017,
            ..shape(1_000_000.0)
        };
        let u = usage(&d);
        // 12 slow of 695: one slow lane beside the 7 of the rest (683 in lanes of 100).
        assert_eq!(u.lanes_per_region, 8, "{u:?}");
        assert!((u.do_requests - 1_440.0 * 25.0).abs() < 1e-6);
    }

    #[test]
    fn five_second_ticks_cannot_carry_a_million_checks_at_three_regions() {
        // The alarm alone is 17,280 requests a day; with one lane per region 69,120.
        let d = Deployment {
            tick_s: 5,
            interval_s: 60,
            lanes: LaneRule {
                max_monitors: 400,
                budget_ms: 900_000,
            },
            ..shape(1_000_000.0)
        };
        let u = usage(&d);
        assert!(u.do_requests >= 17_280.0 * 4.0 - 1.0, "{u:?}");
        assert!(!fits(&PLANS[1], &d));
        assert!(max_checks(&PLANS[1], &d) < 1_000_000.0);
    }

    #[test]
    fn the_free_plan_carries_ten_monitors_at_three_regions_every_minute() {
        let d = Deployment {
            checks_per_day: 14_400.0,
            tick_s: 5,
            lanes: LaneRule::default(),
            ..shape(0.0)
        };
        let u = usage(&d);
        // 10 monitors over 12 phases: about 7 ticks a minute have work.
        assert!((6.0..8.0).contains(&(u.ticks_with_work / 1_440.0)), "{u:?}");
        assert!(fits(&PLANS[0], &d), "{:?}", against(&PLANS[0], &u));
    }

    #[test]
    fn the_largest_size_fits_and_a_little_more_does_not() {
        for plan in &PLANS {
            let d = shape(0.0);
            let c = max_checks(plan, &d);
            assert!(c > 0.0);
            assert!(fits(
                plan,
                &Deployment {
                    checks_per_day: c,
                    ..d
                }
            ));
            assert!(!fits(
                plan,
                &Deployment {
                    checks_per_day: c * 1.01,
                    ..d
                }
            ));
        }
    }
}
