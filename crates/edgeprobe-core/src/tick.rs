//! Ticks: the coordinator's rounds as one sans-IO machine — which monitors are due, how they
//! are grouped into lanes per region, when each monitor's round stops waiting, and how the
//! region objects' streamed reports become concluded rounds.
//!
//! Calling contract (the coordinator Durable Object is the only caller):
//! 1. At an alarm, [`plan_tick`] with every slot, the stored cursor and `now`: it names the
//!    rounds to run, the slots to record as missed, the new cursor and the next alarm. The
//!    coordinator stores the cursor and arms the alarm *before* probing.
//! 2. [`Tick::new`] with the monitors of those rounds: the lanes to send (one request per
//!    lane to the lane's region object) and every monitor's deadline. The lane rule sizes a
//!    lane by the same worst case that sets its members' deadlines ([`plan_lanes`]), so the two
//!    cannot disagree.
//! 3. Feed [`Tick::on_report`] each report as a region object streams it, and
//!    [`Tick::on_lane_failed`] when a lane's request fails; call [`Tick::expire`] at
//!    [`Tick::next_deadline`]. Each returns the monitors whose rounds are complete (every
//!    region answered, or the monitor's own deadline passed); [`Tick::take`] hands over their
//!    reports, in the monitor's region order, for recording. A monitor never waits on another
//!    monitor's probe: only on its own regions, up to its own deadline.
//!
//! The grid ([`Grid`]). Every monitor's slots are `phase + k * interval` where the phase is a
//! whole number of ticks taken from SHA-256 of its id: all monitors due in a tick share one
//! alarm and one request per region lane, and a tick-aligned grid adds no lateness. The tick is
//! 5 s unless the deployment chooses a longer one (`TICK_SECONDS`). A slot between the
//! stored cursor and this tick that no round ran for (a late alarm, a dead instance) is
//! recorded as `missed` (at most [`MAX_MISSED_PER_MONITOR`] per monitor and alarm).
//!
//! Pure: no clock (`now` is an argument), no I/O, no storage.

use sha2::{Digest, Sha256};

use crate::limits::{FANOUT_MARGIN_MS, MAX_CONNECTIONS_IN_FLIGHT};
use crate::monitor::Monitor;
use crate::observation::RegionReport;
use crate::round::RoundKind;
use crate::time::UnixMillis;

/// The default tick: monitors due within one tick share an alarm and a request per region
/// lane. A deployment may choose a longer one ([`Grid::from_seconds`], `TICK_SECONDS`).
pub const DEFAULT_TICK_MS: i64 = 5_000;

/// The tick lengths a deployment may choose, in seconds: each divides a minute, so every
/// whole-minute interval is whole ticks whatever the choice.
pub const TICK_SECONDS_ALLOWED: [u64; 6] = [5, 10, 15, 20, 30, 60];

/// Most `missed` slots one alarm records per monitor (a long outage of the coordinator is not
/// re-played slot by slot without bound; the cursor still moves past the rest).
pub const MAX_MISSED_PER_MONITOR: i64 = 60;

/// Probes one lane runs at once. Every monitor is counted as two connections (edge fetch and
/// origin socket) so a lane stays within the platform's connections-in-flight limit whatever
/// its mix.
pub const LANE_CONCURRENCY: usize = MAX_CONNECTIONS_IN_FLIGHT / 2;

/// A lane's worst case (every member hanging to its timeout) is kept within this by default,
/// which sizes lanes: a tick with more monitors gets more lanes (more requests), never longer
/// waits. A deployment may raise it ([`LaneRule::budget_ms`], `LANE_BUDGET_SECONDS`).
pub const LANE_BUDGET_MS: i64 = 120_000;

/// Most monitors in one lane by default: each costs up to two subrequests (edge fetch, origin
/// socket) of the region object's invocation, and the free plan allows 50 per invocation. On
/// the paid plan (1,000) operators may raise it (`LANE_MAX_MONITORS`, docs/capacity.md): fewer,
/// fuller lanes mean fewer Durable Object requests per check.
pub const LANE_MAX_MONITORS: usize = 24;

/// How lanes are sized: at most `max_monitors` members, and a worst case (every member hanging
/// to its timeout) within `budget_ms`. Both trade Durable Object requests per check against
/// how long a lane can take when several of its members start hanging at once
/// (docs/capacity.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LaneRule {
    pub max_monitors: usize,
    pub budget_ms: i64,
}

impl Default for LaneRule {
    fn default() -> LaneRule {
        LaneRule {
            max_monitors: LANE_MAX_MONITORS,
            budget_ms: LANE_BUDGET_MS,
        }
    }
}

/// One monitor as the schedule sees it (the coordinator keeps the monitor beside it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotView<'a> {
    pub monitor_id: &'a str,
    pub interval_ms: u64,
    pub paused: bool,
    /// When the monitor joined the schedule (or its interval last changed): no slot before it
    /// counts as missed.
    pub since: UnixMillis,
    pub recheck_at: Option<UnixMillis>,
}

/// A round to run in this tick.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    pub monitor_id: String,
    pub kind: RoundKind,
    pub scheduled_for: UnixMillis,
}

/// What one alarm does.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TickPlan {
    /// The tick this alarm stands for: the last tick boundary at or before `now`.
    pub tick: UnixMillis,
    pub runs: Vec<Run>,
    /// `(monitor_id, scheduled_for)` of slots no round ran for.
    pub missed: Vec<(String, UnixMillis)>,
    /// The cursor to store: every slot at or before it has been run or recorded as missed.
    pub cursor: UnixMillis,
    /// When the alarm should fire next (`None`: nothing scheduled).
    pub next_alarm: Option<UnixMillis>,
}

/// The scheduler's grid: every monitor's slots are `phase + k * interval`, the phase and the
/// interval whole ticks of `tick_ms`. One per deployment (`TICK_SECONDS`); a longer tick puts
/// more monitors in each tick (fewer alarms and lane requests per check, docs/capacity.md) at
/// the price of coarser phases.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grid {
    tick_ms: i64,
}

impl Default for Grid {
    fn default() -> Grid {
        Grid::DEFAULT
    }
}

impl Grid {
    /// The 5 s grid ([`DEFAULT_TICK_MS`]).
    pub const DEFAULT: Grid = Grid {
        tick_ms: DEFAULT_TICK_MS,
    };

    /// The grid of a tick of `seconds`, if it is one of [`TICK_SECONDS_ALLOWED`].
    pub fn from_seconds(seconds: u64) -> Option<Grid> {
        TICK_SECONDS_ALLOWED.contains(&seconds).then(|| Grid {
            tick_ms: seconds as i64 * 1_000,
        })
    }

    pub fn tick_ms(self) -> i64 {
        self.tick_ms
    }

    /// A monitor's interval on this grid: whole ticks, at least one (the API accepts only
    /// multiples of the tick; a monitor saved under a shorter tick is rounded down).
    pub fn interval(self, ms: u64) -> i64 {
        let i = i64::try_from(ms).unwrap_or(i64::MAX).max(self.tick_ms);
        i - i.rem_euclid(self.tick_ms)
    }

    /// The monitor's phase within its interval: whole ticks from SHA-256 of the id, so monitors
    /// with equal intervals spread evenly over the ticks, deterministically.
    pub fn phase(self, monitor_id: &str, interval_ms: u64) -> i64 {
        let i = self.interval(interval_ms);
        let ticks = (i / self.tick_ms).max(1) as u64;
        let digest = Sha256::digest(monitor_id.as_bytes());
        let mut first8 = [0u8; 8];
        first8.copy_from_slice(&digest[..8]);
        (u64::from_be_bytes(first8) % ticks) as i64 * self.tick_ms
    }

    /// The last slot of the monitor's grid at or before `t`.
    pub fn slot_at_or_before(
        self,
        monitor_id: &str,
        interval_ms: u64,
        t: UnixMillis,
    ) -> UnixMillis {
        let i = self.interval(interval_ms);
        let p = self.phase(monitor_id, interval_ms);
        t - (t - p).rem_euclid(i)
    }

    /// The first slot of the monitor's grid strictly after `t`.
    pub fn slot_after(self, monitor_id: &str, interval_ms: u64, t: UnixMillis) -> UnixMillis {
        self.slot_at_or_before(monitor_id, interval_ms, t)
            .saturating_add(self.interval(interval_ms))
    }

    /// The tick boundary at or before `t`.
    pub fn tick_of(self, t: UnixMillis) -> UnixMillis {
        t - t.rem_euclid(self.tick_ms)
    }

    /// Plans one alarm at `now`. `cursor`: the stored cursor (`None` before the first alarm,
    /// or after the grid changed: nothing before this tick counts as missed).
    pub fn plan_tick(
        self,
        slots: &[SlotView],
        cursor: Option<UnixMillis>,
        now: UnixMillis,
    ) -> TickPlan {
        let tick = self.tick_of(now);
        // A cursor from the future (a clock step back) would silence slots; treat it as this
        // tick.
        let cursor = cursor.unwrap_or(tick - self.tick_ms).min(tick);
        let mut runs = Vec::new();
        let mut missed = Vec::new();
        for s in slots.iter().filter(|s| !s.paused) {
            let i = self.interval(s.interval_ms);
            let last = self.slot_at_or_before(s.monitor_id, s.interval_ms, tick);
            // Slots after the cursor and at or after `since` are this alarm's to account for.
            let lower = cursor.max(s.since.saturating_sub(1));
            if last <= lower {
                continue;
            }
            // The latest slot runs now; those before it (since the cursor) were missed.
            runs.push(Run {
                monitor_id: s.monitor_id.to_string(),
                kind: RoundKind::Scheduled,
                scheduled_for: last,
            });
            let skipped = ((last - lower - 1) / i).min(MAX_MISSED_PER_MONITOR);
            for k in (1..=skipped).rev() {
                missed.push((s.monitor_id.to_string(), last - k * i));
            }
        }
        for s in slots.iter().filter(|s| !s.paused) {
            let Some(at) = s.recheck_at else { continue };
            if at <= now && !runs.iter().any(|r| r.monitor_id == s.monitor_id) {
                runs.push(Run {
                    monitor_id: s.monitor_id.to_string(),
                    kind: RoundKind::Recheck,
                    scheduled_for: at,
                });
            }
        }
        let ran: Vec<&str> = runs.iter().map(|r| r.monitor_id.as_str()).collect();
        let next_alarm = self.next_alarm(slots, tick, now, &ran);
        TickPlan {
            tick,
            runs,
            missed,
            cursor: tick,
            next_alarm,
        }
    }

    /// The next time anything is due after the tick planned at `tick`: the earliest next slot
    /// of a running monitor, or a re-check not run by this alarm (`ran`: monitors this alarm
    /// runs, whose re-checks it clears).
    pub fn next_alarm(
        self,
        slots: &[SlotView],
        tick: UnixMillis,
        now: UnixMillis,
        ran: &[&str],
    ) -> Option<UnixMillis> {
        slots
            .iter()
            .filter(|s| !s.paused)
            .flat_map(|s| {
                let next = self.slot_after(s.monitor_id, s.interval_ms, tick);
                let recheck = s
                    .recheck_at
                    .filter(|_| !ran.contains(&s.monitor_id))
                    .map(|at| at.max(now));
                [Some(next), recheck]
            })
            .flatten()
            .min()
    }
}

/// One request to one region object: the members (indices into the tick's monitors) in the
/// order the object starts them, and each member's deadline offset from the tick's start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lane {
    pub region: String,
    pub members: Vec<usize>,
    /// Per member (same order): when the coordinator stops waiting for it, in ms after the
    /// lane was sent. Its worst-case start (every earlier member hanging to its timeout, with
    /// [`LANE_CONCURRENCY`] running at once) plus its own timeout plus [`FANOUT_MARGIN_MS`].
    pub deadline_ms: Vec<i64>,
}

/// Groups one region's monitors (`batch`: indices into `monitors`) into lanes. Monitors known
/// to be slow (`slow[i]`: their last round hit a timeout) share lanes apart from the others, so
/// a hanging origin never holds a healthy monitor's start, and a few hanging origins cost one
/// more request per region and tick, not one each. Within each kind, monitors are started
/// shortest timeout first and packed while the lane's worst case stays within
/// `rule.budget_ms` and it has at most `rule.max_monitors` members.
pub fn plan_lanes(
    region: &str,
    monitors: &[&Monitor],
    batch: &[usize],
    slow: &[bool],
    rule: LaneRule,
) -> Vec<Lane> {
    let mut lanes = Vec::new();
    let mut order: Vec<usize> = batch.to_vec();
    order.sort_by_key(|&i| (monitors[i].timeout_ms, i));
    let (alone, shared): (Vec<usize>, Vec<usize>) = order
        .into_iter()
        .partition(|&i| slow.get(i).copied().unwrap_or(false));
    // The slow ones first, in lanes of their own kind: a hanging origin then holds only lanes
    // of monitors that were slow already, never a healthy monitor's start.
    pack(&mut lanes, region, monitors, alone, rule);
    pack(&mut lanes, region, monitors, shared, rule);
    lanes
}

/// Packs `members` (in order) into lanes by the one worst-case rule.
fn pack(
    lanes: &mut Vec<Lane>,
    region: &str,
    monitors: &[&Monitor],
    members: Vec<usize>,
    rule: LaneRule,
) {
    let mut current = LaneBuilder::default();
    for i in members {
        let timeout = i64::from(monitors[i].timeout_ms);
        let full = current.members.len() >= rule.max_monitors.max(1);
        if !current.members.is_empty() && (full || current.worst_with(timeout) > rule.budget_ms) {
            lanes.push(current.finish(region));
            current = LaneBuilder::default();
        }
        current.push(i, timeout);
    }
    if !current.members.is_empty() {
        lanes.push(current.finish(region));
    }
}

/// List scheduling over [`LANE_CONCURRENCY`] workers, every member taking its full timeout.
#[derive(Default)]
struct LaneBuilder {
    members: Vec<usize>,
    deadline_ms: Vec<i64>,
    /// When each worker is free again (worst case).
    free_at: Vec<i64>,
}

impl LaneBuilder {
    fn start_of_next(&self) -> i64 {
        if self.free_at.len() < LANE_CONCURRENCY {
            0
        } else {
            self.free_at.iter().copied().min().unwrap_or(0)
        }
    }

    fn worst_with(&self, timeout: i64) -> i64 {
        self.start_of_next() + timeout
    }

    fn push(&mut self, i: usize, timeout: i64) {
        let start = self.start_of_next();
        if self.free_at.len() < LANE_CONCURRENCY {
            self.free_at.push(start + timeout);
        } else if let Some(w) = self.free_at.iter_mut().min() {
            *w = start + timeout;
        }
        self.members.push(i);
        self.deadline_ms.push(start + timeout + FANOUT_MARGIN_MS);
    }

    fn finish(self, region: &str) -> Lane {
        Lane {
            region: region.to_string(),
            members: self.members,
            deadline_ms: self.deadline_ms,
        }
    }
}

/// One monitor's round in progress.
#[derive(Debug, Clone)]
struct Pending {
    /// One slot per region of the monitor, in its region order.
    regions: Vec<String>,
    reports: Vec<Option<RegionReport>>,
    deadline: UnixMillis,
    concluded: bool,
}

/// The rounds of one tick while their region objects answer. See the module docs for the
/// calling contract.
#[derive(Debug, Clone)]
pub struct Tick {
    pub lanes: Vec<Lane>,
    pending: Vec<Pending>,
}

impl Tick {
    /// Plans the lanes for `monitors` (the tick's rounds, in order) sent at `sent_at`.
    /// `slow[i]`: monitor `i`'s last round hit a timeout; `rule`: how lanes are sized (see
    /// [`plan_lanes`]).
    pub fn new(monitors: &[&Monitor], slow: &[bool], rule: LaneRule, sent_at: UnixMillis) -> Tick {
        let mut lanes = Vec::new();
        for (region, batch) in region_batches(monitors) {
            lanes.extend(plan_lanes(&region, monitors, &batch, slow, rule));
        }
        let mut pending: Vec<Pending> = monitors
            .iter()
            .map(|m| Pending {
                regions: m.regions.clone(),
                reports: vec![None; m.regions.len()],
                deadline: sent_at,
                concluded: false,
            })
            .collect();
        for lane in &lanes {
            for (&i, &d) in lane.members.iter().zip(&lane.deadline_ms) {
                let p = &mut pending[i];
                p.deadline = p.deadline.max(sent_at.saturating_add(d));
            }
        }
        let mut tick = Tick { lanes, pending };
        // A monitor with no region at all has nothing to wait for.
        for p in &mut tick.pending {
            if p.regions.is_empty() {
                p.deadline = sent_at;
            }
        }
        tick
    }

    fn slot(&self, monitor: usize, region: &str) -> Option<usize> {
        self.pending
            .get(monitor)?
            .regions
            .iter()
            .position(|r| r == region)
    }

    fn ready(&mut self, monitor: usize) -> Option<usize> {
        let p = self.pending.get_mut(monitor)?;
        if !p.concluded && p.reports.iter().all(Option::is_some) {
            p.concluded = true;
            return Some(monitor);
        }
        None
    }

    /// Lane `lane` reported `report` for its member at `position`. Returns the monitor if its
    /// round is now complete. A report for another region than the lane's, or a position out
    /// of range, is ignored (the region stays unanswered until the deadline).
    pub fn on_report(
        &mut self,
        lane: usize,
        position: usize,
        report: RegionReport,
    ) -> Option<usize> {
        let l = self.lanes.get(lane)?;
        let &monitor = l.members.get(position)?;
        if report.region() != l.region {
            return None;
        }
        let slot = self.slot(monitor, &l.region)?;
        let p = &mut self.pending[monitor];
        if p.concluded || p.reports[slot].is_some() {
            return None;
        }
        p.reports[slot] = Some(report);
        self.ready(monitor)
    }

    /// Lane `lane`'s request failed or its stream ended early: every member it has not
    /// reported is unanswered in that region, with `reason`. Returns completed monitors.
    pub fn on_lane_failed(&mut self, lane: usize, reason: &str) -> Vec<usize> {
        let Some(l) = self.lanes.get(lane).cloned() else {
            return Vec::new();
        };
        let mut done = Vec::new();
        for &monitor in &l.members {
            let Some(slot) = self.slot(monitor, &l.region) else {
                continue;
            };
            let p = &mut self.pending[monitor];
            if p.concluded || p.reports[slot].is_some() {
                continue;
            }
            p.reports[slot] = Some(RegionReport::Unanswered {
                region: l.region.clone(),
                reason: reason.to_string(),
            });
            done.extend(self.ready(monitor));
        }
        done
    }

    /// Every monitor whose deadline is at or before `now` and that is still waiting: its
    /// missing regions become unanswered ("timeout"). Returns them.
    pub fn expire(&mut self, now: UnixMillis) -> Vec<usize> {
        let mut done = Vec::new();
        for (i, p) in self.pending.iter_mut().enumerate() {
            if p.concluded || p.deadline > now {
                continue;
            }
            let wait = p.deadline;
            for (slot, region) in p.reports.iter_mut().zip(&p.regions) {
                if slot.is_none() {
                    *slot = Some(RegionReport::Unanswered {
                        region: region.clone(),
                        reason: format!("timeout: no answer by the round's deadline ({wait})"),
                    });
                }
            }
            p.concluded = true;
            done.push(i);
        }
        done
    }

    /// The earliest deadline of a monitor still waiting (`None`: every round is complete).
    pub fn next_deadline(&self) -> Option<UnixMillis> {
        self.pending
            .iter()
            .filter(|p| !p.concluded)
            .map(|p| p.deadline)
            .min()
    }

    /// Whether every round of the tick is complete.
    pub fn finished(&self) -> bool {
        self.pending.iter().all(|p| p.concluded)
    }

    /// The reports of a completed monitor, in its region order (taken once; empty after).
    pub fn take(&mut self, monitor: usize) -> Vec<RegionReport> {
        match self.pending.get_mut(monitor) {
            Some(p) if p.concluded => p.reports.iter_mut().filter_map(Option::take).collect(),
            _ => Vec::new(),
        }
    }
}

/// The coordinator shard that owns a monitor when the schedule is split over `shards` objects:
/// a stable hash of the id (SHA-256), so changing `shards` re-homes monitors without changing
/// their phase (also a hash of the id) or their stored alert state (in D1).
pub fn shard_of(monitor_id: &str, shards: u32) -> u32 {
    let digest = Sha256::digest(monitor_id.as_bytes());
    let mut last4 = [0u8; 4];
    last4.copy_from_slice(&digest[28..32]);
    u32::from_be_bytes(last4) % shards.max(1)
}

/// The object name of coordinator shard `shard` (shard 0 keeps the single-object name).
pub fn coordinator_name(shard: u32) -> String {
    match shard {
        0 => "coordinator".to_string(),
        s => format!("coordinator:{s}"),
    }
}

/// For each region, the indices of the monitors that probe from it (regions sorted).
pub fn region_batches(monitors: &[&Monitor]) -> Vec<(String, Vec<usize>)> {
    let mut out: std::collections::BTreeMap<String, Vec<usize>> = Default::default();
    for (i, m) in monitors.iter().enumerate() {
        for r in &m.regions {
            let batch = out.entry(r.clone()).or_default();
            if !batch.contains(&i) {
                batch.push(i);
            }
        }
    }
    out.into_iter().collect()
}
