//! The dry run behind `POST /api/v1/check` ("try before you save", the CLI's `diagnose`): an
//! unsaved monitor is probed once from its regions and diagnosed, and nothing else happens.
//!
//! It must not store, schedule or alert: it never talks to the coordinator (which records
//! every round it runs and steps the alert state), only to the region objects, with the same
//! `RegionRequest::Probe` the coordinator sends, and hands their reports to
//! `core::diagnose` with no latency baselines (an unsaved monitor has no history). The deadline
//! is `core::round::BatchPlan`'s, the rule the coordinator uses for a batch of one, so a dry
//! run waits exactly as long as a real round of the same monitor would.

use std::collections::BTreeMap;

use futures::future::{join_all, select, Either};
use worker::{Env, Result};

use crate::{env, objects, region};
use edgeprobe_core::diagnose::{diagnose, RoundInput};
use edgeprobe_core::messages::{RegionRequest, RoundOutcome};
use edgeprobe_core::monitor::Monitor;
use edgeprobe_core::observation::RegionReport;
use edgeprobe_core::round::{self, BatchPlan, RegionAnswer, RoundKind};

/// Probes `m` once from each of its regions and diagnoses the reports. The outcome's id starts
/// with `dry_` and its kind is `manual`; it is recorded nowhere.
pub async fn run(env: &Env, m: &Monitor) -> Result<RoundOutcome> {
    let started_at = env::now();
    let monitors = vec![m.clone()];
    let batches = round::region_batches(&monitors);
    let deadline = BatchPlan::for_monitors(&[m]).deadline(started_at);
    let calls = batches
        .keys()
        .map(|region| async move { (region.clone(), ask(env, region, m.clone(), deadline).await) });
    let answers: BTreeMap<String, RegionAnswer> = join_all(calls).await.into_iter().collect();
    let reports = round::reports_for(0, m, &batches, &answers);
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

/// One region object's reports for the one monitor, or why there are none by the deadline.
async fn ask(
    env: &Env,
    region: &str,
    m: Monitor,
    deadline: edgeprobe_core::time::UnixMillis,
) -> RegionAnswer {
    let wait_ms = (deadline - env::now()).max(0) as u64;
    let call = async {
        let stub = region::stub(env, region)?;
        let request = RegionRequest::Probe {
            region: region.to_string(),
            monitors: vec![m],
        };
        let mut resp = objects::send(&stub, "region object", &request).await?;
        resp.json::<Vec<RegionReport>>().await
    };
    let timer = worker::Delay::from(std::time::Duration::from_millis(wait_ms));
    match select(Box::pin(call), timer).await {
        Either::Left((Ok(reports), _)) => RegionAnswer::Reports(reports),
        Either::Left((Err(e), _)) => RegionAnswer::Failed(e.to_string()),
        Either::Right(_) => RegionAnswer::Failed(format!("timeout: no answer within {wait_ms} ms")),
    }
}
