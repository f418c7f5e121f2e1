//! The per-region prober: one Durable Object per region and coordinator shard, created with
//! that region's location hint, that probes the monitors of one lane (`core::tick::Lane`) and
//! streams one `ProbeLine` per monitor as soon as that monitor's probe ends. It decides nothing
//! about health; a probe that fails in any way is still a (classified) observation, and only
//! an unreadable request is an error.
//!
//! Concurrency is the lane's rule (`core::tick::LANE_CONCURRENCY` probes at once, started in
//! the order given, every monitor counted as two connections), the same rule the coordinator
//! derives each monitor's deadline from. Because reports stream out as they finish, a hanging
//! origin holds back only its own line: the coordinator records every other monitor of the
//! lane as soon as its line arrives.

use futures::StreamExt;
use worker::{durable_object, DurableObject, Env, Request, Response, Result, State};

use crate::{env, objects, probe};
use edgeprobe_core::messages::{ProbeLine, RegionRequest};
use edgeprobe_core::tick::LANE_CONCURRENCY;

/// The stub for a region's object of coordinator shard `shard` (name `region:{hint}` for shard
/// 0, which keeps the single-shard name, else `region:{hint}:{shard}`), created with the hint.
pub fn stub(env: &Env, region: &str, shard: u32) -> Result<worker::Stub> {
    let name = match shard {
        0 => format!("region:{region}"),
        s => format!("region:{region}:{s}"),
    };
    env.durable_object("REGION")?
        .get_by_name_with_location_hint(&name, region)
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
        let allow_private = env::Config::from_env(&self.env).allow_private_targets;
        let lines = futures::stream::iter(monitors.into_iter().enumerate())
            .map(move |(position, m)| {
                let (region, docs, colo) = (region.clone(), docs.clone(), colo.clone());
                async move {
                    let report =
                        probe::probe_or_refuse(&m, &region, &docs, colo, env::now(), allow_private)
                            .await;
                    let mut line = serde_json::to_vec(&ProbeLine { position, report })
                        .map_err(|e| worker::Error::RustError(format!("serialize: {e}")))?;
                    line.push(b'\n');
                    Ok::<Vec<u8>, worker::Error>(line)
                }
            })
            .buffer_unordered(LANE_CONCURRENCY);
        Response::from_stream(lines)
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
