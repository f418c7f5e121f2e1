//! The coordinator: Durable Objects (one per shard, `core::tick::coordinator_name`) that own
//! the schedule and carry out rounds. Every decision is a core function; this file sequences
//! I/O.
//!
//! - Schedule: per monitor a [`Slot`] (the monitor, its config version, when it joined, a
//!   pending re-check) in the object's storage and in memory, plus one `cursor`. An alarm
//!   plans its tick with `core::tick::plan_tick`: the monitors due, the slots missed since the
//!   cursor (recorded as `missed` rounds), the next alarm. Storage writes per tick are
//!   constant (cursor, the tick's in-flight record and its deletion), not per monitor.
//! - Isolation: the alarm stores the cursor, writes the in-flight record and arms the next
//!   alarm *before* probing, then starts the tick's work and waits for it only until the next
//!   alarm is due; the rest carries on in the background (`State::wait_until`), so a hanging
//!   target never delays the next tick, a re-check, or another monitor. The object stays alive
//!   for that work: the alarm handler itself waits until the next alarm is due (at most a
//!   minute), and the next alarm's handler then keeps it active, so the background work is
//!   never left without an event for more than the 250 ms between the two. (Workers with a
//!   compatibility date from 2026-10-01 also keep a Durable Object alive for pending
//!   subrequests; the local runtime pinned here predates that flag.) Work that is lost anyway
//!   (eviction, deploy) leaves its in-flight record and ends as `missed` rounds. Each tick sends one
//!   request per lane (`core::tick::Tick`) to the lane's region object, which streams a report
//!   per monitor as it finishes; a monitor is recorded as soon as all its regions reported or
//!   its own deadline passed, concurrently with the others, each error-isolated.
//! - Recording: `core::record::conclude` decides what a round writes (lean storage: the hour
//!   row always, a full round only when notable, the alert state and KV document only on
//!   change); this file writes it in one D1 batch, then KV, and applies re-checks.
//! - Memory: what `conclude` needs between rounds (`core::record::Memory`) is kept in memory;
//!   after a restart (an idle object is evicted, e.g. between the alarms of a long tick) the
//!   alert state and hour row are reloaded from D1 for a tick's monitors in one batched read,
//!   and the rest (`core::record::Carried`: last stored and published round, `slow`) comes
//!   back from the monitor's slot, where it is written only when it changes.
//! - Deleted mid-round: every D1 write is guarded by the monitor's existence; when the hour
//!   row was not written, nothing else happens (no KV status, no re-check, no kick), and a
//!   status document put just as the monitor was deleted is removed again.
//! - Paused monitors: a manual check still runs and is recorded and returned; the alert state
//!   machine is not stepped (paused means silent).
//! - Interrupted rounds: an alarm's in-flight record (`inflight:{alarm time}:{instance id}`)
//!   is deleted once every round of it is recorded; records `core::schedule::interrupted`
//!   names (left by a dead instance, or holding rounds whose recording failed) are recorded
//!   as `missed` rounds at the next alarm.
//! - Counters: one `core::meter::Meter` per shard (object storage key `meter`), loaded once per
//!   instance and saved at the end of an alarm, of a tick's work, and of a request that changed
//!   it; never per monitor. D1 rows come from the `meta` of batch results (workerd's local D1
//!   counts index entries too). `GET /api/v1/metrics` sums the shards.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

use futures::channel::mpsc;
use futures::future::{select_all, FutureExt, LocalBoxFuture};
use futures::stream::{FuturesUnordered, StreamExt};
use serde::{Deserialize, Serialize};
use worker::{durable_object, DurableObject, Env, Request, Response, Result, State};

use crate::{dispatcher, env, http, objects, region, store};
use edgeprobe_core::alerting::{Effect, Links};
use edgeprobe_core::messages::{CoordinatorRequest, ProbeLine, RegionRequest, RoundOutcome};
use edgeprobe_core::meter::{self, Meter};
use edgeprobe_core::monitor::Monitor;
use edgeprobe_core::observation::RegionReport;
use edgeprobe_core::record::{self, Memory, RoundFacts};
use edgeprobe_core::round::{self, RoundKind};
use edgeprobe_core::schedule::{self, InFlight};
use edgeprobe_core::tick::{self, Run, SlotView, Tick};
use edgeprobe_core::time::{UnixMillis, DAY, HOUR};

/// One monitor's place in the schedule (object storage, key `slot:{id}`).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Slot {
    monitor: Monitor,
    /// The monitor's stored version this slot was last synced from.
    version: i64,
    /// When the monitor joined the schedule or its interval changed: no slot before it is
    /// missed.
    since: UnixMillis,
    /// A re-check the alert state machine asked for.
    recheck_at: Option<UnixMillis>,
    /// What the monitor's memory must keep over a restart (`core::record::Carried`), written
    /// only when it changes.
    #[serde(default)]
    carried: record::Carried,
}

/// The rounds of one alarm while they run (object storage, key `inflight:{alarm}:{instance}`).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct TickRecord {
    owner: String,
    started_at: UnixMillis,
    runs: Vec<(String, UnixMillis)>,
}

const SLOT_PREFIX: &str = "slot:";
const IN_FLIGHT_PREFIX: &str = "inflight:";
const CURSOR_KEY: &str = "cursor";
/// The counters are saved to storage at most this often while ticks follow each other closely
/// (at 5 s ticks: one storage write per 30 s instead of one per tick); before an idle spell
/// (the next alarm ≥ 10 s away) and after a request that changed them they are saved at once.
const METER_SAVE_MS: i64 = 30_000;
const SHARD_KEY: &str = "shard";
const METER_KEY: &str = "meter";
/// How often a monitor's latency baseline is re-read from its hourly rollups.
const BASELINE_REFRESH_MS: i64 = HOUR;
/// How long the alarm waits for its tick's work before leaving the rest in the background
/// when no other alarm is due sooner.
const ALARM_WAIT_MAX_MS: i64 = 60_000;

fn slot_key(monitor_id: &str) -> String {
    format!("{SLOT_PREFIX}{monitor_id}")
}

/// One key per alarm (its start time and the instance): two alarms of one tick (a re-check
/// between ticks) never share a record.
fn in_flight_key(alarm_at: UnixMillis, owner: &str) -> String {
    format!("{IN_FLIGHT_PREFIX}{alarm_at}:{owner}")
}

async fn call(env: &Env, shard: u32, request: &CoordinatorRequest) -> Result<Response> {
    let stub = env
        .durable_object("COORDINATOR")?
        .get_by_name(&tick::coordinator_name(shard))?;
    objects::send(&stub, "coordinator", request).await
}

fn shard_for(env: &Env, monitor_id: &str) -> u32 {
    tick::shard_of(monitor_id, env::Config::from_env(env).coordinator_shards)
}

/// Tells the monitor's coordinator it was created or changed (re-plans its schedule);
/// `version` is the stored version the write produced, so a late, older sync is ignored.
pub async fn sync_monitor(env: &Env, monitor: &Monitor, version: i64) -> Result<()> {
    let shard = shard_for(env, &monitor.id);
    let request = CoordinatorRequest::Sync {
        monitor: Box::new(monitor.clone()),
        version,
        shard,
    };
    call(env, shard, &request).await.map(|_| ())
}

/// Tells the monitor's coordinator it was deleted.
pub async fn forget_monitor(env: &Env, monitor_id: &str) -> Result<()> {
    let shard = shard_for(env, monitor_id);
    let request = CoordinatorRequest::Forget {
        monitor_id: monitor_id.to_string(),
        shard,
    };
    call(env, shard, &request).await.map(|_| ())
}

/// Runs a round for one monitor now, from all its regions, and returns what it found.
pub async fn check_now(env: &Env, monitor_id: &str) -> Result<RoundOutcome> {
    let shard = shard_for(env, monitor_id);
    let request = CoordinatorRequest::CheckNow {
        monitor_id: monitor_id.to_string(),
        shard,
    };
    call(env, shard, &request).await?.json().await
}

/// The operation counters of every shard, summed (`core::meter`); with `reset`, zeroed after.
pub async fn metrics(env: &Env, reset: bool) -> Result<meter::Report> {
    let shards = env::Config::from_env(env).coordinator_shards;
    let mut total = Meter::default();
    for shard in 0..shards {
        let m: Meter = call(env, shard, &CoordinatorRequest::Metrics { reset, shard })
            .await?
            .json()
            .await?;
        total.merge(&m);
    }
    Ok(total.report())
}

/// Re-syncs every shard's schedule with D1 and arms missing alarms (cron, every minute).
pub async fn ensure_alarm(env: &Env) -> Result<()> {
    let shards = env::Config::from_env(env).coordinator_shards;
    let mut first_error = None;
    for shard in 0..shards {
        let request = CoordinatorRequest::EnsureAlarm { shard, shards };
        if let Err(e) = call(env, shard, &request).await {
            worker::console_error!("coordinator shard {shard}: {e}");
            first_error.get_or_insert(e);
        }
    }
    first_error.map_or(Ok(()), Err)
}

#[durable_object]
pub struct Coordinator {
    inner: Rc<Inner>,
}

/// The object's state, shared with the tick work that outlives an alarm.
struct Inner {
    state: State,
    env: Env,
    /// This instance's id, written into in-flight records: a record with another owner was
    /// left by an instance that no longer runs.
    instance: String,
    /// The slots, loaded once per instance and kept in step with storage.
    slots: RefCell<Option<Rc<BTreeMap<String, Slot>>>>,
    memory: RefCell<BTreeMap<String, Memory>>,
    baselines_at: RefCell<BTreeMap<String, UnixMillis>>,
    /// The counters (`None` until loaded from storage by this instance).
    meter: RefCell<Option<Meter>>,
    /// When the counters were last saved: at most once per [`METER_SAVE_MS`], since each save
    /// is a storage write of its own.
    meter_saved_at: std::cell::Cell<UnixMillis>,
}

impl DurableObject for Coordinator {
    fn new(state: State, env: Env) -> Self {
        Self {
            inner: Rc::new(Inner {
                state,
                env,
                instance: env::new_id("inst"),
                slots: RefCell::new(None),
                memory: RefCell::new(BTreeMap::new()),
                baselines_at: RefCell::new(BTreeMap::new()),
                meter: RefCell::new(None),
                meter_saved_at: std::cell::Cell::new(0),
            }),
        }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let request: CoordinatorRequest = match objects::read(&mut req).await {
            Ok(r) => r,
            Err(answer) => return answer,
        };
        let inner = &self.inner;
        inner.learn_shard(request.shard()).await?;
        inner.load_meter().await;
        let before = inner.meter.borrow().clone();
        let answer = inner.serve(request).await;
        // Most requests (a monitor's sync) count nothing: no storage write for them. The others
        // (a reset, a manual check) are rare and saved at once: a reset that only lived in
        // memory would be undone by the next instance.
        if *inner.meter.borrow() != before {
            inner.save_meter(true).await;
        }
        answer
    }

    async fn alarm(&self) -> Result<Response> {
        let inner = self.inner.clone();
        inner.load_meter().await;
        inner.tally(|m| m.alarms += 1);
        let answer = inner.clone().run_alarm().await;
        inner.save_meter(false).await;
        answer
    }
}

impl Inner {
    async fn serve(self: &Rc<Self>, request: CoordinatorRequest) -> Result<Response> {
        let inner = self;
        let now = env::now();
        match request {
            CoordinatorRequest::Sync {
                monitor, version, ..
            } => {
                inner.upsert_slot(&monitor, Some(version), now).await?;
                inner.rearm(now).await?;
                http::no_content()
            }
            CoordinatorRequest::Forget { monitor_id, .. } => {
                inner.remove_slot(&monitor_id).await?;
                inner.rearm(now).await?;
                http::no_content()
            }
            CoordinatorRequest::CheckNow { monitor_id, .. } => {
                let db = store::db(&inner.env)?;
                let Some(m) = store::monitors::get(&db, &monitor_id).await? else {
                    return Response::error("no such monitor", 404);
                };
                let run = Run {
                    monitor_id: m.id.clone(),
                    kind: RoundKind::Manual,
                    scheduled_for: now,
                };
                let outcomes = inner.clone().run_tick(vec![(m, run)], None).await;
                match outcomes.into_iter().next() {
                    Some(Ok(o)) => http::json(&o, 200),
                    Some(Err(e)) => Err(e),
                    None => Response::error("round produced nothing", 500),
                }
            }
            CoordinatorRequest::EnsureAlarm { shard, shards } => {
                inner.resync(shard, shards, now).await?;
                http::no_content()
            }
            CoordinatorRequest::Metrics { reset, .. } => {
                let m = inner.meter.borrow().clone().unwrap_or_default();
                if reset {
                    *inner.meter.borrow_mut() = Some(Meter::default());
                }
                http::json(&m, 200)
            }
        }
    }

    async fn run_alarm(self: Rc<Self>) -> Result<Response> {
        let inner = self;
        let now = env::now();
        if let Err(e) = inner.record_interrupted(now).await {
            // The records stay and are reported on the next alarm.
            worker::console_error!("recording interrupted rounds failed: {e}");
        }
        let slots = inner.slots().await?;
        let cursor: Option<UnixMillis> = inner.state.storage().get(CURSOR_KEY).await?;
        let views: Vec<SlotView> = slots.values().map(view).collect();
        let grid = env::grid(&inner.env);
        let plan = grid.plan_tick(&views, cursor, now);
        let scheduled = plan
            .runs
            .iter()
            .filter(|r| r.kind == RoundKind::Scheduled)
            .count() as u64;
        inner.tally(|t| {
            t.slots_due += scheduled + plan.missed.len() as u64;
            t.slots_run += scheduled;
            t.slots_missed += plan.missed.len() as u64;
        });

        // Bookkeeping first, so nothing below can run a slot twice or lose one: missed rows,
        // the cursor, the in-flight record, cleared re-checks, the next alarm.
        if !plan.missed.is_empty() {
            inner.record_missed(&plan.missed, now).await?;
        }
        inner.put(CURSOR_KEY, plan.cursor).await?;
        let mut work = Vec::new();
        for run in &plan.runs {
            if let Some(slot) = slots.get(&run.monitor_id) {
                work.push((slot.monitor.clone(), run.clone()));
            }
        }
        let record_key = in_flight_key(now, &inner.instance);
        if !work.is_empty() {
            let record = TickRecord {
                owner: inner.instance.clone(),
                started_at: now,
                runs: work
                    .iter()
                    .map(|(m, r)| (m.id.clone(), r.scheduled_for))
                    .collect(),
            };
            inner.put(&record_key, &record).await?;
        }
        for (m, _) in &work {
            if slots.get(&m.id).is_some_and(|s| s.recheck_at.is_some()) {
                inner.set_recheck(&m.id, None).await?;
            }
        }
        inner.arm(plan.next_alarm, now).await?;
        if work.is_empty() {
            return Response::ok("ok");
        }

        // The tick's work runs in the background; this alarm waits for it only until the next
        // alarm is due (so the next tick starts on time whatever hangs here).
        let (done_tx, done_rx) = futures::channel::oneshot::channel::<()>();
        let background = inner.clone();
        // An object idle until a distant next alarm may be evicted: save the tick's counts.
        let idle_after = plan
            .next_alarm
            .is_none_or(|at| at - now >= METER_SAVE_MS / 3);
        inner.state.wait_until(async move {
            background.clone().run_tick(work, Some(record_key)).await;
            background.save_meter(idle_after).await;
            let _ = done_tx.send(());
        });
        let wait = plan
            .next_alarm
            .map_or(ALARM_WAIT_MAX_MS, |at| at - now - 250)
            .clamp(0, ALARM_WAIT_MAX_MS);
        let timer = worker::Delay::from(std::time::Duration::from_millis(wait as u64));
        let _ = futures::future::select(done_rx, timer).await;
        Response::ok("ok")
    }
}

fn view(s: &Slot) -> SlotView<'_> {
    SlotView {
        monitor_id: &s.monitor.id,
        interval_ms: s.monitor.interval_ms,
        paused: s.monitor.paused,
        since: s.since,
        recheck_at: s.recheck_at,
    }
}

/// What a lane's task tells the tick loop.
enum LaneEvent {
    Report(usize, usize, Box<RegionReport>),
    Ended(usize, String),
}

impl Inner {
    async fn load_meter(&self) {
        if self.meter.borrow().is_some() {
            return;
        }
        let loaded: Meter = match self.state.storage().get(METER_KEY).await {
            Ok(Some(m)) => m,
            _ => Meter::default(),
        };
        self.meter.borrow_mut().get_or_insert(loaded);
    }

    /// A write to the object's own storage, counted (`do_storage_writes`: rows written on a
    /// SQLite-backed object).
    async fn put<T: Serialize>(&self, key: &str, value: T) -> Result<()> {
        self.tally(|t| t.do_storage_writes += 1);
        self.state.storage().put(key, value).await
    }

    /// A delete in the object's own storage, counted like [`Inner::put`].
    async fn delete(&self, key: &str) -> Result<()> {
        self.tally(|t| t.do_storage_writes += 1);
        self.state.storage().delete(key).await.map(|_| ())
    }

    /// Saves the counters unless they were saved less than [`METER_SAVE_MS`] ago and `force`
    /// is false (the live counters are answered from memory; storage only carries them over an
    /// eviction, which comes after an idle spell: callers force the save before one).
    async fn save_meter(&self, force: bool) {
        let now = env::now();
        if !force && now - self.meter_saved_at.get() < METER_SAVE_MS {
            return;
        }
        let Some(m) = self.meter.borrow().clone() else {
            return;
        };
        self.meter_saved_at.set(now);
        if let Err(e) = self.put(METER_KEY, &m).await {
            worker::console_error!("saving the meter failed: {e}");
        }
    }

    /// One counter increment (in memory; saved by `save_meter`).
    fn tally(&self, f: impl FnOnce(&mut Meter)) {
        f(self.meter.borrow_mut().get_or_insert_with(Meter::default));
    }

    /// Counts a D1 batch's statements and the rows its results' meta reported.
    fn tally_batch(&self, results: &[worker::D1Result]) {
        let (mut read, mut written) = (0u64, 0u64);
        for r in results {
            if let Ok(Some(m)) = r.meta() {
                read += m.rows_read.unwrap_or(0) as u64;
                written += m.rows_written.unwrap_or(0) as u64;
            }
        }
        self.tally(|t| t.d1(results.len() as u64, read, written));
    }

    async fn learn_shard(&self, shard: u32) -> Result<()> {
        let known: Option<u32> = self.state.storage().get(SHARD_KEY).await?;
        if known != Some(shard) {
            self.put(SHARD_KEY, shard).await?;
        }
        Ok(())
    }

    async fn shard(&self) -> u32 {
        self.state
            .storage()
            .get::<u32>(SHARD_KEY)
            .await
            .ok()
            .flatten()
            .unwrap_or(0)
    }

    /// The slots, shared (not copied): the alarm reads them every tick.
    async fn slots(&self) -> Result<Rc<BTreeMap<String, Slot>>> {
        if let Some(s) = self.slots.borrow().as_ref() {
            return Ok(Rc::clone(s));
        }
        let map = self
            .state
            .storage()
            .list_with_options(worker::ListOptions::new().prefix(SLOT_PREFIX))
            .await?;
        let mut out = BTreeMap::new();
        for value in map.values() {
            let value = value.map_err(|e| worker::Error::RustError(format!("{e:?}")))?;
            if let Ok(slot) = serde_wasm_bindgen::from_value::<Slot>(value) {
                out.insert(slot.monitor.id.clone(), slot);
            }
        }
        let out = Rc::new(out);
        *self.slots.borrow_mut() = Some(Rc::clone(&out));
        Ok(out)
    }

    async fn put_slot(&self, slot: Slot) -> Result<()> {
        self.put(&slot_key(&slot.monitor.id), &slot).await?;
        if let Some(map) = self.slots.borrow_mut().as_mut() {
            Rc::make_mut(map).insert(slot.monitor.id.clone(), slot);
        }
        Ok(())
    }

    async fn remove_slot(&self, monitor_id: &str) -> Result<()> {
        self.delete(&slot_key(monitor_id)).await?;
        if let Some(map) = self.slots.borrow_mut().as_mut() {
            Rc::make_mut(map).remove(monitor_id);
        }
        self.memory.borrow_mut().remove(monitor_id);
        Ok(())
    }

    /// Keeps what a monitor's memory must carry over a restart with its slot.
    async fn set_carried(&self, monitor_id: &str, carried: record::Carried) -> Result<()> {
        let slots = self.slots().await?;
        if let Some(mut slot) = slots.get(monitor_id).cloned() {
            if slot.carried != carried {
                slot.carried = carried;
                self.put_slot(slot).await?;
            }
        }
        Ok(())
    }

    async fn set_recheck(&self, monitor_id: &str, at: Option<UnixMillis>) -> Result<()> {
        let slots = self.slots().await?;
        if let Some(mut slot) = slots.get(monitor_id).cloned() {
            slot.recheck_at = at;
            self.put_slot(slot).await?;
        }
        Ok(())
    }

    /// Creates or updates a monitor's slot. `version`: the stored version `m` was written as
    /// (`None` from the cron's re-sync, which keeps the slot's).
    async fn upsert_slot(&self, m: &Monitor, version: Option<i64>, now: UnixMillis) -> Result<()> {
        let slots = self.slots().await?;
        let existing = slots.get(&m.id);
        if let (Some(s), Some(v)) = (existing, version) {
            if !schedule::config_supersedes(s.version, v) {
                return Ok(());
            }
        }
        let version = version.unwrap_or(existing.map_or(0, |s| s.version));
        let since = match existing {
            Some(s) if s.monitor.interval_ms == m.interval_ms && !s.monitor.paused => s.since,
            _ => now,
        };
        let slot = Slot {
            monitor: m.clone(),
            version,
            since,
            recheck_at: existing.and_then(|s| s.recheck_at),
            carried: existing.map(|s| s.carried.clone()).unwrap_or_default(),
        };
        self.put_slot(slot).await
    }

    /// Makes the schedule match D1 for this shard (monitors added or removed while this
    /// object was away, or re-homed by a change of the shard count) and arms the alarm.
    async fn resync(&self, shard: u32, shards: u32, now: UnixMillis) -> Result<()> {
        let db = store::db(&self.env)?;
        let monitors: Vec<Monitor> = store::monitors::list_all(&db)
            .await?
            .into_iter()
            .filter(|m| tick::shard_of(&m.id, shards) == shard)
            .collect();
        let slots = self.slots().await?;
        for m in &monitors {
            let changed = slots.get(&m.id).is_none_or(|s| s.monitor != *m);
            if changed {
                self.upsert_slot(m, None, now).await?;
            }
        }
        for id in slots.keys() {
            if !monitors.iter().any(|m| &m.id == id) {
                self.remove_slot(id).await?;
            }
        }
        self.rearm(now).await
    }

    /// Arms the alarm for the next thing due (from the slots and the cursor).
    async fn rearm(&self, now: UnixMillis) -> Result<()> {
        let slots = self.slots().await?;
        let cursor: Option<UnixMillis> = self.state.storage().get(CURSOR_KEY).await?;
        let views: Vec<SlotView> = slots.values().map(view).collect();
        let grid = env::grid(&self.env);
        let tick = cursor.unwrap_or(grid.tick_of(now));
        self.arm(grid.next_alarm(&views, tick, now, &[]), now).await
    }

    async fn arm(&self, at: Option<UnixMillis>, now: UnixMillis) -> Result<()> {
        self.tally(|t| t.do_storage_writes += 1);
        match at {
            // An i64 given to set_alarm is an offset from now in worker 0.8, not a time.
            Some(at) => {
                self.state
                    .storage()
                    .set_alarm(std::time::Duration::from_millis((at - now).max(0) as u64))
                    .await
            }
            None => self.state.storage().delete_alarm().await,
        }
    }

    async fn record_missed(&self, missed: &[(String, UnixMillis)], now: UnixMillis) -> Result<()> {
        let db = store::db(&self.env)?;
        let mut rows = Vec::new();
        for (monitor_id, at) in missed {
            let id = env::new_id("rnd");
            rows.push(store::rounds::round_statement(
                &db,
                &store::rounds::RoundRow {
                    id: &id,
                    monitor_id,
                    kind: RoundKind::Missed,
                    scheduled_for: *at,
                    started_at: now,
                    finished_at: now,
                    diagnosis: None,
                },
                &[],
            )?);
        }
        let results = db.batch(rows).await?;
        self.tally_batch(&results);
        Ok(())
    }

    /// Records the rounds of in-flight records that will never complete as `missed` (one D1
    /// batch), then deletes those records.
    async fn record_interrupted(&self, now: UnixMillis) -> Result<()> {
        let map = self
            .state
            .storage()
            .list_with_options(worker::ListOptions::new().prefix(IN_FLIGHT_PREFIX))
            .await?;
        let mut records: Vec<(String, TickRecord)> = Vec::new();
        for entry in map.entries() {
            let entry = entry.map_err(|e| worker::Error::RustError(format!("{e:?}")))?;
            let pair = js_sys::Array::from(&entry);
            let Some(key) = pair.get(0).as_string() else {
                continue;
            };
            if let Ok(r) = serde_wasm_bindgen::from_value::<TickRecord>(pair.get(1)) {
                records.push((key, r));
            }
        }
        let markers: Vec<InFlight> = records
            .iter()
            .flat_map(|(_, r)| {
                r.runs.iter().map(|(id, at)| InFlight {
                    monitor_id: id.clone(),
                    scheduled_for: *at,
                    started_at: r.started_at,
                    owner: r.owner.clone(),
                })
            })
            .collect();
        let lost = schedule::interrupted(&markers, &self.instance, now);
        if lost.is_empty() {
            return Ok(());
        }
        let db = store::db(&self.env)?;
        let mut rows = Vec::new();
        for m in &lost {
            rows.push(store::rounds::interrupted_round_statement(
                &db,
                &env::new_id("rnd"),
                m,
                now,
            )?);
        }
        let results = db.batch(rows).await?;
        self.tally_batch(&results);
        self.tally(|t| t.slots_missed += lost.len() as u64);
        let lost_owners: BTreeSet<(&str, UnixMillis)> = lost
            .iter()
            .map(|m| (m.owner.as_str(), m.started_at))
            .collect();
        for (key, r) in &records {
            if lost_owners.contains(&(r.owner.as_str(), r.started_at)) {
                worker::console_log!(
                    "{} round(s) of an interrupted tick ({key}) recorded as missed unless recorded",
                    r.runs.len()
                );
                self.delete(key).await?;
            }
        }
        Ok(())
    }

    /// Loads what `conclude` needs for monitors this instance has no memory of (one batched
    /// read), and refreshes latency baselines older than [`BASELINE_REFRESH_MS`] (one query).
    async fn ensure_memory(&self, ids: &[&str], now: UnixMillis) -> Result<()> {
        let db = store::db(&self.env)?;
        let unknown: Vec<&str> = {
            let memory = self.memory.borrow();
            ids.iter()
                .copied()
                .filter(|id| !memory.contains_key(*id))
                .collect()
        };
        if !unknown.is_empty() {
            let (states, mut hours) =
                store::hours::load(&db, &unknown, record::hour_of(now)).await?;
            let rows = (states.len() + hours.len()) as u64;
            self.tally(|t| t.d1(2, rows, 0));
            let slots = self.slots().await?;
            let mut memory = self.memory.borrow_mut();
            for id in unknown {
                memory.entry(id.to_string()).or_insert_with(|| {
                    let mut m = Memory {
                        alert: states.get(id).cloned().unwrap_or_default(),
                        hour: hours.remove(id),
                        ..Memory::default()
                    };
                    // What the previous instance carried (a stored or published round, slow).
                    if let Some(slot) = slots.get(id) {
                        m.restore(slot.carried.clone());
                    }
                    m
                });
            }
        }
        let stale: Vec<&str> = {
            let at = self.baselines_at.borrow();
            ids.iter()
                .copied()
                .filter(|id| at.get(*id).is_none_or(|t| now - t >= BASELINE_REFRESH_MS))
                .collect()
        };
        if !stale.is_empty() {
            let fresh = store::hours::baselines(&db, &stale, now - DAY).await?;
            self.tally(|t| t.d1(1, fresh.len() as u64, 0));
            let mut memory = self.memory.borrow_mut();
            let mut at = self.baselines_at.borrow_mut();
            for (id, b) in fresh {
                if let Some(m) = memory.get_mut(&id) {
                    m.baselines = b;
                }
                at.insert(id, now);
            }
        }
        Ok(())
    }

    /// Runs the rounds of one tick (or one manual check) to completion: lanes out, reports in
    /// as they stream, each monitor recorded as soon as it is complete. `record_key`: the
    /// tick's in-flight record, deleted (or narrowed to the rounds that failed to record) at
    /// the end. Returns each round's outcome, in the order given.
    async fn run_tick(
        self: Rc<Self>,
        work: Vec<(Monitor, Run)>,
        record_key: Option<String>,
    ) -> Vec<Result<RoundOutcome>> {
        let started_at = env::now();
        let ids: Vec<&str> = work.iter().map(|(m, _)| m.id.as_str()).collect();
        if let Err(e) = self.ensure_memory(&ids, started_at).await {
            worker::console_error!("loading round state failed: {e}");
            // Without the alert state a round could alert twice: record nothing; the tick's
            // record makes every round of it `missed`.
            if let Some(key) = record_key {
                let _ = self.narrow_record(&key, &work, &[]).await;
            }
            return work
                .iter()
                .map(|_| Err(worker::Error::RustError(e.to_string())))
                .collect();
        }
        let slow: Vec<bool> = {
            let memory = self.memory.borrow();
            work.iter()
                .map(|(m, _)| memory.get(&m.id).is_some_and(|x| x.slow))
                .collect()
        };
        let monitors: Vec<&Monitor> = work.iter().map(|(m, _)| m).collect();
        // Read once per tick, not per monitor.
        let config = env::Config::from_env(&self.env);
        let links = config.links();
        let mut tick = Tick::new(&monitors, &slow, config.lanes, started_at);
        let shard = self.shard().await;

        let lanes = tick.lanes.len() as u64;
        self.tally(|t| t.do_requests_sent += lanes);
        let (tx, mut rx) = mpsc::unbounded::<LaneEvent>();
        for (i, lane) in tick.lanes.iter().enumerate() {
            let members: Vec<Monitor> = lane.members.iter().map(|&k| work[k].0.clone()).collect();
            let wait_ms = lane.deadline_ms.iter().copied().max().unwrap_or(0);
            let (env, region, tx) = (self.env.clone(), lane.region.clone(), tx.clone());
            worker::wasm_bindgen_futures::spawn_local(run_lane(
                env, region, shard, i, members, wait_ms, tx,
            ));
        }
        drop(tx);

        let mut outcomes: Vec<Option<Result<Recorded>>> = work.iter().map(|_| None).collect();
        let mut recording: FuturesUnordered<LocalBoxFuture<'_, (usize, Result<Recorded>)>> =
            FuturesUnordered::new();
        let mut lanes_open = true;
        loop {
            if tick.finished() && recording.is_empty() {
                break;
            }
            enum Next {
                Lane(Option<LaneEvent>),
                Recorded(usize, Result<Recorded>),
                Deadline,
            }
            let mut waits: Vec<LocalBoxFuture<'_, Next>> = Vec::new();
            if lanes_open {
                waits.push(rx.next().map(Next::Lane).boxed_local());
            }
            if !recording.is_empty() {
                waits.push(
                    recording
                        .next()
                        .map(|r| match r {
                            Some((i, o)) => Next::Recorded(i, o),
                            None => Next::Deadline,
                        })
                        .boxed_local(),
                );
            }
            if let Some(d) = tick.next_deadline() {
                let ms = (d - env::now()).max(0) as u64;
                waits.push(
                    worker::Delay::from(std::time::Duration::from_millis(ms))
                        .map(|_| Next::Deadline)
                        .boxed_local(),
                );
            }
            if waits.is_empty() {
                break;
            }
            let (next, _, rest) = select_all(waits).await;
            drop(rest);
            let complete: Vec<usize> = match next {
                Next::Lane(Some(LaneEvent::Report(lane, position, report))) => tick
                    .on_report(lane, position, *report)
                    .into_iter()
                    .collect(),
                Next::Lane(Some(LaneEvent::Ended(lane, reason))) => {
                    tick.on_lane_failed(lane, &reason)
                }
                Next::Lane(None) => {
                    lanes_open = false;
                    Vec::new()
                }
                Next::Recorded(i, outcome) => {
                    outcomes[i] = Some(outcome);
                    Vec::new()
                }
                Next::Deadline => tick.expire(env::now()),
            };
            for i in complete {
                let reports = tick.take(i);
                let this = self.clone();
                let ((m, run), links) = (&work[i], &links);
                recording.push(
                    async move {
                        let r = this.record(m, run, links, started_at, reports).await;
                        (i, r)
                    }
                    .boxed_local(),
                );
            }
        }
        let recorded: Vec<&str> = outcomes
            .iter()
            .zip(&work)
            .filter(|(o, _)| matches!(o, Some(Ok(_))))
            .map(|(_, (m, _))| m.id.as_str())
            .collect();
        for o in outcomes.iter().flatten() {
            if let Err(e) = o {
                worker::console_error!(
                    "recording a round failed: {e}; it will be recorded as missed"
                );
            }
        }
        let any_alert = outcomes
            .iter()
            .flatten()
            .any(|o| o.as_ref().is_ok_and(|o| o.alerted));
        if let Some(key) = record_key {
            if let Err(e) = self.narrow_record(&key, &work, &recorded).await {
                worker::console_error!("updating the in-flight record {key}: {e}");
            }
        }
        if any_alert {
            self.tally(|t| t.do_requests_sent += 1);
            if let Err(e) = dispatcher::kick(&self.env).await {
                // The cron kicks the dispatcher every minute as well; nothing is lost.
                worker::console_error!("kicking the dispatcher failed: {e}");
            }
        }
        outcomes
            .into_iter()
            .map(|o| {
                o.unwrap_or_else(|| Err(worker::Error::RustError("round not recorded".into())))
            })
            .map(|o| o.map(|r| r.outcome))
            .collect()
    }

    /// Deletes a tick's in-flight record when every round of it was recorded; otherwise keeps
    /// only the unrecorded rounds under an owner that marks them given up, so the next alarm
    /// records them as `missed`.
    async fn narrow_record(
        &self,
        key: &str,
        work: &[(Monitor, Run)],
        recorded: &[&str],
    ) -> Result<()> {
        let left: Vec<(String, UnixMillis)> = work
            .iter()
            .filter(|(m, _)| !recorded.contains(&m.id.as_str()))
            .map(|(m, r)| (m.id.clone(), r.scheduled_for))
            .collect();
        if left.is_empty() {
            return self.delete(key).await;
        }
        let record = TickRecord {
            owner: format!("{}:failed", self.instance),
            started_at: env::now(),
            runs: left,
        };
        self.put(key, &record).await
    }

    /// Concludes one monitor's round (`core::record::conclude`) and carries out its writes:
    /// one D1 batch (hour row first, then the notable round, alert state, incidents, outbox),
    /// the KV document when it changed, and a re-check when asked for.
    async fn record(
        &self,
        m: &Monitor,
        run: &Run,
        links: &Links,
        started_at: UnixMillis,
        reports: Vec<RegionReport>,
    ) -> Result<Recorded> {
        let db = store::db(&self.env)?;
        let now = env::now();
        let round_id = env::new_id("rnd");
        let facts = RoundFacts {
            monitor: m,
            kind: run.kind,
            scheduled_for: run.scheduled_for,
            started_at,
            reports: &reports,
            round_id: &round_id,
            links,
            now,
        };
        // Concluded and remembered in one step (no await in between), so two rounds of one
        // monitor finishing together each see the other's effect on the memory.
        let c = {
            let mut memory = self.memory.borrow_mut();
            let current = memory.get(&m.id).cloned().unwrap_or_default();
            let (next, c) = record::conclude(&facts, &current, || env::new_id("inc"));
            memory.insert(m.id.clone(), next);
            c
        };
        let written = self
            .write(m, run, started_at, &round_id, &reports, &c, now, &db)
            .await;
        let written = match written {
            Ok(w) => w,
            Err(e) => {
                // What is stored is unknown now: forget the memory, reload it next time.
                self.memory.borrow_mut().remove(&m.id);
                return Err(e);
            }
        };
        let outcome = RoundOutcome {
            round_id,
            monitor_id: m.id.clone(),
            kind: run.kind,
            started_at,
            finished_at: now,
            reports,
            diagnosis: c.diagnosis.clone(),
        };
        if !written {
            worker::console_log!(
                "monitor {} was deleted during its round; nothing recorded",
                m.id
            );
            self.memory.borrow_mut().remove(&m.id);
            return Ok(Recorded {
                outcome,
                alerted: false,
            });
        }
        self.tally(|t| t.rounds_recorded += 1);
        if run.kind == RoundKind::Scheduled {
            // Start lateness: when the first region began probing, after the slot's time.
            if let Some(first) = outcome
                .reports
                .iter()
                .filter_map(|r| match r {
                    RegionReport::Probed(p) => Some(p.started_at),
                    _ => None,
                })
                .min()
            {
                self.tally(|t| t.lateness(first - run.scheduled_for));
            }
        }
        if let Some(status) = &c.publish {
            self.tally(|t| t.kv_writes += 1);
            if let Err(e) = store::kv::put_status(&self.env, status).await {
                // Publish again next round.
                if let Some(mem) = self.memory.borrow_mut().get_mut(&m.id) {
                    mem.published = None;
                }
                return Err(e);
            }
            // A delete that ran between the batch and the put has already removed the status
            // document; the API deletes the D1 row before the document, so checking D1 after
            // the put catches every interleaving.
            self.tally(|t| t.d1(1, 1, 0));
            if store::monitors::get(&db, &m.id).await?.is_none() {
                self.tally(|t| t.kv_writes += 1);
                store::kv::delete_status(&self.env, &m.id).await?;
                return Ok(Recorded {
                    outcome,
                    alerted: false,
                });
            }
        }
        // What a restart must not forget (a stored or published round, `slow`): beside the
        // slot, written only when it changed. A failed write costs one extra stored/published
        // round after the next restart, not this round.
        let carried = self.memory.borrow().get(&m.id).map(Memory::carried);
        if let Some(carried) = carried {
            if let Err(e) = self.set_carried(&m.id, carried).await {
                worker::console_error!("keeping {}'s memory failed: {e}", m.id);
            }
        }
        for e in &c.effects {
            if let Effect::ScheduleRecheck { at } = e {
                self.set_recheck(&m.id, Some(*at)).await?;
                self.rearm_for(*at, now).await?;
            }
        }
        let alerted =
            c.effects.iter().any(|e| matches!(e, Effect::Send(_))) && !m.channels.is_empty();
        Ok(Recorded { outcome, alerted })
    }

    /// Brings the alarm forward to `at` if it is set later (or not set).
    async fn rearm_for(&self, at: UnixMillis, now: UnixMillis) -> Result<()> {
        let current = self.state.storage().get_alarm().await?;
        if current.is_none_or(|t| t > at) {
            self.arm(Some(at), now).await?;
        }
        Ok(())
    }

    /// The D1 batch of one concluded round; `Ok(false)` when its monitor no longer exists.
    #[allow(clippy::too_many_arguments)]
    async fn write(
        &self,
        m: &Monitor,
        run: &Run,
        started_at: UnixMillis,
        round_id: &str,
        reports: &[RegionReport],
        c: &record::Conclusion,
        now: UnixMillis,
        db: &worker::D1Database,
    ) -> Result<bool> {
        let mut batch = vec![store::hours::upsert_statement(db, &m.id, &c.hour)?];
        if c.store_round {
            batch.push(store::rounds::round_statement(
                db,
                &store::rounds::RoundRow {
                    id: round_id,
                    monitor_id: &m.id,
                    kind: run.kind,
                    scheduled_for: run.scheduled_for,
                    started_at,
                    finished_at: now,
                    diagnosis: Some(&c.diagnosis),
                },
                &round::observation_rows(m, reports),
            )?);
        }
        if let Some(state) = &c.alert_state {
            batch.push(store::rounds::alert_state_statement(db, &m.id, state, now)?);
        }
        batch.extend(
            store::deliveries::routed_effect_statements(db, &m.id, &m.channels, &c.effects, now)
                .await?,
        );
        let results = db.batch(batch).await?;
        self.tally_batch(&results);
        // The hour row is the batch's first statement, written only if the monitor exists
        // (or skipped as stale, when a later round of the same monitor already wrote: then
        // the monitor exists and the rest of the batch stands).
        if store::rounds::round_written(&results, 0)? {
            return Ok(true);
        }
        Ok(store::monitors::get(db, &m.id).await?.is_some())
    }
}

/// A recorded round and whether it queued an alert.
struct Recorded {
    outcome: RoundOutcome,
    alerted: bool,
}

/// Probes one monitor from its regions through region objects, with the same lanes, deadlines
/// and streamed reports as a tick, and returns the reports without recording anything (the
/// dry run of `POST /api/v1/check`). Uses shard 0's region objects: the monitor has no home.
pub async fn probe_unrecorded(env: &Env, m: &Monitor) -> Vec<RegionReport> {
    let started_at = env::now();
    let lanes = env::Config::from_env(env).lanes;
    let mut tick = Tick::new(&[m], &[false], lanes, started_at);
    let (tx, mut rx) = mpsc::unbounded::<LaneEvent>();
    for (i, lane) in tick.lanes.iter().enumerate() {
        let wait_ms = lane.deadline_ms.iter().copied().max().unwrap_or(0);
        worker::wasm_bindgen_futures::spawn_local(run_lane(
            env.clone(),
            lane.region.clone(),
            0,
            i,
            vec![m.clone()],
            wait_ms,
            tx.clone(),
        ));
    }
    drop(tx);
    let mut lanes_open = true;
    while !tick.finished() {
        let deadline = tick.next_deadline().unwrap_or(started_at);
        let ms = (deadline - env::now()).max(0) as u64;
        let timer = worker::Delay::from(std::time::Duration::from_millis(ms));
        if !lanes_open {
            timer.await;
            tick.expire(env::now());
            continue;
        }
        match futures::future::select(rx.next(), timer).await {
            futures::future::Either::Left((Some(LaneEvent::Report(l, p, r)), _)) => {
                tick.on_report(l, p, *r);
            }
            futures::future::Either::Left((Some(LaneEvent::Ended(l, reason)), _)) => {
                tick.on_lane_failed(l, &reason);
            }
            futures::future::Either::Left((None, _)) => lanes_open = false,
            futures::future::Either::Right(_) => {
                tick.expire(env::now());
            }
        }
    }
    tick.take(0)
}

/// One lane: the request to its region object and the reports it streams back, as events.
/// Bounded by the lane's worst case: a region object that never finishes its answer ends the
/// lane with "timeout".
async fn run_lane(
    env: Env,
    region: String,
    shard: u32,
    lane: usize,
    monitors: Vec<Monitor>,
    wait_ms: i64,
    tx: mpsc::UnboundedSender<LaneEvent>,
) {
    let events = tx.clone();
    let read = async move {
        let stub = region::stub(&env, &region, shard)?;
        let request = RegionRequest::Probe {
            region: region.clone(),
            monitors,
        };
        let mut resp = objects::send(&stub, "region object", &request).await?;
        let mut body = resp.stream()?;
        let mut buf: Vec<u8> = Vec::new();
        while let Some(chunk) = body.next().await {
            buf.extend(chunk?);
            while let Some(end) = buf.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = buf.drain(..=end).collect();
                match serde_json::from_slice::<ProbeLine>(&line) {
                    Ok(p) => {
                        let _ = events.unbounded_send(LaneEvent::Report(
                            lane,
                            p.position,
                            Box::new(p.report),
                        ));
                    }
                    Err(e) => {
                        worker::console_error!("region {region}: unreadable report line: {e}")
                    }
                }
            }
        }
        Ok::<(), worker::Error>(())
    };
    let timer = worker::Delay::from(std::time::Duration::from_millis(wait_ms.max(0) as u64));
    let reason = match futures::future::select(Box::pin(read), timer).await {
        futures::future::Either::Left((Ok(()), _)) => {
            "the region object's answer ended without this monitor".to_string()
        }
        futures::future::Either::Left((Err(e), _)) => e.to_string(),
        futures::future::Either::Right(_) => format!("timeout: no answer within {wait_ms} ms"),
    };
    let _ = tx.unbounded_send(LaneEvent::Ended(lane, reason));
}
