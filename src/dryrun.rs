//! The dry run behind `POST /api/v1/check` ("try before you save", the CLI's `diagnose`): an
//! unsaved monitor is probed once from its regions and diagnosed, and nothing else happens.
//!
//! It must not store, schedule or alert: it never talks to the coordinator (which records
//! every round it runs and steps the alert state), only to the region objects, with the same
//! `RegionRequest::Probe` lanes, deadlines and streamed reports the coordinator uses
//! (`coordinator::probe_unrecorded`), and hands their reports to `core::diagnose` with no
//! latency baselines (an unsaved monitor has no history). It waits exactly as long as a real
//! round of the same monitor would.

use worker::{Env, Result};

use crate::{coordinator, env};
use edgeprobe_core::diagnose::{diagnose, RoundInput};
use edgeprobe_core::messages::RoundOutcome;
use edgeprobe_core::monitor::Monitor;
use edgeprobe_core::round::RoundKind;

/// Probes `m` once from each of its regions and diagnoses the reports. The outcome's id starts
/// with `dry_` and its kind is `manual`; it is recorded nowhere.
pub async fn run(env: &Env, m: &Monitor) -> Result<RoundOutcome> {
    let started_at = env::now();
    let reports = coordinator::probe_unrecorded(env, m).await;
    let now = env::now();
    let diagnosis = diagnose(&RoundInput {
        reports: &reports,
        expect: &m.expect,
        baselines: &[],
        now,
    });
    Ok(RoundOutcome {
        round_id: env::new_id("dry"),
        monitor_id: m.id.clone(),
        kind: RoundKind::Manual,
        started_at,
        finished_at: now,
        reports,
        diagnosis,
    })
}
