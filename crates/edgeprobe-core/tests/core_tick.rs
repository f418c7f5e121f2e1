//! The tick machine (edgeprobe_core::tick), as scripts over time: which slots an alarm runs or
//! records as missed, how lanes are sized and their deadlines set, and how streamed reports
//! conclude each monitor's round on its own.

use edgeprobe_core::limits::FANOUT_MARGIN_MS;
use edgeprobe_core::monitor::Monitor;
use edgeprobe_core::observation::{EdgeFailure, RegionReport};
use edgeprobe_core::round::RoundKind;
use edgeprobe_core::tick::*;
use edgeprobe_testkit::builders;

fn monitor(id: &str, regions: &[&str], timeout_ms: u32) -> Monitor {
    Monitor {
        id: id.into(),
        slug: id.into(),
        regions: regions.iter().map(|s| s.to_string()).collect(),
        timeout_ms,
        ..builders::monitor()
    }
}

fn ok(region: &str) -> RegionReport {
    builders::probed(region, builders::edge(200, &[], "ok", 12), None)
}

fn rule(max_monitors: usize) -> LaneRule {
    LaneRule {
        max_monitors,
        ..LaneRule::default()
    }
}

fn slot<'a>(id: &'a str, interval_ms: u64, since: i64) -> SlotView<'a> {
    SlotView {
        monitor_id: id,
        interval_ms,
        paused: false,
        since,
        recheck_at: None,
    }
}

const G: Grid = Grid::DEFAULT;
const T: i64 = 1_800_000_000_000; // a tick boundary (divisible by 5 000)

#[test]
fn phases_are_tick_aligned_and_spread() {
    let mut seen = std::collections::BTreeSet::new();
    for i in 0..200 {
        let p = G.phase(&format!("mon_{i}"), 60_000);
        assert_eq!(p % DEFAULT_TICK_MS, 0, "phase {p} is on the tick grid");
        assert!((0..60_000).contains(&p));
        seen.insert(p);
    }
    // 12 possible phases for a 60 s interval; 200 ids use every one of them.
    assert_eq!(seen.len(), 12);
}

#[test]
fn a_monitor_runs_once_per_interval_on_its_grid_and_nothing_is_missed() {
    let s = [slot("mon_a", 30_000, T - 3_600_000)];
    let mut cursor = Some(T);
    let mut runs = Vec::new();
    // Alarms exactly when planned, for 10 minutes.
    let mut now = T;
    for _ in 0..200 {
        let plan = G.plan_tick(&s, cursor, now);
        assert!(
            plan.missed.is_empty(),
            "no slot missed when alarms are on time"
        );
        runs.extend(plan.runs.iter().map(|r| r.scheduled_for));
        cursor = Some(plan.cursor);
        let next = plan
            .next_alarm
            .expect("a running monitor always has a next alarm");
        assert!(next > now);
        now = next;
        if now > T + 600_000 {
            break;
        }
    }
    assert_eq!(runs.len(), 20, "10 minutes of a 30 s monitor");
    for w in runs.windows(2) {
        assert_eq!(w[1] - w[0], 30_000);
    }
    assert!(runs
        .iter()
        .all(|&r| r == G.slot_at_or_before("mon_a", 30_000, r)));
}

#[test]
fn slots_skipped_by_a_late_alarm_are_missed_and_the_latest_runs() {
    let id = "mon_late";
    let s = [slot(id, 30_000, T - 3_600_000)];
    let first = G.slot_after(id, 30_000, T);
    // The alarm meant for `first` fires 95 s late.
    let plan = G.plan_tick(&s, Some(T), first + 95_000);
    assert_eq!(plan.runs.len(), 1);
    let ran = plan.runs[0].scheduled_for;
    assert_eq!(ran, G.slot_at_or_before(id, 30_000, first + 95_000));
    let missed: Vec<i64> = plan.missed.iter().map(|(_, t)| *t).collect();
    assert_eq!(missed, vec![first, first + 30_000, first + 60_000]);
    assert_eq!(ran, first + 90_000);
}

#[test]
fn a_new_monitor_has_no_missed_slots_before_it_joined() {
    let s = [slot("mon_new", 30_000, T + 1)];
    let plan = G.plan_tick(&s, Some(T - 600_000), T + 40_000);
    assert!(
        plan.missed.iter().all(|(_, at)| *at > T),
        "{:?}",
        plan.missed
    );
}

#[test]
fn paused_monitors_neither_run_nor_miss_nor_arm() {
    let mut s = slot("mon_p", 30_000, T - 3_600_000);
    s.paused = true;
    let plan = G.plan_tick(&[s], Some(T - 600_000), T);
    assert!(plan.runs.is_empty() && plan.missed.is_empty());
    assert_eq!(plan.next_alarm, None);
}

#[test]
fn rechecks_run_at_their_time_unless_a_scheduled_round_runs_anyway() {
    let id = "mon_r";
    let mut s = slot(id, 60_000, T - 3_600_000);
    let next_slot = G.slot_after(id, 60_000, T);
    s.recheck_at = Some(T + 1_234);
    // Armed for the re-check, not the next slot.
    let plan = G.plan_tick(std::slice::from_ref(&s), Some(T), T);
    assert_eq!(plan.next_alarm, Some((T + 1_234).min(next_slot)));
    let plan = G.plan_tick(std::slice::from_ref(&s), Some(T), T + 1_234);
    if next_slot > T + 1_234 {
        assert_eq!(plan.runs.len(), 1);
        assert_eq!(plan.runs[0].kind, RoundKind::Recheck);
        assert_eq!(plan.runs[0].scheduled_for, T + 1_234);
    }
    // On a tick where the scheduled slot runs, the re-check is not run twice.
    let plan = G.plan_tick(&[s], Some(T), next_slot.max(T + 1_234));
    assert_eq!(plan.runs.iter().filter(|r| r.monitor_id == id).count(), 1);
}

#[test]
fn many_monitors_share_ticks_so_alarms_are_few() {
    let ids: Vec<String> = (0..100).map(|i| format!("mon_{i}")).collect();
    let slots: Vec<SlotView> = ids
        .iter()
        .map(|id| slot(id, 30_000, T - 3_600_000))
        .collect();
    let (mut cursor, mut now, mut alarms, mut rounds) = (Some(T), T, 0, 0);
    while now <= T + 300_000 {
        let plan = G.plan_tick(&slots, cursor, now);
        alarms += 1;
        rounds += plan.runs.len();
        cursor = Some(plan.cursor);
        now = plan.next_alarm.unwrap();
    }
    // Slots in (T, T + 300 s]: ten per monitor whatever its phase.
    assert_eq!(rounds, 1_000, "every monitor every 30 s for 5 minutes");
    // One per tick in (T, T + 300 s], plus the first at T: never one per monitor.
    assert!(alarms <= 61, "at most one alarm per tick: {alarms}");
}

#[test]
fn lanes_fit_the_budget_and_deadlines_follow_the_same_worst_case() {
    let ms: Vec<Monitor> = (0..40)
        .map(|i| monitor(&format!("m{i}"), &["weur"], 10_000))
        .collect();
    let refs: Vec<&Monitor> = ms.iter().collect();
    let batch: Vec<usize> = (0..40).collect();
    let lanes = plan_lanes("weur", &refs, &batch, &[false; 40], rule(400));
    let members: usize = lanes.iter().map(|l| l.members.len()).sum();
    assert_eq!(members, 40);
    for l in &lanes {
        // LANE_CONCURRENCY at once, each 10 s worst case: deadline = wave * 10 s + own + margin.
        for (k, d) in l.deadline_ms.iter().enumerate() {
            let wave = (k / LANE_CONCURRENCY) as i64;
            assert_eq!(*d, wave * 10_000 + 10_000 + FANOUT_MARGIN_MS);
            assert!(d - FANOUT_MARGIN_MS <= LANE_BUDGET_MS);
        }
    }
    assert_eq!(lanes.len(), 2, "36 per lane within a 120 s worst case");
    // The member cap (the free plan's subrequests) splits further.
    let capped = plan_lanes("weur", &refs, &batch, &[false; 40], rule(LANE_MAX_MONITORS));
    assert_eq!(capped.len(), 2);
    assert!(capped.iter().all(|l| l.members.len() <= LANE_MAX_MONITORS));
    let capped = plan_lanes("weur", &refs, &batch, &[false; 40], rule(10));
    assert_eq!(capped.len(), 4);
    // A larger budget (LANE_BUDGET_SECONDS) packs more members into one lane, and the
    // deadlines still follow the same worst case.
    let roomy = LaneRule {
        max_monitors: 400,
        budget_ms: 600_000,
    };
    let packed = plan_lanes("weur", &refs, &batch, &[false; 40], roomy);
    assert_eq!(packed.len(), 1, "14 waves of 10 s fit 600 s");
    let last = *packed[0].deadline_ms.last().unwrap();
    assert_eq!(last, 13 * 10_000 + 10_000 + FANOUT_MARGIN_MS);
}

#[test]
fn only_tick_lengths_that_divide_a_minute_are_accepted() {
    for s in [5, 10, 15, 20, 30, 60] {
        assert_eq!(Grid::from_seconds(s).unwrap().tick_ms(), s as i64 * 1_000);
    }
    for s in [0, 1, 7, 25, 45, 90, 120] {
        assert_eq!(Grid::from_seconds(s), None, "{s}");
    }
    assert_eq!(Grid::default(), Grid::from_seconds(5).unwrap());
}

/// Runs `slots` on `grid` from `now` until `until`, alarms exactly when planned; returns
/// (alarms, runs per monitor id, missed slots, the cursor and the next alarm at the end).
fn run_grid(
    grid: Grid,
    slots: &[SlotView],
    mut cursor: Option<i64>,
    mut now: i64,
    until: i64,
) -> (
    usize,
    std::collections::BTreeMap<String, Vec<i64>>,
    usize,
    Option<i64>,
    i64,
) {
    let (mut alarms, mut runs, mut missed) = (0, std::collections::BTreeMap::new(), 0);
    for _ in 0..100_000 {
        if now > until {
            break;
        }
        let plan = grid.plan_tick(slots, cursor, now);
        alarms += 1;
        missed += plan.missed.len();
        for r in &plan.runs {
            runs.entry(r.monitor_id.clone())
                .or_insert_with(Vec::new)
                .push(r.scheduled_for);
        }
        cursor = Some(plan.cursor);
        let Some(next) = plan.next_alarm else {
            panic!("running monitors always have a next alarm")
        };
        now = next;
    }
    (alarms, runs, missed, cursor, now)
}

#[test]
fn a_longer_tick_puts_more_monitors_in_each_alarm() {
    let ids: Vec<String> = (0..120).map(|i| format!("mon_{i}")).collect();
    let slots: Vec<SlotView> = ids
        .iter()
        .map(|id| slot(id, 60_000, T - 3_600_000))
        .collect();
    let minute = Grid::from_seconds(60).unwrap();
    // T is a minute boundary: 1_800_000_000_000 / 60_000 is whole.
    assert_eq!(T % 60_000, 0);
    let (fine_alarms, fine_runs, fine_missed, ..) = run_grid(G, &slots, Some(T), T, T + 600_000);
    let (coarse_alarms, coarse_runs, coarse_missed, ..) =
        run_grid(minute, &slots, Some(T), T, T + 600_000);
    for runs in [&fine_runs, &coarse_runs] {
        assert_eq!(runs.len(), 120);
        assert!(
            runs.values().all(|r| r.len() == 10),
            "every monitor once a minute"
        );
    }
    assert_eq!((fine_missed, coarse_missed), (0, 0));
    // 12 phases a minute on the 5 s grid, one on the minute grid.
    assert!(fine_alarms >= 100, "{fine_alarms}");
    assert!(coarse_alarms <= 11, "{coarse_alarms}");
    for r in coarse_runs.values().flatten() {
        assert_eq!(r % 60_000, 0, "on the minute grid");
    }
}

#[test]
fn changing_the_tick_length_keeps_the_cursor_and_misses_nothing() {
    let ids: Vec<String> = (0..60).map(|i| format!("mon_{i}")).collect();
    let slots: Vec<SlotView> = ids
        .iter()
        .map(|id| slot(id, 60_000, T - 3_600_000))
        .collect();
    let minute = Grid::from_seconds(60).unwrap();
    let (_, before, m1, cursor, now) = run_grid(G, &slots, Some(T), T, T + 300_000);
    // The deployment switches to 60 s ticks with the stored cursor; and back again.
    let (_, after, m2, cursor, now) = run_grid(minute, &slots, cursor, now, T + 900_000);
    let (_, back, m3, ..) = run_grid(G, &slots, cursor, now, T + 1_500_000);
    assert_eq!(
        (m1, m2, m3),
        (0, 0, 0),
        "a grid change records no missed slot"
    );
    for id in &ids {
        let mut all: Vec<i64> = [&before, &after, &back]
            .iter()
            .flat_map(|m| m.get(id).cloned().unwrap_or_default())
            .collect();
        all.sort();
        // Never two rounds of one slot, and never a gap of more than two intervals (one
        // re-phase each way).
        for w in all.windows(2) {
            assert!(w[1] > w[0], "{id}: {all:?}");
            assert!(w[1] - w[0] <= 120_000, "{id}: {all:?}");
        }
        assert!(all.len() >= 24, "{id}: {} rounds in 25 minutes", all.len());
    }
}

#[test]
fn slow_monitors_share_lanes_apart_from_the_others() {
    let ms: Vec<Monitor> = (0..8)
        .map(|i| monitor(&format!("m{i}"), &["weur"], 10_000))
        .collect();
    let refs: Vec<&Monitor> = ms.iter().collect();
    let slow = [false, false, true, false, true, false, true, false];
    let lanes = plan_lanes(
        "weur",
        &refs,
        &[0, 1, 2, 3, 4, 5, 6, 7],
        &slow,
        LaneRule::default(),
    );
    assert_eq!(lanes.len(), 2, "one lane of the slow ones, one of the rest");
    assert!(lanes.iter().any(|l| l.members == vec![2, 4, 6]));
    assert!(lanes
        .iter()
        .all(|l| l.members.iter().all(|&i| slow[i]) || l.members.iter().all(|&i| !slow[i])));
    // Many slow ones: packed by the same worst-case rule (36 at 10 s within 120 s).
    let many: Vec<Monitor> = (0..40)
        .map(|i| monitor(&format!("s{i}"), &["weur"], 10_000))
        .collect();
    let refs: Vec<&Monitor> = many.iter().collect();
    let batch: Vec<usize> = (0..40).collect();
    let lanes = plan_lanes("weur", &refs, &batch, &[true; 40], rule(400));
    assert_eq!(
        lanes.iter().map(|l| l.members.len()).collect::<Vec<_>>(),
        [36, 4]
    );
}

#[test]
fn a_monitor_concludes_when_its_regions_answer_without_waiting_for_a_hanging_one() {
    let fast = monitor("fast", &["weur", "enam"], 10_000);
    let hang = monitor("hang", &["weur", "enam"], 10_000);
    let refs = [&fast, &hang];
    let mut tick = Tick::new(&refs, &[false, false], LaneRule::default(), T);
    assert_eq!(tick.lanes.len(), 2, "one lane per region");
    let lane_of = |t: &Tick, region: &str| t.lanes.iter().position(|l| l.region == region).unwrap();
    let pos = |t: &Tick, lane: usize, m: usize| {
        t.lanes[lane].members.iter().position(|&x| x == m).unwrap()
    };
    let (weur, enam) = (lane_of(&tick, "weur"), lane_of(&tick, "enam"));
    let (pw, pe) = (pos(&tick, weur, 0), pos(&tick, enam, 0));
    assert_eq!(
        tick.on_report(weur, pw, ok("weur")),
        None,
        "one region of two"
    );
    assert_eq!(
        tick.on_report(enam, pe, ok("enam")),
        Some(0),
        "complete: recorded now"
    );
    assert_eq!(tick.take(0).len(), 2);
    assert!(!tick.finished());
    // The hanging monitor ends at its own deadline, its regions unanswered.
    let deadline = tick.next_deadline().unwrap();
    assert!(tick.expire(deadline - 1).is_empty());
    assert_eq!(tick.expire(deadline), vec![1]);
    let reports = tick.take(1);
    assert!(reports
        .iter()
        .all(|r| matches!(r, RegionReport::Unanswered { .. })));
    assert!(tick.finished());
    assert_eq!(tick.next_deadline(), None);
}

#[test]
fn a_failed_lane_makes_its_members_unanswered_in_that_region_only() {
    let a = monitor("a", &["weur", "enam"], 5_000);
    let refs = [&a];
    let mut tick = Tick::new(&refs, &[false], LaneRule::default(), T);
    let weur = tick.lanes.iter().position(|l| l.region == "weur").unwrap();
    let enam = 1 - weur;
    assert!(tick
        .on_lane_failed(weur, "region object answered 500")
        .is_empty());
    assert_eq!(tick.on_report(enam, 0, ok("enam")), Some(0));
    let r = tick.take(0);
    assert!(
        matches!(&r[0], RegionReport::Unanswered { region, reason } if region == "weur" && reason.contains("500"))
    );
    assert!(matches!(&r[1], RegionReport::Probed(_)));
}

#[test]
fn reports_for_the_wrong_region_or_position_are_ignored() {
    let a = monitor("a", &["weur"], 5_000);
    let refs = [&a];
    let mut tick = Tick::new(&refs, &[false], LaneRule::default(), T);
    assert_eq!(tick.on_report(0, 0, ok("enam")), None);
    assert_eq!(tick.on_report(0, 7, ok("weur")), None);
    assert_eq!(tick.on_report(9, 0, ok("weur")), None);
    let failed = builders::probed("weur", builders::edge_failed(EdgeFailure::Timeout), None);
    assert_eq!(tick.on_report(0, 0, failed), Some(0));
    // A second report for the same slot changes nothing.
    assert_eq!(tick.on_report(0, 0, ok("weur")), None);
}

#[test]
fn shards_are_stable_and_spread_and_do_not_move_phases() {
    let ids: Vec<String> = (0..400).map(|i| format!("mon_{i}")).collect();
    for id in &ids {
        assert_eq!(shard_of(id, 1), 0);
        assert_eq!(shard_of(id, 4), shard_of(id, 4), "stable");
        assert!(shard_of(id, 4) < 4);
    }
    let mut per = [0usize; 4];
    for id in &ids {
        per[shard_of(id, 4) as usize] += 1;
    }
    assert!(
        per.iter().all(|&n| n > 60),
        "spread over the shards: {per:?}"
    );
    // The phase is a function of the id and interval only: re-homing keeps the grid.
    assert_eq!(G.phase("mon_7", 60_000), G.phase("mon_7", 60_000));
    assert_eq!(
        coordinator_name(0),
        "coordinator",
        "shard 0 keeps the single-object name"
    );
    assert_eq!(coordinator_name(3), "coordinator:3");
}
