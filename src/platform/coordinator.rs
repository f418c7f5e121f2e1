//! The coordinator: one Durable Object that owns the schedule (when each monitor is due),
//! runs rounds (fans out to the region objects, waits at most timeout + margin, diagnoses,
//! steps the alert state machine) and stores the results in one D1 batch plus one KV put.
//! (Being written.)

use serde::{Deserialize, Serialize};
use worker::{durable_object, DurableObject, Env, Request, Response, Result, State};

use crate::core::diagnosis::Diagnosis;
use crate::core::monitor::Monitor;
use crate::core::observation::RegionReport;

/// What a round produced (returned by "check now").
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RoundOutcome {
    pub round_id: String,
    pub monitor_id: String,
    pub kind: String,
    pub started_at: i64,
    pub finished_at: i64,
    pub reports: Vec<RegionReport>,
    pub diagnosis: Diagnosis,
}

fn stub(env: &Env) -> Result<worker::Stub> {
    env.durable_object("COORDINATOR")?.get_by_name("coordinator")
}

/// Tells the coordinator a monitor was created or changed (re-plans its schedule).
pub async fn sync_monitor(env: &Env, monitor: &Monitor) -> Result<()> {
    let _ = (env, monitor);
    Ok(())
}

/// Tells the coordinator a monitor was deleted.
pub async fn forget_monitor(env: &Env, monitor_id: &str) -> Result<()> {
    let _ = (env, monitor_id);
    Ok(())
}

/// Runs a round for one monitor now, from all its regions, and returns what it found.
pub async fn check_now(env: &Env, monitor_id: &str) -> Result<RoundOutcome> {
    let mut resp = stub(env)?.fetch_with_str(&format!("https://coordinator/check/{monitor_id}")).await?;
    resp.json().await
}

/// Arms the coordinator's alarm if it has none (called by the cron trigger).
pub async fn ensure_alarm(env: &Env) -> Result<()> {
    stub(env)?.fetch_with_str("https://coordinator/ensure-alarm").await?;
    Ok(())
}

#[durable_object]
pub struct Coordinator {
    _state: State,
    _env: Env,
}

impl DurableObject for Coordinator {
    fn new(state: State, env: Env) -> Self {
        Self { _state: state, _env: env }
    }

    async fn fetch(&self, _req: Request) -> Result<Response> {
        Response::error("not implemented yet", 500)
    }
}
