//! Channel handlers: CRUD of alert destinations.
//!
//! A channel's `url` and `secret` are write-only: every response body is an
//! `edgeprobe_web::views::ChannelView` (built from `Channel::redacted`), and nothing here logs a
//! channel or a request body, so neither can leak through the API or the logs.
//!
//! PATCH is a versioned read-modify-write with optional `If-Match`, as for monitors
//! (`monitors.rs`). DELETE refuses (409 `channel-in-use`, listing the monitors) while any
//! monitor still lists the channel: detaching silently would stop alerts nobody chose to stop,
//! and a dangling id would make those monitors' PATCHes fail.

use serde_json::Value;

use super::{if_match, ok, with_etag, ApiResult, Ctx, MAX_WRITE_ATTEMPTS};
use crate::store::channels::Delete;
use crate::store::Write;
use crate::{env, http, store};
use edgeprobe_core::monitor::Channel;
use edgeprobe_web::problem::ApiError;
use edgeprobe_web::validate::{
    apply_channel_patch, etag, if_match_allows, parse_page_query, validate_new_channel, Cursor,
};
use edgeprobe_web::views::{ChannelList, ChannelView};

fn not_found(id: &str) -> ApiError {
    ApiError::NotFound {
        kind: "channel",
        id: id.to_string(),
    }
}

async fn load(ctx: &Ctx) -> Result<(Channel, i64), ApiError> {
    let id = ctx.param("id");
    store::channels::get_versioned(&ctx.db()?, &id)
        .await
        .map_err(http::unavailable("channels get"))?
        .ok_or_else(|| not_found(&id))
}

pub async fn list(ctx: Ctx) -> ApiResult {
    let q = parse_page_query(&ctx.query())?;
    let after = q.cursor.as_ref().map(|c| (c.sort_key, c.id.as_str()));
    let mut rows = store::channels::list_page(&ctx.db()?, after, q.limit + 1)
        .await
        .map_err(http::unavailable("channels list"))?;
    let more = rows.len() > q.limit as usize;
    rows.truncate(q.limit as usize);
    let next = more
        .then(|| {
            rows.last().map(|c| Cursor {
                sort_key: c.created_at,
                id: c.id.clone(),
            })
        })
        .flatten();
    ok(http::json(
        &ChannelList::new(rows.iter().map(ChannelView::from).collect(), next.as_ref()),
        200,
    ))
}

pub async fn create(mut ctx: Ctx) -> ApiResult {
    let body: Value = http::read_json(&mut ctx.req).await?;
    let c = validate_new_channel(&body, env::new_id("ch"), &ctx.config.validation(ctx.now))?;
    store::channels::insert(&ctx.db()?, &c)
        .await
        .map_err(http::unavailable("channels insert"))?;
    let resp = with_etag(ok(http::json(&ChannelView::from(&c), 201))?, 1)?;
    let location = format!("/api/v1/channels/{}", c.id);
    ok(resp.headers().set("location", &location).map(|_| resp))
}

pub async fn get(ctx: Ctx) -> ApiResult {
    let (c, version) = load(&ctx).await?;
    with_etag(ok(http::json(&ChannelView::from(&c), 200))?, version)
}

pub async fn update(mut ctx: Ctx) -> ApiResult {
    let patch: Value = http::read_json(&mut ctx.req).await?;
    let condition = if_match(&ctx);
    let db = ctx.db()?;
    for _ in 0..MAX_WRITE_ATTEMPTS {
        let (current, version) = load(&ctx).await?;
        if !if_match_allows(condition.as_deref(), &etag(version)) {
            return Err(ApiError::PreconditionFailed {
                detail: format!(
                    "If-Match does not match the channel's current ETag {}",
                    etag(version)
                ),
            });
        }
        let c = apply_channel_patch(&current, &patch, &ctx.config.validation(ctx.now))?;
        match store::channels::update(&db, &c, version)
            .await
            .map_err(http::unavailable("channels update"))?
        {
            Write::Written { version } => {
                return with_etag(ok(http::json(&ChannelView::from(&c), 200))?, version)
            }
            // Another writer got in between (or the channel is gone): read again and re-merge.
            Write::NotApplied | Write::SlugTaken => continue,
        }
    }
    Err(ApiError::Conflict {
        detail: format!(
            "the channel changed {MAX_WRITE_ATTEMPTS} times while this update was applied; retry"
        ),
    })
}

pub async fn delete(ctx: Ctx) -> ApiResult {
    let id = ctx.param("id");
    let db = ctx.db()?;
    // "In use" by nobody means the last monitor let go between the DELETE and the listing:
    // try again (bounded).
    for _ in 0..3 {
        match store::channels::delete(&db, &id)
            .await
            .map_err(http::unavailable("channels delete"))?
        {
            Delete::Deleted => return ok(http::no_content()),
            Delete::NotFound => return Err(not_found(&id)),
            Delete::InUse(monitors) if !monitors.is_empty() => {
                return Err(ApiError::ChannelInUse {
                    channel_id: id,
                    monitors,
                });
            }
            Delete::InUse(_) => continue,
        }
    }
    Err(ApiError::Conflict {
        detail: "the channel's users kept changing while it was deleted; retry".into(),
    })
}
