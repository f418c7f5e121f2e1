//! The per-region prober: one Durable Object per region, created with that region's location
//! hint, that probes the monitors the coordinator hands it and returns one `RegionReport`
//! per monitor, in the order given. It decides nothing about health; a probe that fails in
//! any way is still a (classified) observation, and only an unreadable batch is an error.

use futures::StreamExt;
use serde::{Deserialize, Serialize};
use worker::{durable_object, DurableObject, Env, Request, Response, Result, State};

use crate::core::monitor::Monitor;
use crate::core::observation::RegionReport;
use crate::platform::{env, http, probe};

/// Connections one invocation may have waiting for headers at once (a Workers limit: more
/// are queued by the runtime, which would eat into every probe's timeout and skew timings).
pub const MAX_OPEN_CONNECTIONS: usize = 6;

/// Monitors probed at once, so that at most `MAX_OPEN_CONNECTIONS` are open: each monitor
/// holds two (edge + origin) when any monitor of the batch has an origin, else one. Counting
/// per batch (not a weighted semaphore per monitor) keeps this a plain `buffered` stream,
/// which also keeps the results in input order; a mixed batch is only bounded conservatively.
/// Measured under wrangler dev with one batch of monitors on the rig's hang origin (1 s
/// timeout): 1 → 1.01 s, 6 → 2.02 s, 12 → 4.02 s, 30 → 10.05 s with origins (60 connections,
/// 6 at a time); 30 edge-only → 5.03 s. Sequential probing would take 30 s.
fn monitors_in_flight(monitors: &[Monitor]) -> usize {
    let per_monitor = if monitors.iter().any(|m| m.origin.is_some()) {
        probe::CONNECTIONS_PER_MONITOR
    } else {
        1
    };
    (MAX_OPEN_CONNECTIONS / per_monitor).max(1)
}

/// What the coordinator sends to `POST https://region/probe`.
#[derive(Serialize, Deserialize)]
pub struct ProbeBatch {
    pub region: String,
    pub monitors: Vec<Monitor>,
}

/// The stub for a region's object (name `region:{hint}`, created with the hint).
pub fn stub(env: &Env, region: &str) -> Result<worker::Stub> {
    env.durable_object("REGION")?
        .get_by_name_with_location_hint(&format!("region:{region}"), region)
}

#[durable_object]
pub struct RegionProber {
    env: Env,
}

impl DurableObject for RegionProber {
    fn new(_state: State, env: Env) -> Self {
        Self { env }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let batch: ProbeBatch = match req.json().await {
            Ok(b) => b,
            Err(e) => return Response::error(format!("unreadable probe batch: {e}"), 400),
        };
        let colo = colo(&self.env, &req);
        let region = batch.region.as_str();
        let in_flight = monitors_in_flight(&batch.monitors);
        let allow_private = env::Config::from_env(&self.env).allow_private_targets;
        let reports: Vec<RegionReport> = futures::stream::iter(batch.monitors.iter())
            .map(|m| {
                let colo = colo.clone();
                async move { probe::probe_or_refuse(m, region, colo, env::now(), allow_private).await }
            })
            .buffered(in_flight)
            .collect()
            .await;
        http::json(&reports, 200)
    }
}

/// Where this object runs: "local" under wrangler dev (RUNTIME=local, where `cf` is absent or
/// made up); else the `cf.colo` of the request that reached the object (the runtime sets it
/// for the colo handling the request, which for a Durable Object is where it lives), else
/// `None` rather than a guess. Read through `Reflect` because `Cf::colo` panics when absent.
fn colo(env: &Env, req: &Request) -> Option<String> {
    if env::var(env, "RUNTIME").as_deref() == Some("local") {
        return Some("local".to_string());
    }
    let cf = js_sys::Reflect::get(req.inner(), &"cf".into()).ok()?;
    if cf.is_undefined() || cf.is_null() {
        return None;
    }
    js_sys::Reflect::get(&cf, &"colo".into())
        .ok()?
        .as_string()
        .filter(|c| !c.is_empty())
}
