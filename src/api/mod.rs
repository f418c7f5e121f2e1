//! The HTTP surface: one small handler per route of `core::routes::ROUTES`.
//!
//! Handlers parse the request (the core validates it), call storage or a Durable Object, and
//! render the result (the core renders pages and badges). Errors are `ApiError`s, mapped to
//! problem+json in one place (`core::problem`, via `platform::http::problem`).

mod channels;
mod deliveries;
mod incidents;
mod maintenance;
mod monitors;
mod pages;
mod results;

use worker::{Env, Request, Response};

use crate::env::{self, Config};
use crate::http;
use edgeprobe_core::time::UnixMillis;
use edgeprobe_web::problem::ApiError;
use edgeprobe_web::routes::Operation;

pub type ApiResult = std::result::Result<Response, ApiError>;

/// What every handler gets: the request, the environment, the route's path parameters, the
/// configuration and the current time (read once).
pub struct Ctx {
    pub req: Request,
    pub env: Env,
    pub params: Vec<(&'static str, String)>,
    pub config: Config,
    pub now: UnixMillis,
}

impl Ctx {
    pub fn new(req: Request, env: Env, params: Vec<(&'static str, String)>) -> Ctx {
        let config = Config::from_env(&env);
        Ctx {
            req,
            env,
            params,
            config,
            now: env::now(),
        }
    }

    /// A path parameter by name (percent-decoded).
    pub fn param(&self, name: &str) -> String {
        let raw = self
            .params
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("");
        url::form_urlencoded::parse(format!("x={}", raw.replace('+', "%2B")).as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    }

    /// The raw query string without the leading `?`.
    pub fn query(&self) -> String {
        self.req
            .url()
            .ok()
            .and_then(|u| u.query().map(str::to_string))
            .unwrap_or_default()
    }

    /// Base URL for links: the configured public URL, else this request's origin.
    pub fn base_url(&self) -> String {
        if !self.config.public_base_url.is_empty() {
            return self.config.public_base_url.clone();
        }
        self.req
            .url()
            .map(|u| u.origin().ascii_serialization())
            .unwrap_or_default()
    }

    pub fn db(&self) -> std::result::Result<worker::D1Database, ApiError> {
        self.env.d1("DB").map_err(http::unavailable("D1 binding"))
    }
}

/// A response built by the platform; failing to build one is our bug (500, logged).
pub fn ok(r: worker::Result<Response>) -> ApiResult {
    r.map_err(internal)
}

/// Sets the `ETag` of a stored version on a monitor or channel response.
pub fn with_etag(resp: Response, version: i64) -> ApiResult {
    let tag = edgeprobe_web::validate::etag(version);
    ok(resp.headers().set("etag", &tag).map(|_| resp))
}

/// The request's `If-Match` header, if any.
pub fn if_match(ctx: &Ctx) -> Option<String> {
    ctx.req.headers().get("if-match").ok().flatten()
}

/// How many times a PATCH re-reads and re-merges when another writer changed the resource
/// between its read and its write, before answering 409.
pub const MAX_WRITE_ATTEMPTS: usize = 10;

/// A platform error where none was expected: our bug (500, logged, never shown).
pub fn internal(e: worker::Error) -> ApiError {
    ApiError::Internal {
        log_detail: e.to_string(),
    }
}

/// Runs the handler of `operation`; the match is exhaustive, so a route added to the table
/// without a handler does not compile.
pub async fn handle(operation: Operation, ctx: Ctx) -> ApiResult {
    match operation {
        Operation::GetHealth => {
            // 503 when the database does not answer: the worker cannot do its job without it.
            let h = env::health(&ctx.env).await;
            let status = if h.schema_version.is_some() { 200 } else { 503 };
            ok(http::json(&h, status))
        }
        Operation::GetOpenApi => ok(http::with_type(
            edgeprobe_web::routes::OPENAPI_JSON.to_string(),
            200,
            "application/json",
        )),
        Operation::ListMonitors => monitors::list(ctx).await,
        Operation::CreateMonitor => monitors::create(ctx).await,
        Operation::GetMonitor => monitors::get(ctx).await,
        Operation::UpdateMonitor => monitors::update(ctx).await,
        Operation::DeleteMonitor => monitors::delete(ctx).await,
        Operation::CheckMonitorNow => monitors::check_now(ctx).await,
        Operation::GetMonitorStatus => results::status(ctx).await,
        Operation::ListMonitorResults => results::results(ctx).await,
        Operation::ListMonitorIncidents => results::incidents(ctx).await,
        Operation::GetIncident => incidents::get(ctx).await,
        Operation::ListMonitorRollups => results::rollups(ctx).await,
        Operation::ListChannels => channels::list(ctx).await,
        Operation::CreateChannel => channels::create(ctx).await,
        Operation::GetChannel => channels::get(ctx).await,
        Operation::UpdateChannel => channels::update(ctx).await,
        Operation::DeleteChannel => channels::delete(ctx).await,
        Operation::TestChannel => deliveries::test_channel(ctx).await,
        Operation::ListChannelDeliveries => deliveries::list_for_channel(ctx).await,
        Operation::GetDelivery => deliveries::get(ctx).await,
        Operation::RedriveDelivery => deliveries::redrive(ctx).await,
        Operation::GetStatusPage => pages::status_index(ctx).await,
        Operation::GetMonitorStatusPage => pages::status_monitor(ctx).await,
        Operation::GetBadgeSvg => pages::badge_svg(ctx).await,
        Operation::GetBadgeJson => pages::badge_json(ctx).await,
        Operation::GetMetrics => metrics(ctx, false).await,
        Operation::ResetMetrics => metrics(ctx, true).await,
        Operation::DryRunCheck => monitors::dry_run(ctx).await,
        Operation::RotateChannelSecret => channels::rotate_secret(ctx).await,
        Operation::GetRoot => pages::root(),
        Operation::GetFavicon => pages::favicon(),
        Operation::GetStatusFeed => pages::feed(ctx, false).await,
        Operation::GetMonitorStatusFeed => pages::feed(ctx, true).await,
        Operation::CreateIncident => incidents::create(ctx).await,
        Operation::PostIncidentUpdate => incidents::post_update(ctx).await,
        Operation::ListMaintenanceWindows => maintenance::list(ctx).await,
        Operation::CreateMaintenanceWindow => maintenance::create(ctx).await,
        Operation::DeleteMaintenanceWindow => maintenance::delete(ctx).await,
    }
}

/// The coordinator's operation counters (`core::meter`), reset afterwards when asked.
async fn metrics(ctx: Ctx, reset: bool) -> ApiResult {
    let report = crate::coordinator::metrics(&ctx.env, reset)
        .await
        .map_err(http::unavailable("coordinator metrics"))?;
    ok(http::json(&report, 200))
}
