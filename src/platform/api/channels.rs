//! Channel handlers: CRUD of alert destinations.
//!
//! A channel's `url` and `secret` are write-only: every response body is built by
//! `core::validate::channel_view` (from `Channel::redacted`), and nothing here logs a
//! channel or a request body, so neither can leak through the API or the logs.

use serde_json::Value;

use super::{ok, ApiResult, Ctx};
use crate::core::monitor::Channel;
use crate::core::problem::ApiError;
use crate::core::validate::{apply_channel_patch, channel_view, list_view, parse_page_query, validate_new_channel, Cursor};
use crate::platform::{env, http, store};

fn not_found(id: &str) -> ApiError {
    ApiError::NotFound {
        kind: "channel",
        id: id.to_string(),
    }
}

async fn load(ctx: &Ctx) -> Result<Channel, ApiError> {
    let id = ctx.param("id");
    store::channels::get(&ctx.db()?, &id)
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
    ok(http::json(&list_view(rows.iter().map(channel_view).collect(), next.as_ref()), 200))
}

pub async fn create(mut ctx: Ctx) -> ApiResult {
    let body: Value = http::read_json(&mut ctx.req).await?;
    let c = validate_new_channel(&body, env::new_id("ch"), &ctx.config.validation(ctx.now))?;
    store::channels::insert(&ctx.db()?, &c)
        .await
        .map_err(http::unavailable("channels insert"))?;
    let resp = ok(http::json(&channel_view(&c), 201))?;
    let location = format!("/api/v1/channels/{}", c.id);
    ok(resp.headers().set("location", &location).map(|_| resp))
}

pub async fn get(ctx: Ctx) -> ApiResult {
    let c = load(&ctx).await?;
    ok(http::json(&channel_view(&c), 200))
}

pub async fn update(mut ctx: Ctx) -> ApiResult {
    let patch: Value = http::read_json(&mut ctx.req).await?;
    let current = load(&ctx).await?;
    let c = apply_channel_patch(&current, &patch, &ctx.config.validation(ctx.now))?;
    store::channels::update(&ctx.db()?, &c)
        .await
        .map_err(http::unavailable("channels update"))?;
    ok(http::json(&channel_view(&c), 200))
}

pub async fn delete(ctx: Ctx) -> ApiResult {
    let id = ctx.param("id");
    if !store::channels::delete(&ctx.db()?, &id)
        .await
        .map_err(http::unavailable("channels delete"))?
    {
        return Err(not_found(&id));
    }
    ok(http::no_content())
}
