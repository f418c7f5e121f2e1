//! The per-region prober: one Durable Object per region, created with that region's location
//! hint, that probes the monitors the coordinator hands it and returns one `RegionReport`
//! per monitor. (Being written.)

use serde::{Deserialize, Serialize};
use worker::{durable_object, DurableObject, Env, Request, Response, Result, State};

use crate::core::monitor::Monitor;
use crate::core::observation::RegionReport;
use crate::platform::{env, http, probe};

/// What the coordinator sends to `POST https://region/probe`.
#[derive(Serialize, Deserialize)]
pub struct ProbeBatch {
    pub region: String,
    pub monitors: Vec<Monitor>,
}

/// The stub for a region's object (name `region:{hint}`, created with the hint).
pub fn stub(env: &Env, region: &str) -> Result<worker::Stub> {
    env.durable_object("REGION")?.get_by_name_with_location_hint(&format!("region:{region}"), region)
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
        let batch: ProbeBatch = req.json().await?;
        let colo = if env::var(&self.env, "RUNTIME").as_deref() == Some("local") { Some("local".to_string()) } else { None };
        let mut out = Vec::new();
        for m in &batch.monitors {
            let started = env::now();
            out.push(RegionReport::Probed(probe::probe_monitor(m, &batch.region, colo.clone(), started).await));
        }
        http::json(&out, 200)
    }
}
