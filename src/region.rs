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
//!
//! The own TLS client's handshakes are capped per invocation (`core::tls::plan`): the object
//! keeps the backlog of deferred handshakes in memory and, whenever its waiting requests
//! change, in its storage (key [`BACKLOG_KEY`]), so a deferred handshake survives the object
//! being evicted. Nothing is written while nothing waits.

use std::cell::RefCell;
use std::rc::Rc;

use futures::StreamExt;
use worker::{durable_object, DurableObject, Env, Request, Response, Result, State};

use crate::{env, objects, probe};
use edgeprobe_core::diagnosis::PathKind;
use edgeprobe_core::messages::{ProbeLine, RegionRequest};
use edgeprobe_core::tick::LANE_CONCURRENCY;
use edgeprobe_core::tls::plan::{self, Backlog};

/// Where the object stores its own-TLS backlog.
const BACKLOG_KEY: &str = "own_tls_backlog";

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
    state: State,
    env: Env,
    /// Deferred own-TLS handshakes (`core::tls::plan`); `None` until read from storage.
    backlog: RefCell<Option<Rc<RefCell<Backlog>>>>,
}

impl RegionProber {
    /// The backlog, read from storage on the first request of this instance.
    async fn backlog(&self) -> Rc<RefCell<Backlog>> {
        if let Some(b) = self.backlog.borrow().as_ref() {
            return b.clone();
        }
        let stored: Backlog = self
            .state
            .storage()
            .get(BACKLOG_KEY)
            .await
            .ok()
            .flatten()
            .unwrap_or_default();
        let b = Rc::new(RefCell::new(stored));
        *self.backlog.borrow_mut() = Some(b.clone());
        b
    }
}

impl DurableObject for RegionProber {
    fn new(state: State, env: Env) -> Self {
        Self {
            state,
            env,
            backlog: RefCell::new(None),
        }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let (region, monitors) = match objects::read(&mut req).await {
            Ok(RegionRequest::Probe { region, monitors }) => (region, monitors),
            Err(answer) => return answer,
        };
        let colo = colo(&self.env, &req);
        let docs = env::var(&self.env, "DOCS_BASE_URL").unwrap_or_default();
        let allow_private = env::Config::from_env(&self.env).allow_private_targets;
        let cap = plan::cap_from(env::var(&self.env, "OWN_TLS_PER_INVOCATION").as_deref());
        let now = env::now();
        let backlog = self.backlog().await;
        let before = backlog.borrow().waiting.clone();
        let lane: Vec<String> = monitors.iter().map(|m| m.id.clone()).collect();
        let mut due = Vec::new();
        for m in &monitors {
            if edgeprobe_core::target::refused_report(m, &region, allow_private).is_some() {
                continue;
            }
            if edgeprobe_core::tls::own_client_due(m, &region, now) {
                due.push((m.id.clone(), PathKind::Origin));
            }
            if edgeprobe_core::tls::edge_check_due(m, &region, now) {
                due.push((m.id.clone(), PathKind::Edge));
            }
        }
        let invocation = backlog.borrow_mut().plan(&lane, &due, cap);
        let handshakes = probe::Handshakes::new(backlog.clone(), invocation);
        let storage = self.state.storage();
        let lines = futures::stream::iter(monitors.into_iter().enumerate())
            .map(move |(position, m)| {
                let (region, docs, colo) = (region.clone(), docs.clone(), colo.clone());
                let handshakes = handshakes.clone();
                async move {
                    let report = probe::probe_or_refuse(
                        &m,
                        &region,
                        &docs,
                        colo,
                        env::now(),
                        allow_private,
                        &handshakes,
                    )
                    .await;
                    let mut line = serde_json::to_vec(&ProbeLine { position, report })
                        .map_err(|e| worker::Error::RustError(format!("serialize: {e}")))?;
                    line.push(b'\n');
                    Ok::<Vec<u8>, worker::Error>(line)
                }
            })
            .buffer_unordered(LANE_CONCURRENCY)
            .chain(futures::stream::once(async move {
                // After the lane: store the backlog if what waits changed (deferrals during
                // the invocation included). Best effort: the memory copy serves meanwhile.
                let after = backlog.borrow().clone();
                if after.waiting != before {
                    let _ = storage.put(BACKLOG_KEY, &after).await;
                }
                Ok(Vec::new())
            }));
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
