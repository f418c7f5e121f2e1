//! Public pages: the status page (`/status`, `/status/{slug}`) and badges
//! (`/badge/{slug}.svg|.json`). No authentication.
//!
//! Cheap public reads (issue 12 item 5): every route reads exactly one precomputed document
//! from KV (`/status`: the index; a monitor page and its badges: that monitor's document), which
//! the cron builds and writes on change (`crate::publish`). So a request costs one backend call
//! whatever the number of monitors; the page is rendered from the document with the request's
//! time. Responses carry an `ETag` of their body (304 on a matching `If-None-Match`) and
//! `Cache-Control: public, max-age=60`, the refresh period; on Cloudflare the Workers Cache API
//! keeps them for that period too, so a repeated request costs no backend call at all. Local
//! runs (`RUNTIME=local`: `make dev`, the tests) skip the Cache API, so a change shows right
//! after the cron's next run, and report the request's backend calls in
//! `x-edgeprobe-backend-calls` (the test of the constant cost reads it).
//!
//! Only public monitors have documents: an unknown slug and a private one get the same 404
//! body, so a private monitor's existence or name never leaks. A monitor made public, renamed
//! or made private shows so after the cron's next run (within a minute).

use worker::{Cache, Response};

use super::{internal, ok, ApiResult, Ctx};
use crate::env;
use crate::http;
use crate::store::pages::Reader;
use edgeprobe_web::badge::{
    badge_for, etag_for, if_none_match_matches, invalid_badge, parse_badge_query, render_svg,
    shields_endpoint_json, BadgeQuery, BadgeSpec, Color, CACHE_CONTROL,
};
use edgeprobe_web::problem::{ApiError, Problem};
use edgeprobe_web::status_page::{
    render_feed, render_feed_with, render_index_with, render_monitor, render_not_found, Detail,
    FAVICON_SVG,
};

const HTML: &str = "text/html; charset=utf-8";
const SVG: &str = "image/svg+xml; charset=utf-8";
const ATOM: &str = "application/atom+xml; charset=utf-8";
/// The header that reports a request's backend calls in local runs.
const CALLS_HEADER: &str = "x-edgeprobe-backend-calls";

fn local(ctx: &Ctx) -> bool {
    env::var(&ctx.env, "RUNTIME").as_deref() == Some("local")
}

/// A cached copy of this URL's response (Cloudflare only), answered as 304 when the client's
/// `If-None-Match` matches it.
async fn from_cache(ctx: &Ctx) -> Option<Response> {
    if local(ctx) {
        return None;
    }
    let url = ctx.req.url().ok()?.to_string();
    let resp = Cache::default().get(url, false).await.ok()??;
    let etag = resp.headers().get("etag").ok()??;
    if client_has(ctx, &etag) {
        return not_modified(&etag).ok();
    }
    Some(resp)
}

fn client_has(ctx: &Ctx, etag: &str) -> bool {
    ctx.req
        .headers()
        .get("if-none-match")
        .ok()
        .flatten()
        .is_some_and(|h| if_none_match_matches(&h, etag))
}

fn not_modified(etag: &str) -> worker::Result<Response> {
    let resp = Response::empty()?.with_status(304);
    resp.headers().set("cache-control", CACHE_CONTROL)?;
    resp.headers().set("etag", etag)?;
    Ok(resp)
}

/// Sends a body with its caching headers (304 when the client has it already), stores a 200 in
/// the Cache API (Cloudflare), and reports the backend calls (local).
async fn send(
    ctx: &Ctx,
    reader: &Reader<'_>,
    body: String,
    status: u16,
    content_type: &str,
) -> ApiResult {
    let etag = etag_for(&body);
    let resp = if status == 200 && client_has(ctx, &etag) {
        ok(not_modified(&etag))?
    } else {
        let resp = ok(http::with_type(body, status, content_type))?;
        let h = resp.headers();
        h.set("cache-control", CACHE_CONTROL)
            .and_then(|_| h.set("etag", &etag))
            .map_err(internal)?;
        resp
    };
    if local(ctx) {
        resp.headers()
            .set(CALLS_HEADER, &reader.calls().to_string())
            .map_err(internal)?;
    } else if resp.status_code() == 200 {
        let url = ctx.req.url().map_err(internal)?.to_string();
        let mut resp = resp;
        let copy = resp.cloned().map_err(internal)?;
        // A failed cache put only costs the next request a KV read.
        if let Err(e) = Cache::default().put(url, copy).await {
            worker::console_error!("cache put: {e}");
        }
        return Ok(resp);
    }
    Ok(resp)
}

pub async fn status_index(ctx: Ctx) -> ApiResult {
    if let Some(resp) = from_cache(&ctx).await {
        return Ok(resp);
    }
    let reader = Reader::new(&ctx.env);
    // No document yet: the cron has not run since the database was created.
    let doc = reader
        .index()
        .await
        .map_err(http::unavailable("index document"))?
        .unwrap_or_default();
    let body = render_index_with(
        &doc.monitors,
        &doc.incidents,
        ctx.now,
        &ctx.config.site_title,
    );
    send(&ctx, &reader, body, 200, HTML).await
}

/// `/status/{slug}`: visitors get customer words; a request with the API token gets the
/// operator view (diagnosis, checklist, evidence), never cached by a shared cache.
pub async fn status_monitor(ctx: Ctx) -> ApiResult {
    let operator = http::authorized(&ctx.req, &ctx.env);
    if !operator {
        if let Some(resp) = from_cache(&ctx).await {
            return Ok(resp);
        }
    }
    let reader = Reader::new(&ctx.env);
    let doc = reader
        .monitor(&ctx.param("slug"))
        .await
        .map_err(http::unavailable("monitor document"))?;
    match doc {
        Some(doc) if operator => {
            let body = render_monitor(&doc.page, ctx.now, &ctx.config.site_title, Detail::Full);
            let resp = ok(http::with_type(body, 200, HTML))?;
            let h = resp.headers();
            h.set("cache-control", "private, no-store")
                .and_then(|_| h.set("vary", "authorization"))
                .map_err(internal)?;
            if local(&ctx) {
                h.set(CALLS_HEADER, &reader.calls().to_string())
                    .map_err(internal)?;
            }
            Ok(resp)
        }
        Some(doc) => {
            let detail = if doc.full_detail {
                Detail::Full
            } else {
                Detail::Summary
            };
            let body = render_monitor(&doc.page, ctx.now, &ctx.config.site_title, detail);
            send(&ctx, &reader, body, 200, HTML).await
        }
        None => {
            let body = render_not_found(&ctx.config.site_title);
            send(&ctx, &reader, body, 404, HTML).await
        }
    }
}

/// What a badge request resolves to: the badge, or a 404 for an unknown/private slug.
enum Badge {
    Found(BadgeSpec),
    NotFound(BadgeSpec),
}

/// Decides the badge from the monitor's document.
async fn badge(ctx: &Ctx, reader: &Reader<'_>, q: &BadgeQuery) -> Result<Badge, ApiError> {
    let doc = reader
        .monitor(&ctx.param("slug"))
        .await
        .map_err(http::unavailable("monitor document"))?;
    let Some(doc) = doc else {
        let label = q.label.clone().unwrap_or_else(|| "status".to_string());
        return Ok(Badge::NotFound(BadgeSpec {
            label,
            message: "not found".into(),
            color: Color::LightGrey,
            style: q.style,
        }));
    };
    Ok(Badge::Found(badge_for(
        q,
        &doc.badge_input(q.region.as_deref()),
    )))
}

/// The query, or the 400 problem that answers a bad one.
fn query(ctx: &Ctx) -> Result<BadgeQuery, ApiResult> {
    parse_badge_query(&ctx.query()).map_err(|detail| {
        let p = Problem::bad_request(detail).with_instance(ctx.req.path());
        ok(http::with_type(
            p.to_json(),
            400,
            "application/problem+json",
        ))
    })
}

pub async fn badge_svg(ctx: Ctx) -> ApiResult {
    let Ok(q) = parse_badge_query(&ctx.query()) else {
        // A grey "invalid query" image rather than a problem: an <img> in a README cannot
        // show JSON (the JSON badge answers a problem).
        let reader = Reader::new(&ctx.env);
        return send(&ctx, &reader, render_svg(&invalid_badge()), 400, SVG).await;
    };
    if let Some(resp) = from_cache(&ctx).await {
        return Ok(resp);
    }
    let reader = Reader::new(&ctx.env);
    match badge(&ctx, &reader, &q).await? {
        Badge::Found(spec) => send(&ctx, &reader, render_svg(&spec), 200, SVG).await,
        Badge::NotFound(spec) => send(&ctx, &reader, render_svg(&spec), 404, SVG).await,
    }
}

pub async fn badge_json(ctx: Ctx) -> ApiResult {
    let q = match query(&ctx) {
        Ok(q) => q,
        Err(resp) => return resp,
    };
    if let Some(resp) = from_cache(&ctx).await {
        return Ok(resp);
    }
    let reader = Reader::new(&ctx.env);
    match badge(&ctx, &reader, &q).await? {
        Badge::Found(spec) => {
            send(
                &ctx,
                &reader,
                shields_endpoint_json(&spec),
                200,
                "application/json",
            )
            .await
        }
        Badge::NotFound(_) => Err(ApiError::NotFound {
            kind: "badge",
            id: ctx.param("slug"),
        }),
    }
}

/// `/` → `/status`.
pub fn root() -> ApiResult {
    let resp = ok(Response::empty().map(|r| r.with_status(302)))?;
    resp.headers()
        .set("location", "/status")
        .map_err(internal)?;
    Ok(resp)
}

/// The status pages' icon (an SVG, cached for a day).
pub fn favicon() -> ApiResult {
    let resp = ok(http::with_type(FAVICON_SVG.to_string(), 200, SVG))?;
    resp.headers()
        .set("cache-control", "public, max-age=86400")
        .map_err(internal)?;
    Ok(resp)
}

/// `/status/feed.atom` (every monitor: the index document) and `/status/{slug}/feed.atom`
/// (that monitor's document): one document read, like the pages.
pub async fn feed(ctx: Ctx, one: bool) -> ApiResult {
    if let Some(resp) = from_cache(&ctx).await {
        return Ok(resp);
    }
    let reader = Reader::new(&ctx.env);
    let base = ctx.base_url();
    let title = &ctx.config.site_title;
    let body = if one {
        let slug = ctx.param("slug");
        let doc = reader
            .monitor(&slug)
            .await
            .map_err(http::unavailable("monitor document"))?;
        let Some(doc) = doc else {
            return Err(ApiError::NotFound {
                kind: "feed",
                id: slug,
            });
        };
        render_feed(std::slice::from_ref(&doc.page), &base, title, Some(&slug))
    } else {
        let doc = reader
            .index()
            .await
            .map_err(http::unavailable("index document"))?
            .unwrap_or_default();
        render_feed_with(&doc.monitors, &doc.incidents, &base, title, None)
    };
    send(&ctx, &reader, body, 200, ATOM).await
}
