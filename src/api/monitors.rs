//! Monitor handlers: CRUD and "check now".
//!
//! Each handler reads the request, lets `core::validate` decide whether the input is valid,
//! checks what only storage can tell (slug taken, channels exist), writes, and tells the
//! coordinator. It must not make decisions the core can make, nor log request bodies.
//!
//! A PATCH is a read-modify-write that cannot lose another writer's fields: it reads the
//! monitor and its version, merges, and writes only if the version is unchanged
//! (`store::monitors::update`); otherwise it reads again and re-merges, at most
//! [`MAX_WRITE_ATTEMPTS`] times. `If-Match` (optional) makes the write conditional on the
//! client's own view (412 when stale). The UNIQUE slug index and the channel checks inside the
//! write statements make racing creates and deletes answer 409/422, never 503.

use serde_json::Value;

use super::{if_match, ok, with_etag, ApiResult, Ctx, MAX_WRITE_ATTEMPTS};
use crate::store::{self, kv, Write};
use crate::{coordinator, env, http};
use edgeprobe_core::monitor::Monitor;
use edgeprobe_web::problem::{ApiError, FieldError};
use edgeprobe_web::validate::{
    added_channels, apply_monitor_patch, etag, if_match_allows, parse_monitor_list_query,
    validate_new_monitor, Cursor,
};
use edgeprobe_web::views::{MonitorList, MonitorListItem, MonitorView, RoundView};

fn not_found(id: &str) -> ApiError {
    ApiError::NotFound {
        kind: "monitor",
        id: id.to_string(),
    }
}

/// The monitor named by the `{id}` path parameter and its version, or 404.
pub(super) async fn load_versioned(ctx: &Ctx) -> Result<(Monitor, i64), ApiError> {
    let id = ctx.param("id");
    store::monitors::get_versioned(&ctx.db()?, &id)
        .await
        .map_err(http::unavailable("monitors get"))?
        .ok_or_else(|| not_found(&id))
}

/// The monitor named by the `{id}` path parameter, or 404.
pub(super) async fn load(ctx: &Ctx) -> Result<Monitor, ApiError> {
    let id = ctx.param("id");
    store::monitors::get(&ctx.db()?, &id)
        .await
        .map_err(http::unavailable("monitors get"))?
        .ok_or_else(|| not_found(&id))
}

/// `GET /api/v1/monitors[?slug=&tag=]`: each monitor with its health and latest verdict
/// (read from the KV status documents of the page, concurrently).
pub async fn list(ctx: Ctx) -> ApiResult {
    let q = parse_monitor_list_query(&ctx.query())?;
    let after = q.page.cursor.as_ref().map(|c| (c.sort_key, c.id.as_str()));
    // One extra row tells whether another page exists without a second query.
    let mut rows = store::monitors::list_page_filtered(
        &ctx.db()?,
        q.slug.as_deref(),
        q.tag.as_deref(),
        after,
        q.page.limit + 1,
    )
    .await
    .map_err(http::unavailable("monitors list"))?;
    let more = rows.len() > q.page.limit as usize;
    rows.truncate(q.page.limit as usize);
    let next = more
        .then(|| {
            rows.last().map(|m| Cursor {
                sort_key: m.created_at,
                id: m.id.clone(),
            })
        })
        .flatten();
    let statuses =
        futures::future::join_all(rows.iter().map(|m| kv::get_status(&ctx.env, &m.id))).await;
    let mut items = Vec::with_capacity(rows.len());
    for (m, status) in rows.iter().zip(statuses) {
        let status = status.map_err(http::unavailable("status get"))?;
        items.push(MonitorListItem::new(m, status.as_ref()));
    }
    ok(http::json(&MonitorList::new(items, next.as_ref()), 200))
}

/// Storage-only checks shared by create and update: every channel the write adds (relative to
/// `before`) exists (422 naming `/channels/<i>`), then the slug is free (409). The write
/// statements check both again atomically; this gives the precise answer in the common case.
async fn check_references(ctx: &Ctx, m: &Monitor, before: &[String]) -> Result<(), ApiError> {
    let db = ctx.db()?;
    let added = added_channels(before, &m.channels);
    let ids: Vec<String> = added.iter().map(|(_, id)| id.to_string()).collect();
    let found = store::channels::get_many(&db, &ids)
        .await
        .map_err(http::unavailable("channels get"))?;
    let missing: Vec<FieldError> = added
        .iter()
        .filter(|(_, id)| !found.iter().any(|c| c.id == *id))
        .map(|(i, _)| FieldError::new(format!("/channels/{i}"), "no channel with this id exists"))
        .collect();
    if !missing.is_empty() {
        return Err(ApiError::Validation(missing));
    }
    if store::monitors::slug_taken(&db, &m.slug, &m.id)
        .await
        .map_err(http::unavailable("slug check"))?
    {
        return Err(ApiError::SlugTaken {
            slug: m.slug.clone(),
        });
    }
    Ok(())
}

pub(super) async fn sync(ctx: &Ctx, m: &Monitor, version: i64) -> Result<(), ApiError> {
    coordinator::sync_monitor(&ctx.env, m, version)
        .await
        .map_err(http::unavailable("coordinator sync"))
}

pub async fn create(mut ctx: Ctx) -> ApiResult {
    let body: Value = http::read_json(&mut ctx.req).await?;
    let m = validate_new_monitor(&body, env::new_id("mon"), &ctx.config.validation(ctx.now))?;
    check_references(&ctx, &m, &[]).await?;
    let added: Vec<&str> = m.channels.iter().map(String::as_str).collect();
    let version = match store::monitors::insert(&ctx.db()?, &m, &added)
        .await
        .map_err(http::unavailable("monitors insert"))?
    {
        Write::Written { version } => version,
        Write::SlugTaken => {
            return Err(ApiError::SlugTaken {
                slug: m.slug.clone(),
            })
        }
        // A listed channel was deleted between the check and the insert: report it as the
        // check would have.
        Write::NotApplied => {
            check_references(&ctx, &m, &[]).await?;
            return Err(ApiError::Conflict {
                detail: "a channel changed while the monitor was created; retry".into(),
            });
        }
    };
    sync(&ctx, &m, version).await?;
    let resp = with_etag(ok(http::json(&MonitorView::from(&m), 201))?, version)?;
    let location = format!("/api/v1/monitors/{}", m.id);
    ok(resp.headers().set("location", &location).map(|_| resp))
}

pub async fn get(ctx: Ctx) -> ApiResult {
    let (m, version) = load_versioned(&ctx).await?;
    with_etag(ok(http::json(&MonitorView::from(&m), 200))?, version)
}

pub async fn update(mut ctx: Ctx) -> ApiResult {
    let patch: Value = http::read_json(&mut ctx.req).await?;
    let condition = if_match(&ctx);
    let db = ctx.db()?;
    for _ in 0..MAX_WRITE_ATTEMPTS {
        let (current, version) = load_versioned(&ctx).await?;
        if !if_match_allows(condition.as_deref(), &etag(version)) {
            return Err(ApiError::PreconditionFailed {
                detail: format!(
                    "If-Match does not match the monitor's current ETag {}",
                    etag(version)
                ),
            });
        }
        let m = apply_monitor_patch(&current, &patch, &ctx.config.validation(ctx.now))?;
        check_references(&ctx, &m, &current.channels).await?;
        let added: Vec<&str> = added_channels(&current.channels, &m.channels)
            .into_iter()
            .map(|(_, id)| id)
            .collect();
        match store::monitors::update(&db, &m, version, &added)
            .await
            .map_err(http::unavailable("monitors update"))?
        {
            Write::Written { version } => {
                sync(&ctx, &m, version).await?;
                return with_etag(ok(http::json(&MonitorView::from(&m), 200))?, version);
            }
            Write::SlugTaken => {
                return Err(ApiError::SlugTaken {
                    slug: m.slug.clone(),
                })
            }
            // Another writer got in between (or the monitor or a channel went away): read
            // again and merge this patch onto what is there now.
            Write::NotApplied => continue,
        }
    }
    Err(ApiError::Conflict {
        detail: format!(
            "the monitor changed {MAX_WRITE_ATTEMPTS} times while this update was applied; retry"
        ),
    })
}

pub async fn delete(ctx: Ctx) -> ApiResult {
    let id = ctx.param("id");
    if !store::monitors::delete(&ctx.db()?, &id)
        .await
        .map_err(http::unavailable("monitors delete"))?
    {
        return Err(not_found(&id));
    }
    kv::delete_status(&ctx.env, &id)
        .await
        .map_err(http::unavailable("status delete"))?;
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
    // Deleted while its round ran: nothing was recorded (the round's rows are written only
    // while the monitor exists), so there is no round to show either.
    if store::monitors::get(&ctx.db()?, &m.id)
        .await
        .map_err(http::unavailable("monitors get"))?
        .is_none()
    {
        return Err(not_found(&m.id));
    }
    // The same shape `GET /results` reads back: one round shape in the whole API.
    ok(http::json(
        &RoundView::from_outcome(&m, &outcome, None),
        200,
    ))
}

/// `POST /api/v1/check`: a monitor body (the create shape, not saved) probed once from its
/// regions and diagnosed; answers the round in the shape of `GET /results`. Nothing is
/// stored, scheduled or alerted (`crate::dryrun`); channels listed in the body are ignored.
pub async fn dry_run(mut ctx: Ctx) -> ApiResult {
    let body: Value = http::read_json(&mut ctx.req).await?;
    let m = validate_new_monitor(&body, env::new_id("dry"), &ctx.config.validation(ctx.now))?;
    let outcome = crate::dryrun::run(&ctx.env, &m)
        .await
        .map_err(http::unavailable("dry run"))?;
    ok(http::json(
        &RoundView::from_outcome(&m, &outcome, None),
        200,
    ))
}
