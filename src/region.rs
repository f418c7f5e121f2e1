//! The per-region prober: one Durable Object per region, created with that region's location
//! hint, that probes the monitors the coordinator hands it and returns one `RegionReport`
//! per monitor, in the order given. It decides nothing about health; a probe that fails in
//! any way is still a (classified) observation, and only an unreadable batch is an error.
//!
//! How many probes run at once is not decided here: it runs the waves of
//! `core::round::BatchPlan` (at most `core::limits::MAX_CONNECTIONS_IN_FLIGHT` connections each, one wave
//! after another), the same plan the coordinator derives its deadline from. Measured under
//! wrangler dev before the plan (3 monitors with origins at a time, hang origin, 1 s timeout):
//! 12 → 4.02 s, 30 → 10.05 s; sequential probing would take 30 s.

use worker::{durable_object, DurableObject, Env, Request, Response, Result, State};

use crate::{env, http, objects, probe};
use edgeprobe_core::messages::RegionRequest;
use edgeprobe_core::monitor::Monitor;
use edgeprobe_core::observation::RegionReport;
use edgeprobe_core::round::BatchPlan;

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
        let (region, monitors) = match objects::read(&mut req).await {
            Ok(RegionRequest::Probe { region, monitors }) => (region, monitors),
            Err(answer) => return answer,
        };
        let colo = colo(&self.env, &req);
        let docs = env::var(&self.env, "DOCS_BASE_URL").unwrap_or_default();
        let region = region.as_str();
        let monitors: Vec<&Monitor> = monitors.iter().collect();
        let plan = BatchPlan::for_monitors(&monitors);
        let allow_private = env::Config::from_env(&self.env).allow_private_targets;
        let mut reports: Vec<Option<RegionReport>> = vec![None; monitors.len()];
        for wave in &plan.waves {
            let probes = wave.iter().map(|&i| {
                let (colo, docs) = (colo.clone(), docs.as_str());
                let m = monitors[i];
                async move {
                    (
                        i,
                        probe::probe_or_refuse(m, region, docs, colo, env::now(), allow_private)
                            .await,
                    )
                }
            });
            for (i, probed) in futures::future::join_all(probes).await {
                reports[i] = Some(probed);
            }
        }
        // The plan covers every index (unit-tested), so nothing is left None.
        let reports: Vec<RegionReport> = reports.into_iter().flatten().collect();
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
