//! edgeprobe-worker: the Cloudflare Worker, a thin platform layer compiled only for wasm32.
//!
//! edgeprobe is a serverless, multi-region probe network that tells which layer behind a CDN
//! failed, and says so in plain words. The decisions live in `edgeprobe-core` (diagnosis,
//! alerting, rounds) and `edgeprobe-web` (validation, problems, routes, pages); this crate is
//! the only one that depends on `worker`, `js-sys` and `wasm-bindgen`.
//!
//! It gathers facts (fetch, sockets, the clock, D1 and KV reads), hands them to `edgeprobe_core`
//! with the current time, and carries out the effects the core returns (D1 batches, KV puts,
//! alarms, webhook POSTs). It makes no decisions: anything that could be a unit test lives in
//! the core.
//!
//! Layout:
//! - `env`: configuration read from the Worker's vars and secrets, the one clock, ids.
//! - `http`: response helpers (JSON, problem+json), body reading, bearer-token auth.
//! - `api`: one small handler per route of `edgeprobe_web::routes::ROUTES` (JSON API and public pages).
//! - `store`: D1 and KV access (typed rows in, typed rows out; one batch per round).
//! - `probe`: the edge probe (fetch) and the origin probe (TCP, TLS, HTTP/1.1 on a socket).
//! - `coordinator`, `region`, `dispatcher`: the Durable Objects (rounds and schedule,
//!   per-region probing, alert delivery).
//! - `dryrun`: `POST /api/v1/check`, an unsaved monitor probed once and diagnosed, nothing stored.
//! - `objects`: sending a Durable Object its typed request (`edgeprobe_core::messages`).
//! - `cron`: the every-minute trigger (re-arm alarms, roll up, prune, publish pages).
//! - `publish`: builds the status pages' and badges' documents and writes the changed ones.

// Natively this crate is empty: the Worker exists only on wasm32 (`cargo test` at the root
// builds and tests the other crates of the workspace).
#![cfg(target_arch = "wasm32")]
// Dependencies listed but unused are a warning (an error under `make test`'s wasm32 clippy gate).
#![cfg_attr(not(test), warn(unused_crate_dependencies))]

mod api;
mod coordinator;
mod cron;
mod dispatcher;
mod dryrun;
mod env;
mod http;
mod objects;
mod probe;
mod publish;
mod region;
mod store;

// Listed only for the features they switch on in the wasm build (Cargo.toml says which).
use ring as _;
use rustls_pki_types as _;

use worker::{event, Context, Env, Request, Response, Result, ScheduleContext, ScheduledEvent};

use edgeprobe_web::problem::ApiError;
use edgeprobe_web::routes::{match_route, RouteMatch};

#[event(start)]
fn start() {
    console_error_panic_hook::set_once();
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    // The one place every response passes: security headers by response kind.
    http::with_security_headers(route(req, env).await?)
}

async fn route(req: Request, env: Env) -> Result<Response> {
    let path = req.path();
    // The exact token the client sent: `Request::method()` maps methods it does not know to GET.
    let method = req.inner().method();
    let result = match match_route(&method, &path) {
        RouteMatch::Found(route, params) => {
            if route.auth && !http::authorized(&req, &env) {
                Err(ApiError::Unauthorized)
            } else {
                let ctx = api::Ctx::new(req, env, params);
                api::handle(route.operation, ctx).await
            }
        }
        RouteMatch::MethodNotAllowed { allow } => {
            let resp = http::problem(&ApiError::MethodNotAllowed { method }, &path)?;
            resp.headers().set("allow", &allow.join(", "))?;
            return Ok(resp);
        }
        RouteMatch::NotFound => Err(ApiError::RouteNotFound),
        RouteMatch::NotImplemented => Err(ApiError::MethodNotImplemented {
            method: method.clone(),
        }),
    };
    match result {
        Ok(resp) => Ok(resp),
        Err(e) => {
            if let ApiError::Unavailable { log_detail } | ApiError::Internal { log_detail } = &e {
                worker::console_error!("{method} {path}: {log_detail}");
            }
            http::problem(&e, &path)
        }
    }
}

#[event(scheduled)]
async fn scheduled(event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    if let Err(e) = cron::run(&env, event.schedule() as i64).await {
        worker::console_error!("cron: {e}");
    }
}
