//! Public pages: the status page (`/status`, `/status/{slug}`) and badges
//! (`/badge/{slug}.svg|.json`). No authentication.
//!
//! This file loads rows into the core's view models (`PageMonitor`, `BadgeInput`) and sends
//! what the core renders. Only public monitors are shown: an unknown slug and a private one
//! get the same 404 body, so a private monitor's existence or name never leaks.
//!
//! Windows (the same for the page and badges): uptime and latency are the edge path's (what
//! users get), from hourly rollups for 24 h and 7 days, and daily rollups of finished days plus
//! today's hours for 30 days. Rollups appear once the cron has rolled an hour; until then the
//! values are `None` and the core prints "no data".

use worker::{D1Database, Response};

use super::{ok, ApiResult, Ctx};
use crate::http;
use crate::store::{self, history, kv};
use edgeprobe_core::monitor::Monitor;
use edgeprobe_core::rollup::{latency_p50, latency_series, uptime, Granularity, Rollup};
use edgeprobe_core::time::{UnixMillis, DAY, HOUR};
use edgeprobe_web::badge::{
    badge_for, etag_for, if_none_match_matches, parse_badge_query, render_svg,
    shields_endpoint_json, BadgeInput, BadgeQuery, BadgeSpec, Color, CACHE_CONTROL,
};
use edgeprobe_web::problem::{ApiError, Problem};
use edgeprobe_web::status_page::{
    render_index, render_monitor, render_not_found, PageIncident, PageMonitor,
};

const HTML: &str = "text/html; charset=utf-8";
const SVG: &str = "image/svg+xml; charset=utf-8";
/// Incidents listed per monitor on the pages (the core shows at most this many too).
const PAGE_INCIDENTS: u32 = 10;

/// Uptime and latency over the three windows, for one region or all.
struct Windows {
    uptime: [Option<f64>; 3],
    p50: [Option<u32>; 3],
    /// Median edge latency per hour over the last 24 finished hours.
    series: Vec<(UnixMillis, Option<u32>)>,
}

async fn windows(
    db: &D1Database,
    monitor_id: &str,
    region: Option<&str>,
    now: UnixMillis,
) -> Result<Windows, ApiError> {
    let hour_now = Granularity::Hour.bucket_start(now);
    let today = Granularity::Day.bucket_start(now);
    let end = now.saturating_add(1);
    let hours = history::rollups(
        db,
        monitor_id,
        Granularity::Hour,
        now - 7 * DAY,
        end,
        region,
        Some(edgeprobe_core::diagnosis::PathKind::Edge),
    )
    .await
    .map_err(http::unavailable("rollups hourly"))?;
    let days = history::rollups(
        db,
        monitor_id,
        Granularity::Day,
        today - 30 * DAY,
        today,
        region,
        Some(edgeprobe_core::diagnosis::PathKind::Edge),
    )
    .await
    .map_err(http::unavailable("rollups daily"))?;
    // Daily rows cover finished days only; today's hours complete the 30-day window.
    let month: Vec<Rollup> = days
        .into_iter()
        .chain(hours.iter().filter(|r| r.bucket_start >= today).cloned())
        .collect();
    Ok(Windows {
        uptime: [
            uptime(&hours, now - DAY, end),
            uptime(&hours, now - 7 * DAY, end),
            uptime(&month, today - 30 * DAY, end),
        ],
        p50: [
            latency_p50(&hours, now - DAY, end),
            latency_p50(&hours, now - 7 * DAY, end),
            latency_p50(&month, today - 30 * DAY, end),
        ],
        series: latency_series(&hours, hour_now - DAY, hour_now, HOUR),
    })
}

/// A public monitor as the status page shows it: the KV status document (or "never probed"),
/// with the monitor's current name and slug, rollup windows and recent incidents.
async fn page_monitor(ctx: &Ctx, db: &D1Database, m: &Monitor) -> Result<PageMonitor, ApiError> {
    let status = kv::get_status(&ctx.env, &m.id)
        .await
        .map_err(http::unavailable("status get"))?;
    let mut pm = match &status {
        Some(s) => PageMonitor::from_status(s),
        None => PageMonitor::never_probed(&m.slug, &m.name),
    };
    // The status document may predate a rename.
    pm.slug = m.slug.clone();
    pm.name = m.name.clone();
    let w = windows(db, &m.id, None, ctx.now).await?;
    [pm.uptime_24h, pm.uptime_7d, pm.uptime_30d] = w.uptime;
    pm.latency_series = w.series;
    let incidents = history::incidents_page(db, &m.id, None, PAGE_INCIDENTS)
        .await
        .map_err(http::unavailable("incidents"))?;
    pm.incidents = incidents
        .into_iter()
        .map(|i| PageIncident {
            started_at: i.incident.started_at,
            ended_at: i.closed_at,
            verdict: i.incident.verdict,
            summary: i.incident.summary,
            regions: i.incident.regions,
        })
        .collect();
    Ok(pm)
}

/// The monitor at `slug` if it exists and is public; `None` for both other cases alike.
async fn public_monitor(db: &D1Database, slug: &str) -> Result<Option<Monitor>, ApiError> {
    let m = store::monitors::get_by_slug(db, slug)
        .await
        .map_err(http::unavailable("monitor by slug"))?;
    Ok(m.filter(|m| m.public))
}

pub async fn status_index(ctx: Ctx) -> ApiResult {
    let db = ctx.db()?;
    let monitors = store::monitors::list_public(&db)
        .await
        .map_err(http::unavailable("public monitors"))?;
    // Each card's reads (KV status, rollups, incidents) are independent: issue them together
    // rather than one monitor after another (order is kept).
    let pages =
        futures::future::try_join_all(monitors.iter().map(|m| page_monitor(&ctx, &db, m))).await?;
    ok(http::with_type(
        render_index(&pages, ctx.now, &ctx.config.site_title),
        200,
        HTML,
    ))
}

pub async fn status_monitor(ctx: Ctx) -> ApiResult {
    let db = ctx.db()?;
    let Some(m) = public_monitor(&db, &ctx.param("slug")).await? else {
        return ok(http::with_type(
            render_not_found(&ctx.config.site_title),
            404,
            HTML,
        ));
    };
    let pm = page_monitor(&ctx, &db, &m).await?;
    ok(http::with_type(
        render_monitor(&pm, ctx.now, &ctx.config.site_title),
        200,
        HTML,
    ))
}

/// What a badge request resolves to: the badge, or a 404 for an unknown/private slug.
enum Badge {
    Found(BadgeSpec),
    NotFound(BadgeSpec),
}

/// Parses the query (a bad one is answered with a 400 problem) and decides the badge.
async fn badge(ctx: &Ctx) -> Result<Result<Badge, Response>, ApiError> {
    let q: BadgeQuery = match parse_badge_query(&ctx.query()) {
        Ok(q) => q,
        Err(detail) => {
            let p = Problem::bad_request(detail).with_instance(ctx.req.path());
            return ok(http::with_type(
                p.to_json(),
                400,
                "application/problem+json",
            ))
            .map(Err);
        }
    };
    let db = ctx.db()?;
    let Some(m) = public_monitor(&db, &ctx.param("slug")).await? else {
        let label = q.label.clone().unwrap_or_else(|| "status".to_string());
        return Ok(Ok(Badge::NotFound(BadgeSpec {
            label,
            message: "not found".into(),
            color: Color::LightGrey,
            style: q.style,
        })));
    };
    let maintenance = m.in_maintenance(ctx.now);
    let status = kv::get_status(&ctx.env, &m.id)
        .await
        .map_err(http::unavailable("status get"))?;
    let mut input = match &status {
        Some(s) => BadgeInput::from_status(s, maintenance),
        None => BadgeInput::never_probed(&m.name, maintenance),
    };
    input.name = m.name.clone();
    let w = windows(&db, &m.id, q.region.as_deref(), ctx.now).await?;
    [input.uptime_24h, input.uptime_7d, input.uptime_30d] = w.uptime;
    [
        input.latency_p50_24h,
        input.latency_p50_7d,
        input.latency_p50_30d,
    ] = w.p50;
    Ok(Ok(Badge::Found(badge_for(&q, &input))))
}

/// Sends a badge body with its caching headers, or 304 when the client has it already.
fn send(ctx: &Ctx, body: String, status: u16, content_type: &str) -> ApiResult {
    let etag = etag_for(&body);
    let fresh = ctx
        .req
        .headers()
        .get("if-none-match")
        .ok()
        .flatten()
        .is_some_and(|h| if_none_match_matches(&h, &etag));
    let resp = if fresh && status == 200 {
        ok(Response::empty().map(|r| r.with_status(304)))?
    } else {
        ok(http::with_type(body, status, content_type))?
    };
    let h = resp.headers();
    ok(h.set("cache-control", CACHE_CONTROL)
        .and_then(|_| h.set("etag", &etag))
        .map(|_| resp))
}

pub async fn badge_svg(ctx: Ctx) -> ApiResult {
    match badge(&ctx).await? {
        Err(resp) => Ok(resp),
        Ok(Badge::Found(spec)) => send(&ctx, render_svg(&spec), 200, SVG),
        Ok(Badge::NotFound(spec)) => send(&ctx, render_svg(&spec), 404, SVG),
    }
}

pub async fn badge_json(ctx: Ctx) -> ApiResult {
    match badge(&ctx).await? {
        Err(resp) => Ok(resp),
        Ok(Badge::Found(spec)) => send(&ctx, shields_endpoint_json(&spec), 200, "application/json"),
        Ok(Badge::NotFound(_)) => Err(ApiError::NotFound {
            kind: "badge",
            id: ctx.param("slug"),
        }),
    }
}
