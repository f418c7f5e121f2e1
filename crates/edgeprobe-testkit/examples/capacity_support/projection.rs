//! The report's projection onto the plans, through the cost model
//! (`edgeprobe_testkit::capacity`): first the model against this run's own counts (so a
//! projection from a model that does not match the measurement shows at once), then the largest
//! deployment each plan's included usage carries with this run's settings, then the two
//! deployments issue 12 names (the free plan's 10 monitors × 3 regions × 60 s at the default
//! settings; a million checks a day at R = 3 on the paid plan with minute ticks).

use std::fmt::Write as _;

use edgeprobe_core::tick::{LaneRule, LANE_BUDGET_MS, LANE_MAX_MONITORS};
use edgeprobe_testkit::capacity::{
    against, max_checks, usage, Deployment, DO_WRITES_PER_TICK, PLANS,
};

/// What the run measured and how the worker was configured.
pub struct Measured {
    pub monitors: usize,
    pub regions: u32,
    pub interval_s: u64,
    pub timeout_ms: u32,
    pub tick_s: u64,
    pub lanes: LaneRule,
    pub window_s: f64,
    pub rounds: f64,
    pub alarms: f64,
    pub do_requests_sent: f64,
    pub d1_rows_written: f64,
    pub d1_queries: f64,
    pub kv_writes: f64,
    pub do_storage_writes: f64,
    /// Monitors whose origin hangs (slow every round).
    pub hanging: usize,
}

/// A real network's probe wall time for one region's two paths: the model's one assumption
/// (loopback timings say nothing about it). Shown with a sensitivity line.
pub const PROBE_MS: f64 = 400.0;
/// The coordinator's own time per tick beyond its lanes (storage, the last recording).
pub const COORDINATOR_OVERHEAD_MS: f64 = 200.0;

/// Reads `TICK_SECONDS`, `LANE_MAX_MONITORS` and `LANE_BUDGET_SECONDS` from `BENCH_VARS` (the
/// worker vars the run was started with), with the worker's defaults.
pub fn settings(bench_vars: &str) -> (u64, LaneRule) {
    let get = |name: &str| {
        bench_vars
            .split_whitespace()
            .filter_map(|v| v.split_once(':'))
            .find(|(k, _)| *k == name)
            .and_then(|(_, v)| v.parse::<i64>().ok())
    };
    let tick = get("TICK_SECONDS").map_or(5, |v| v as u64);
    let lanes = LaneRule {
        max_monitors: get("LANE_MAX_MONITORS").map_or(LANE_MAX_MONITORS, |v| v as usize),
        budget_ms: get("LANE_BUDGET_SECONDS").map_or(LANE_BUDGET_MS, |v| v * 1_000),
    };
    (tick, lanes)
}

fn per(x: f64, y: f64) -> f64 {
    if y > 0.0 {
        x / y
    } else {
        0.0
    }
}

/// The deployment this run stands for, at `checks_per_day`.
fn shape(m: &Measured, checks_per_day: f64) -> Deployment {
    Deployment {
        checks_per_day,
        regions: m.regions,
        interval_s: m.interval_s,
        tick_s: m.tick_s,
        lanes: m.lanes,
        timeout_ms: m.timeout_ms,
        probe_ms: PROBE_MS,
        coordinator_overhead_ms: COORDINATOR_OVERHEAD_MS,
        // Beyond the hour row every round writes (the window is shorter than any heartbeat).
        d1_extra_rows_per_round: (per(m.d1_rows_written, m.rounds) - 1.0).max(0.0),
        kv_writes_per_round: per(m.kv_writes, m.rounds),
        do_writes_per_tick: DO_WRITES_PER_TICK,
        do_writes_per_round: (per(m.do_storage_writes, m.rounds)
            - DO_WRITES_PER_TICK * per(m.alarms, m.rounds))
        .max(0.0),
        slow_share: per(m.hanging as f64, m.monitors as f64),
    }
}

fn table(r: &mut String, d: &Deployment, queries_per_round: f64) {
    let u = usage(d);
    let _ = writeln!(
        r,
        "    {:.0} monitors, {:.0} ticks/day with work, {:.0} monitors per tick, {} lane(s) per region (largest {})",
        u.monitors, u.ticks_with_work, u.monitors_per_tick, u.lanes_per_region, u.largest_lane
    );
    let _ = writeln!(
        r,
        "    D1 queries per alarm invocation (a tick's rounds are recorded by its alarm's work): {:.0} (limits: 50 free, 1,000 paid; more shards split it)",
        u.monitors_per_tick.ceil() * queries_per_round
    );
    for plan in &PLANS {
        let rows = against(plan, &u);
        let fits = rows.iter().all(|(_, used, limit)| used <= limit);
        let _ = writeln!(
            r,
            "    {}: {}",
            plan.name,
            if fits { "fits" } else { "does NOT fit" }
        );
        for (name, used, limit) in rows {
            let _ = writeln!(
                r,
                "      {name:<24} {used:>12.0} of {limit:>12.0} a day ({:>5.1} %)",
                100.0 * per(used, limit)
            );
        }
    }
}

/// The projection section of the report. Returns it and whether each of issue 12's plan
/// targets is met: (free plan carries 10 × 3 × 60 s, paid plan carries 1 M checks at R = 3).
pub fn report(m: &Measured) -> (String, bool, bool) {
    let mut r = String::new();
    let checks_per_day = m.monitors as f64 * 86_400.0 / m.interval_s as f64;
    let here = shape(m, checks_per_day);
    let u = usage(&here);
    let _ = writeln!(
        r,
        "\n## Projection (cost model: crates/edgeprobe-testkit/src/capacity.rs; included usage)"
    );
    let _ = writeln!(
        r,
        "settings: TICK_SECONDS {} LANE_MAX_MONITORS {} LANE_BUDGET_SECONDS {}; measured per round: D1 rows {:.2}, KV writes {:.3}, DO storage writes beyond the {DO_WRITES_PER_TICK} a tick {:.3}; slow (hanging) share {:.3}",
        m.tick_s,
        m.lanes.max_monitors,
        m.lanes.budget_ms / 1_000,
        per(m.d1_rows_written, m.rounds),
        per(m.kv_writes, m.rounds),
        here.do_writes_per_round,
        here.slow_share
    );
    // The model against the run: requests per check and alarms per minute.
    let measured_do = per(m.alarms + m.do_requests_sent, m.rounds);
    let model_do = per(u.do_requests, checks_per_day);
    let _ = writeln!(
        r,
        "model check at this run's size ({} monitors x {} s, R = {}): DO requests/check measured {:.3}, model {:.3}; alarms/min measured {:.2}, model {:.2}",
        m.monitors,
        m.interval_s,
        m.regions,
        measured_do,
        model_do,
        per(m.alarms, m.window_s / 60.0),
        u.ticks_with_work / 1_440.0
    );
    let _ = writeln!(
        r,
        "assumed: a probe's wall time on the real network {PROBE_MS:.0} ms per region (Durable Object duration), coordinator {COORDINATOR_OVERHEAD_MS:.0} ms per tick beyond its lanes"
    );
    for plan in &PLANS {
        let c = max_checks(plan, &here);
        let _ = writeln!(
            r,
            "{}: carries {:.0} checks/day with these settings ({:.0} monitors at {} s, R = {})",
            plan.name,
            c,
            c * m.interval_s as f64 / 86_400.0,
            m.interval_s,
            m.regions
        );
    }

    let free = Deployment {
        checks_per_day: 14_400.0,
        regions: 3,
        interval_s: 60,
        tick_s: 5,
        lanes: LaneRule::default(),
        ..here
    };
    let _ = writeln!(
        r,
        "\nFree plan target: 10 monitors x 3 regions x 60 s at the default settings (5 s tick, lanes of 24):"
    );
    let q = per(m.d1_queries, m.rounds);
    table(&mut r, &free, q);
    let free_ok = against(&PLANS[0], &usage(&free))
        .iter()
        .all(|(_, used, limit)| used <= limit)
        && usage(&free).monitors_per_tick.ceil() * q <= 50.0;

    let million = Deployment {
        checks_per_day: 1_000_000.0,
        regions: 3,
        interval_s: 60,
        tick_s: 60,
        lanes: LaneRule {
            max_monitors: 120,
            budget_ms: 420_000,
        },
        timeout_ms: 10_000,
        ..here
    };
    let _ = writeln!(
        r,
        "\n$5 plan target: 1,000,000 checks/day at R = 3 (694 monitors x 60 s; TICK_SECONDS=60 LANE_MAX_MONITORS=120 LANE_BUDGET_SECONDS=420, 10 s timeouts):"
    );
    table(&mut r, &million, q);
    let paid_ok = against(&PLANS[1], &usage(&million))
        .iter()
        .all(|(_, used, limit)| used <= limit)
        && usage(&million).monitors_per_tick.ceil() * q <= 1_000.0;
    for probe_ms in [250.0, 600.0] {
        let u = usage(&Deployment {
            probe_ms,
            ..million
        });
        let _ = writeln!(
            r,
            "    sensitivity: probes of {probe_ms:.0} ms -> DO duration {:.0} GB-s/day ({:.0} % of the paid plan's)",
            u.do_gb_s,
            100.0 * per(u.do_gb_s, PLANS[1].do_gb_s)
        );
    }
    (r, free_ok, paid_ok)
}
