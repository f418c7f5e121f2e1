//! The platform layer: Cloudflare Workers glue, compiled only for wasm32.
//!
//! It gathers facts (fetch, sockets, the clock, D1 and KV reads), hands them to `crate::core`
//! with the current time, and carries out the effects the core returns (D1 batches, KV puts,
//! alarms, webhook POSTs). It makes no decisions: anything that could be a unit test lives in
//! the core.
//!
//! Layout:
//! - `env`: configuration read from the Worker's vars and secrets, the one clock, ids.
//! - `http`: response helpers (JSON, problem+json, cache headers) and bearer-token auth.
//! - `api`: one small handler per route of `core::routes::ROUTES`.
//! - `pages`: the public status page and badges.
//! - `store`: D1 and KV access (typed rows in, typed rows out; one batch per round).
//! - `probe`: the edge probe (fetch) and the origin probe (TCP, TLS, HTTP/1.1 on a socket).
//! - `coordinator`, `region`, `dispatcher`: the Durable Objects (rounds, per-region probing,
//!   alert delivery).

mod env;
mod http;

use worker::{event, Context, Env, Request, Response, Result, ScheduleContext, ScheduledEvent};

#[event(start)]
fn start() {
    console_error_panic_hook::set_once();
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    let path = req.path();
    match (req.method(), path.as_str()) {
        (worker::Method::Get, "/healthz") => http::json(&env::health(&env), 200),
        (worker::Method::Get, "/internal/ping-region") => ping_region(&env).await,
        (worker::Method::Get, "/internal/schema-version") => {
            let db = env.d1("DB")?;
            let v: Option<String> = db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").first(Some("value")).await?;
            http::json(&serde_json::json!({ "schema_version": v }), 200)
        }
        _ => http::json(&serde_json::json!({"error":"not found"}), 404),
    }
}

async fn ping_region(env: &Env) -> Result<Response> {
    let ns = env.durable_object("REGION")?;
    let stub = ns.get_by_name_with_location_hint("region:weur", "weur")?;
    let mut resp = stub.fetch_with_str("https://region/ping").await?;
    let body: serde_json::Value = resp.json().await?;
    http::json(&body, 200)
}

#[event(scheduled)]
async fn scheduled(_event: ScheduledEvent, _env: Env, _ctx: ScheduleContext) {}

#[worker::durable_object]
pub struct RegionProber {
    state: worker::State,
}

impl worker::DurableObject for RegionProber {
    fn new(state: worker::State, _env: Env) -> Self {
        Self { state }
    }

    async fn fetch(&self, _req: Request) -> Result<Response> {
        let name = self.state.id().name().unwrap_or_default();
        http::json(&serde_json::json!({ "pong": true, "object": name }), 200)
    }
}

#[worker::durable_object]
pub struct Coordinator {
    _state: worker::State,
}

impl worker::DurableObject for Coordinator {
    fn new(state: worker::State, _env: Env) -> Self {
        Self { _state: state }
    }
    async fn fetch(&self, _req: Request) -> Result<Response> {
        Response::ok("coordinator")
    }
}

#[worker::durable_object]
pub struct Dispatcher {
    _state: worker::State,
}

impl worker::DurableObject for Dispatcher {
    fn new(state: worker::State, _env: Env) -> Self {
        Self { _state: state }
    }
    async fn fetch(&self, _req: Request) -> Result<Response> {
        Response::ok("dispatcher")
    }
}
