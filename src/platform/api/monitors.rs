//! Monitor handlers: CRUD and "check now".
//!
//! Each handler reads the request, lets `core::validate` decide whether the input is valid,
//! checks what only storage can tell (slug taken, channels exist), writes, and tells the
//! coordinator. It must not make decisions the core can make, nor log request bodies.

use serde_json::Value;

use super::{ok, ApiResult, Ctx};
use crate::core::monitor::Monitor;
use crate::core::problem::{ApiError, FieldError};
use crate::core::validate::{apply_monitor_patch, list_view, monitor_view, parse_page_query, validate_new_monitor, Cursor};
use crate::platform::store::{self, kv};
use crate::platform::{coordinator, env, http};

fn not_found(id: &str) -> ApiError {
    ApiError::NotFound {
        kind: "monitor",
        id: id.to_string(),
    }
}

/// The monitor named by the `{id}` path parameter, or 404.
pub(super) async fn load(ctx: &Ctx) -> Result<Monitor, ApiError> {
    let id = ctx.param("id");
    store::monitors::get(&ctx.db()?, &id)
        .await
        .map_err(http::unavailable("monitors get"))?
        .ok_or_else(|| not_found(&id))
}

pub async fn list(ctx: Ctx) -> ApiResult {
    let q = parse_page_query(&ctx.query())?;
    let after = q.cursor.as_ref().map(|c| (c.sort_key, c.id.as_str()));
    // One extra row tells whether another page exists without a second query.
    let mut rows = store::monitors::list_page(&ctx.db()?, after, q.limit + 1)
        .await
        .map_err(http::unavailable("monitors list"))?;
    let more = rows.len() > q.limit as usize;
    rows.truncate(q.limit as usize);
    let next = more
        .then(|| {
            rows.last().map(|m| Cursor {
                sort_key: m.created_at,
                id: m.id.clone(),
            })
        })
        .flatten();
    ok(http::json(&list_view(rows.iter().map(monitor_view).collect(), next.as_ref()), 200))
}

/// Storage-only checks shared by create and update: every channel exists (422 naming
/// `/channels/<i>`), then the slug is free (409).
async fn check_references(ctx: &Ctx, m: &Monitor) -> Result<(), ApiError> {
    let db = ctx.db()?;
    let found = store::channels::get_many(&db, &m.channels)
        .await
        .map_err(http::unavailable("channels get"))?;
    let missing: Vec<FieldError> = m
        .channels
        .iter()
        .enumerate()
        .filter(|(_, id)| !found.iter().any(|c| &c.id == *id))
        .map(|(i, _)| FieldError::new(format!("/channels/{i}"), "no channel with this id exists"))
        .collect();
    if !missing.is_empty() {
        return Err(ApiError::Validation(missing));
    }
    if store::monitors::slug_taken(&db, &m.slug, &m.id)
        .await
        .map_err(http::unavailable("slug check"))?
    {
        return Err(ApiError::Conflict {
            detail: format!("the slug {:?} is already used by another monitor", m.slug),
        });
    }
    Ok(())
}

async fn sync(ctx: &Ctx, m: &Monitor) -> Result<(), ApiError> {
    coordinator::sync_monitor(&ctx.env, m)
        .await
        .map_err(http::unavailable("coordinator sync"))
}

pub async fn create(mut ctx: Ctx) -> ApiResult {
    let body: Value = http::read_json(&mut ctx.req).await?;
    let m = validate_new_monitor(&body, env::new_id("mon"), &ctx.config.validation(ctx.now))?;
    check_references(&ctx, &m).await?;
    store::monitors::insert(&ctx.db()?, &m)
        .await
        .map_err(http::unavailable("monitors insert"))?;
    sync(&ctx, &m).await?;
    let resp = ok(http::json(&monitor_view(&m), 201))?;
    let location = format!("/api/v1/monitors/{}", m.id);
    ok(resp.headers().set("location", &location).map(|_| resp))
}

pub async fn get(ctx: Ctx) -> ApiResult {
    let m = load(&ctx).await?;
    ok(http::json(&monitor_view(&m), 200))
}

pub async fn update(mut ctx: Ctx) -> ApiResult {
    let patch: Value = http::read_json(&mut ctx.req).await?;
    let current = load(&ctx).await?;
    let m = apply_monitor_patch(&current, &patch, &ctx.config.validation(ctx.now))?;
    check_references(&ctx, &m).await?;
    store::monitors::update(&ctx.db()?, &m)
        .await
        .map_err(http::unavailable("monitors update"))?;
    sync(&ctx, &m).await?;
    ok(http::json(&monitor_view(&m), 200))
}

pub async fn delete(ctx: Ctx) -> ApiResult {
    let id = ctx.param("id");
    if !store::monitors::delete(&ctx.db()?, &id)
        .await
        .map_err(http::unavailable("monitors delete"))?
    {
        return Err(not_found(&id));
    }
    kv::delete_status(&ctx.env, &id).await.map_err(http::unavailable("status delete"))?;
    coordinator::forget_monitor(&ctx.env, &id)
        .await
        .map_err(http::unavailable("coordinator forget"))?;
    ok(http::no_content())
}

pub async fn check_now(ctx: Ctx) -> ApiResult {
    let m = load(&ctx).await?;
    let outcome = coordinator::check_now(&ctx.env, &m.id)
        .await
        .map_err(http::unavailable("check now"))?;
    ok(http::json(&outcome, 200))
}
