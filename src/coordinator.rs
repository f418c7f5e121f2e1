//! The coordinator: one Durable Object (name `coordinator`) that owns the schedule and runs
//! rounds.
//!
//! - Schedule: per monitor a `core::schedule::Entry` (and a pending re-check time) in the
//!   object's storage; its alarm fires at the earliest due time (`core::schedule::next_alarm`).
//!   The cron trigger sends `CoordinatorRequest::EnsureAlarm` every minute, which re-syncs
//!   the schedule with D1 and re-arms a missing alarm. Rounds an alarm skipped are recorded as `missed` rounds.
//! - A round: the due monitors are grouped by region (`core::round::region_batches`); each
//!   region object (`region.rs`, created with its location hint) probes its batch in the
//!   waves of `core::round::BatchPlan`; the coordinator waits for each at most that plan's
//!   deadline, then per monitor
//!   assembles the reports, diagnoses (`core::diagnose`), steps the alert state machine
//!   (`core::alerting::step`) and writes everything in one D1 batch plus one KV put. Alerts go
//!   to the outbox in that batch; the dispatcher object delivers them.
//! - Deleted mid-round: every row of the batch is written only if the monitor still exists
//!   (`store::rounds`); when it does not, nothing else happens either (no KV status, no
//!   re-check, no dispatcher kick), and a status document put just as the monitor was deleted
//!   is removed again.
//! - Paused monitors: a manual check still runs and is recorded and returned, but the alert
//!   state machine is not stepped: no incident, no alert, no re-check (paused means silent).
//! - Interrupted rounds: before probing, each scheduled round and re-check gets an in-flight
//!   marker (`inflight:{monitor}:{slot}`, with this instance's id), deleted once recorded; at
//!   every alarm the markers `core::schedule::interrupted` names (left by a dead instance, or
//!   given up) are recorded as `missed` rounds.
//!
//! It decides nothing itself: every choice is a core function; this file sequences I/O.

use std::collections::BTreeMap;

use futures::future::{join_all, select, Either};
use serde::{Deserialize, Serialize};
use worker::{durable_object, DurableObject, Env, Request, Response, Result, State};

use crate::{dispatcher, env, http, objects, region, store};
use edgeprobe_core::alerting::{self, AlertState, Effect};
use edgeprobe_core::diagnose::{diagnose, LatencyBaseline, RoundInput};
use edgeprobe_core::limits::MAX_ROUNDS_PER_ALARM;
use edgeprobe_core::messages::{CoordinatorRequest, RegionRequest, RoundOutcome};
use edgeprobe_core::monitor::Monitor;
use edgeprobe_core::observation::RegionReport;
use edgeprobe_core::rollup;
use edgeprobe_core::round::{self, RegionAnswer, RoundKind};
use edgeprobe_core::schedule::{self, Entry, InFlight};
use edgeprobe_core::time::{UnixMillis, DAY};

/// One monitor's place in the schedule (object storage, key `slot:{id}`).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Slot {
    entry: Entry,
    /// A re-check the alert state machine asked for.
    recheck_at: Option<UnixMillis>,
    /// The monitor's stored version this slot was last synced from (0: before versions).
    #[serde(default)]
    version: i64,
}

async fn call(env: &Env, request: &CoordinatorRequest) -> Result<Response> {
    let stub = env
        .durable_object("COORDINATOR")?
        .get_by_name("coordinator")?;
    objects::send(&stub, "coordinator", request).await
}

/// Tells the coordinator a monitor was created or changed (re-plans its schedule); `version`
/// is the stored version the write produced, so a late, older sync is ignored.
pub async fn sync_monitor(env: &Env, monitor: &Monitor, version: i64) -> Result<()> {
    let request = CoordinatorRequest::Sync {
        monitor: Box::new(monitor.clone()),
        version,
    };
    call(env, &request).await.map(|_| ())
}

/// Tells the coordinator a monitor was deleted.
pub async fn forget_monitor(env: &Env, monitor_id: &str) -> Result<()> {
    let request = CoordinatorRequest::Forget {
        monitor_id: monitor_id.to_string(),
    };
    call(env, &request).await.map(|_| ())
}

/// Runs a round for one monitor now, from all its regions, and returns what it found.
pub async fn check_now(env: &Env, monitor_id: &str) -> Result<RoundOutcome> {
    let request = CoordinatorRequest::CheckNow {
        monitor_id: monitor_id.to_string(),
    };
    call(env, &request).await?.json().await
}

/// Re-syncs the schedule with D1 and arms the alarm if it is missing (cron, every minute).
pub async fn ensure_alarm(env: &Env) -> Result<()> {
    call(env, &CoordinatorRequest::EnsureAlarm)
        .await
        .map(|_| ())
}

#[durable_object]
pub struct Coordinator {
    state: State,
    env: Env,
    /// This instance's id, written into in-flight markers: a marker with another owner was
    /// left by an instance that no longer runs.
    instance: String,
}

impl DurableObject for Coordinator {
    fn new(state: State, env: Env) -> Self {
        Self {
            state,
            env,
            instance: env::new_id("inst"),
        }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let request: CoordinatorRequest = match objects::read(&mut req).await {
            Ok(r) => r,
            Err(answer) => return answer,
        };
        let now = env::now();
        match request {
            CoordinatorRequest::Sync { monitor, version } => {
                self.upsert_slot(&monitor, Some(version), now).await?;
                self.rearm(now).await?;
                http::no_content()
            }
            CoordinatorRequest::Forget { monitor_id } => {
                self.state.storage().delete(&slot_key(&monitor_id)).await?;
                self.rearm(now).await?;
                http::no_content()
            }
            CoordinatorRequest::CheckNow { monitor_id } => {
                let db = store::db(&self.env)?;
                let Some(m) = store::monitors::get(&db, &monitor_id).await? else {
                    return Response::error("no such monitor", 404);
                };
                let mut outcomes = self.run_rounds(vec![(m, RoundKind::Manual, now)]).await?;
                match outcomes.pop() {
                    Some(o) => http::json(&o, 200),
                    None => Response::error("round produced nothing", 500),
                }
            }
            CoordinatorRequest::EnsureAlarm => {
                self.resync(now).await?;
                http::no_content()
            }
        }
    }

    async fn alarm(&self) -> Result<Response> {
        let now = env::now();
        if let Err(e) = self.record_interrupted(now).await {
            // The markers stay and are reported on the next alarm.
            worker::console_error!("recording interrupted rounds failed: {e}");
        }
        let slots = self.slots().await?;
        let entries: Vec<Entry> = slots.iter().map(|s| s.entry.clone()).collect();
        let due = schedule::due(&entries, now, MAX_ROUNDS_PER_ALARM);
        let db = store::db(&self.env)?;

        let mut work: Vec<(Monitor, RoundKind, UnixMillis)> = Vec::new();
        let mut missed_rows = Vec::new();
        for d in &due {
            let Some(slot) = slots.iter().find(|s| s.entry.monitor_id == d.monitor_id) else {
                continue;
            };
            match store::monitors::get(&db, &d.monitor_id).await? {
                Some(m) => {
                    for at in round::missed_slots(d.scheduled_for, slot.entry.interval_ms, d.missed)
                    {
                        let id = env::new_id("rnd");
                        missed_rows.push(store::rounds::round_statement(
                            &db,
                            &store::rounds::RoundRow {
                                id: &id,
                                monitor_id: &m.id,
                                kind: RoundKind::Missed,
                                scheduled_for: at,
                                started_at: now,
                                finished_at: now,
                                diagnosis: None,
                            },
                        )?);
                    }
                    work.push((m, RoundKind::Scheduled, d.scheduled_for));
                }
                None => {
                    self.state
                        .storage()
                        .delete(&slot_key(&d.monitor_id))
                        .await?;
                }
            }
        }
        // Re-checks asked for by the alert state machine, unless a scheduled round runs anyway.
        for slot in &slots {
            if let Some(at) = slot.recheck_at {
                let id = &slot.entry.monitor_id;
                if at <= now
                    && !work.iter().any(|(m, _, _)| &m.id == id)
                    && work.len() < MAX_ROUNDS_PER_ALARM
                {
                    if let Some(m) = store::monitors::get(&db, id).await? {
                        work.push((m, RoundKind::Recheck, at));
                    }
                }
            }
        }
        if !missed_rows.is_empty() {
            db.batch(missed_rows).await?;
        }
        // Advance the schedule before probing, from the time this alarm started (a slow round
        // must not push the grid back), and clear the re-checks being run.
        for (m, kind, scheduled_for) in &work {
            let marker = InFlight {
                monitor_id: m.id.clone(),
                scheduled_for: *scheduled_for,
                started_at: now,
                owner: self.instance.clone(),
            };
            self.state
                .storage()
                .put(&in_flight_key(&m.id, *scheduled_for), &marker)
                .await?;
            if let Some(mut slot) = self.state.storage().get::<Slot>(&slot_key(&m.id)).await? {
                match kind {
                    RoundKind::Scheduled => {
                        slot.entry.next_due = schedule::advance(&slot.entry, now)
                    }
                    // Only scheduled rounds and re-checks are run by the alarm.
                    RoundKind::Recheck | RoundKind::Manual | RoundKind::Missed => {}
                }
                slot.recheck_at = None;
                self.state.storage().put(&slot_key(&m.id), &slot).await?;
            }
        }
        // Scheduled rounds share one batch per region (the platform's connection budget);
        // re-checks are rare and decide alerts, so each runs as its own round beside them and
        // is recorded as soon as its regions answer, never waiting on unrelated slow probes.
        let (rechecks, scheduled): (Vec<_>, Vec<_>) = work
            .into_iter()
            .partition(|(_, kind, _)| *kind == RoundKind::Recheck);
        let mut rounds = Vec::new();
        if !scheduled.is_empty() {
            rounds.push(self.run_rounds(scheduled));
        }
        for r in rechecks {
            rounds.push(self.run_rounds(vec![r]));
        }
        for result in join_all(rounds).await {
            if let Err(e) = result {
                // One failed write must not stop the schedule: log, re-arm, retry next time.
                worker::console_error!("round failed: {e}");
            }
        }
        self.rearm(env::now()).await?;
        Response::ok("ok")
    }
}

/// Storage key prefixes: slots are listed by theirs, as are in-flight markers.
const SLOT_PREFIX: &str = "slot:";
const IN_FLIGHT_PREFIX: &str = "inflight:";

fn slot_key(monitor_id: &str) -> String {
    format!("{SLOT_PREFIX}{monitor_id}")
}

fn in_flight_key(monitor_id: &str, scheduled_for: UnixMillis) -> String {
    format!("{IN_FLIGHT_PREFIX}{monitor_id}:{scheduled_for}")
}

impl Coordinator {
    /// Records the rounds of in-flight markers that will never complete as `missed` (one D1
    /// batch), then deletes those markers.
    async fn record_interrupted(&self, now: UnixMillis) -> Result<()> {
        let map = self
            .state
            .storage()
            .list_with_options(worker::ListOptions::new().prefix(IN_FLIGHT_PREFIX))
            .await?;
        let mut markers = Vec::new();
        for value in map.values() {
            let value = value.map_err(|e| worker::Error::RustError(format!("{e:?}")))?;
            if let Ok(m) = serde_wasm_bindgen::from_value::<InFlight>(value) {
                markers.push(m);
            }
        }
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
        db.batch(rows).await?;
        for m in &lost {
            worker::console_log!(
                "round of {} for {} was interrupted; recorded as missed",
                m.monitor_id,
                m.scheduled_for
            );
            self.state
                .storage()
                .delete(&in_flight_key(&m.monitor_id, m.scheduled_for))
                .await?;
        }
        Ok(())
    }

    async fn slots(&self) -> Result<Vec<Slot>> {
        let map = self
            .state
            .storage()
            .list_with_options(worker::ListOptions::new().prefix(SLOT_PREFIX))
            .await?;
        let mut out = Vec::new();
        for value in map.values() {
            let value = value.map_err(|e| worker::Error::RustError(format!("{e:?}")))?;
            if let Ok(slot) = serde_wasm_bindgen::from_value::<Slot>(value) {
                out.push(slot);
            }
        }
        Ok(out)
    }

    /// Creates or updates a monitor's slot. `version`: the stored version `m` was written as
    /// (`None` from the cron's re-sync, which reads the current row and keeps the slot's).
    async fn upsert_slot(&self, m: &Monitor, version: Option<i64>, now: UnixMillis) -> Result<()> {
        let key = slot_key(&m.id);
        let existing: Option<Slot> = self.state.storage().get(&key).await?;
        if let (Some(s), Some(v)) = (&existing, version) {
            if !schedule::config_supersedes(s.version, v) {
                return Ok(());
            }
        }
        let keep = existing.as_ref().map_or(0, |s| s.version);
        let version = version.unwrap_or(keep);
        let slot = match existing {
            Some(mut s) if s.entry.interval_ms == m.interval_ms => {
                s.entry.paused = m.paused;
                s
            }
            Some(mut s) => {
                s.entry.interval_ms = m.interval_ms;
                s.entry.paused = m.paused;
                s.entry.next_due = schedule::initial_due(&m.id, m.interval_ms, now);
                s
            }
            None => Slot {
                entry: Entry {
                    monitor_id: m.id.clone(),
                    interval_ms: m.interval_ms,
                    next_due: schedule::initial_due(&m.id, m.interval_ms, now),
                    paused: m.paused,
                },
                recheck_at: None,
                version,
            },
        };
        let slot = Slot { version, ..slot };
        self.state.storage().put(&key, &slot).await
    }

    /// Makes the schedule match D1 (monitors added or removed while this object was away)
    /// and arms the alarm.
    async fn resync(&self, now: UnixMillis) -> Result<()> {
        let db = store::db(&self.env)?;
        let monitors = store::monitors::list_all(&db).await?;
        let slots = self.slots().await?;
        for m in &monitors {
            let known = slots.iter().find(|s| s.entry.monitor_id == m.id);
            if known
                .is_none_or(|s| s.entry.paused != m.paused || s.entry.interval_ms != m.interval_ms)
            {
                self.upsert_slot(m, None, now).await?;
            }
        }
        for s in &slots {
            if !monitors.iter().any(|m| m.id == s.entry.monitor_id) {
                self.state
                    .storage()
                    .delete(&slot_key(&s.entry.monitor_id))
                    .await?;
            }
        }
        self.rearm(now).await
    }

    /// Sets the alarm to the earliest due time or re-check (or clears it when nothing is due).
    async fn rearm(&self, now: UnixMillis) -> Result<()> {
        let slots = self.slots().await?;
        let entries: Vec<Entry> = slots.iter().map(|s| s.entry.clone()).collect();
        let next_scheduled = schedule::next_alarm(&entries, now);
        let next_recheck = slots
            .iter()
            .filter_map(|s| s.recheck_at)
            .min()
            .map(|t| t.max(now));
        let next = match (next_scheduled, next_recheck) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        match next {
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

    /// Runs one round for each monitor (probing all of them at once, batched per region)
    /// and records each.
    async fn run_rounds(
        &self,
        work: Vec<(Monitor, RoundKind, UnixMillis)>,
    ) -> Result<Vec<RoundOutcome>> {
        let started_at = env::now();
        let monitors: Vec<Monitor> = work.iter().map(|(m, _, _)| m.clone()).collect();
        let batches = round::region_batches(&monitors);
        let calls = batches.iter().map(|(region, idx)| {
            let batch: Vec<&Monitor> = idx.iter().map(|&i| &monitors[i]).collect();
            let deadline = round::BatchPlan::for_monitors(&batch).deadline(started_at);
            let monitors = batch.into_iter().cloned().collect();
            async move {
                (
                    region.clone(),
                    self.ask_region(region, monitors, deadline).await,
                )
            }
        });
        let answers: BTreeMap<String, RegionAnswer> = join_all(calls).await.into_iter().collect();

        // Each monitor is recorded on its own: a failure to record one (a D1 or KV error) is
        // logged and the others are still recorded. The failed one keeps its in-flight marker,
        // so it ends as a `missed` round (`record_interrupted`), never silently.
        let mut outcomes = Vec::new();
        let mut any_alert = false;
        let mut first_error = None;
        for (i, (m, kind, scheduled_for)) in work.iter().enumerate() {
            let reports = round::reports_for(i, m, &batches, &answers);
            match self
                .record(m, *kind, *scheduled_for, started_at, reports)
                .await
            {
                Ok((outcome, alerted)) => {
                    // Recorded (or its monitor is gone): no longer in flight. Manual rounds
                    // have no marker.
                    if let Err(e) = self
                        .state
                        .storage()
                        .delete(&in_flight_key(&m.id, *scheduled_for))
                        .await
                    {
                        worker::console_error!("clearing the in-flight marker of {}: {e}", m.id);
                    }
                    any_alert |= alerted;
                    outcomes.push(outcome);
                }
                Err(e) => {
                    worker::console_error!(
                        "recording the {} round of {} failed: {e}; it will be recorded as missed",
                        kind.as_str(),
                        m.id
                    );
                    first_error.get_or_insert(e);
                }
            }
        }
        // Nothing recorded at all (a manual check of one monitor, or a backing service down):
        // the caller sees the error.
        if let (true, Some(e)) = (outcomes.is_empty(), first_error) {
            return Err(e);
        }
        if any_alert {
            if let Err(e) = dispatcher::kick(&self.env).await {
                // The cron kicks the dispatcher every minute as well; nothing is lost.
                worker::console_error!("kicking the dispatcher failed: {e}");
            }
        }
        Ok(outcomes)
    }

    async fn ask_region(
        &self,
        region: &str,
        monitors: Vec<Monitor>,
        deadline: UnixMillis,
    ) -> RegionAnswer {
        let wait_ms = (deadline - env::now()).max(0) as u64;
        let call = async {
            let stub = region::stub(&self.env, region)?;
            let request = RegionRequest::Probe {
                region: region.to_string(),
                monitors,
            };
            let mut resp = objects::send(&stub, "region object", &request).await?;
            if resp.status_code() != 200 {
                return Err(worker::Error::RustError(format!(
                    "region object answered {}",
                    resp.status_code()
                )));
            }
            resp.json::<Vec<RegionReport>>().await
        };
        let timer = worker::Delay::from(std::time::Duration::from_millis(wait_ms));
        match select(Box::pin(call), timer).await {
            Either::Left((Ok(reports), _)) => RegionAnswer::Reports(reports),
            Either::Left((Err(e), _)) => RegionAnswer::Failed(e.to_string()),
            Either::Right(_) => {
                RegionAnswer::Failed(format!("timeout: no answer within {wait_ms} ms"))
            }
        }
    }

    /// Diagnoses one monitor's round, steps its alert state and writes it all (one D1 batch,
    /// one KV put). Returns the outcome and whether any alert was queued.
    async fn record(
        &self,
        m: &Monitor,
        kind: RoundKind,
        scheduled_for: UnixMillis,
        started_at: UnixMillis,
        reports: Vec<RegionReport>,
    ) -> Result<(RoundOutcome, bool)> {
        let db = store::db(&self.env)?;
        let now = env::now();
        let config = env::Config::from_env(&self.env);
        let rollups = store::rounds::recent_hourly_rollups(&db, &m.id, now - DAY).await?;
        let baselines: Vec<LatencyBaseline> = rollup::baselines(&rollups)
            .into_iter()
            .map(|(region, path, p50_ms, samples)| LatencyBaseline {
                region,
                path,
                p50_ms,
                samples,
            })
            .collect();
        let diagnosis = diagnose(&RoundInput {
            reports: &reports,
            expect: &m.expect,
            baselines: &baselines,
            now,
        });

        let round_id = env::new_id("rnd");
        let state = store::rounds::load_alert_state(&db, &m.id).await?;
        let links = config.links();
        let input = alerting::RoundInput {
            diagnosis: &diagnosis,
            reports: &reports,
            kind,
            round_id: &round_id,
            now,
            links: &links,
        };
        // Paused means no alerts: the round is recorded and returned, the alert state is left
        // as it was (it resumes from there when the monitor is unpaused).
        let (next_state, effects): (AlertState, Vec<Effect>) = if m.paused {
            (state, Vec::new())
        } else {
            alerting::step(state, &input, m, || env::new_id("inc"))
        };

        let mut batch = vec![store::rounds::round_statement(
            &db,
            &store::rounds::RoundRow {
                id: &round_id,
                monitor_id: &m.id,
                kind,
                scheduled_for,
                started_at,
                finished_at: now,
                diagnosis: Some(&diagnosis),
            },
        )?];
        batch.extend(store::rounds::observation_statements(
            &db,
            &round_id,
            &m.id,
            started_at,
            &round::observation_rows(m, &reports),
        )?);
        batch.push(store::rounds::alert_state_statement(
            &db,
            &m.id,
            &next_state,
            now,
        )?);
        batch.extend(
            store::deliveries::routed_effect_statements(&db, &m.id, &m.channels, &effects, now)
                .await?,
        );
        let results = db.batch(batch).await?;
        let outcome = RoundOutcome {
            round_id: round_id.clone(),
            monitor_id: m.id.clone(),
            kind,
            started_at,
            finished_at: now,
            reports: Vec::new(),
            diagnosis: diagnosis.clone(),
        };
        // The round row is the batch's first statement, written only if the monitor exists.
        if !store::rounds::round_written(&results, 0)? {
            worker::console_log!(
                "monitor {} was deleted during its round; nothing recorded",
                m.id
            );
            return Ok((RoundOutcome { reports, ..outcome }, false));
        }

        store::kv::put_status(
            &self.env,
            &round::current_status(m, &diagnosis, &reports, &round_id, now),
        )
        .await?;
        // A delete that ran between the batch and the put has already removed the status
        // document; the API deletes the D1 row before the document, so checking D1 after the
        // put catches every interleaving.
        if store::monitors::get(&db, &m.id).await?.is_none() {
            store::kv::delete_status(&self.env, &m.id).await?;
            return Ok((RoundOutcome { reports, ..outcome }, false));
        }

        for e in &effects {
            if let Effect::ScheduleRecheck { at } = e {
                if let Some(mut slot) = self.state.storage().get::<Slot>(&slot_key(&m.id)).await? {
                    slot.recheck_at = Some(*at);
                    self.state.storage().put(&slot_key(&m.id), &slot).await?;
                }
            }
        }
        if effects
            .iter()
            .any(|e| matches!(e, Effect::ScheduleRecheck { .. }))
        {
            self.rearm(now).await?;
        }
        let alerted =
            effects.iter().any(|e| matches!(e, Effect::Send(_))) && !m.channels.is_empty();
        Ok((RoundOutcome { reports, ..outcome }, alerted))
    }
}
