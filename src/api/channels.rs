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
use edgeprobe_core::monitor::{Channel, ChannelKind, PreviousSecret};
use edgeprobe_web::problem::{ApiError, FieldError};
use edgeprobe_web::validate::{
    apply_channel_patch, etag, if_match_allows, parse_page_query, parse_rotation_query,
    validate_new_channel, wants_generated_secret, webhook_secret_from, Cursor,
};
use edgeprobe_web::views::{ChannelCreated, ChannelList, ChannelView, ChannelWithSecret};

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

/// A fresh Standard Webhooks secret, or 500 (logged) when the runtime has no CSPRNG.
fn generated_secret() -> Result<String, ApiError> {
    env::random_bytes32()
        .map(|b| webhook_secret_from(&b))
        .ok_or_else(|| ApiError::Internal {
            log_detail: "crypto.getRandomValues is not available".into(),
        })
}

/// `POST /api/v1/channels`. A webhook without a `secret` gets one generated here, returned in
/// this answer only (`ChannelWithSecret`); with one given, the answer is the plain channel.
pub async fn create(mut ctx: Ctx) -> ApiResult {
    let mut body: Value = http::read_json(&mut ctx.req).await?;
    let generate = wants_generated_secret(&body);
    if generate {
        body["secret"] = Value::String(generated_secret()?);
    }
    let c = validate_new_channel(&body, env::new_id("ch"), &ctx.config.validation(ctx.now))?;
    store::channels::insert(&ctx.db()?, &c)
        .await
        .map_err(http::unavailable("channels insert"))?;
    let view = if generate {
        ChannelCreated::WithGeneratedSecret(ChannelWithSecret::new(&c))
    } else {
        ChannelCreated::Channel(ChannelView::from(&c))
    };
    let resp = http::json(&view, 201);
    let resp = with_etag(ok(resp)?, 1)?;
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

/// `POST /api/v1/channels/{id}/rotate-secret[?grace_seconds=]`: a webhook channel gets a new
/// generated secret; the old one keeps signing (a second signature in `webhook-signature`)
/// for the grace period (default a day), so receivers can switch without losing alerts. The
/// new secret is in this answer only. Other kinds have no signing secret to rotate (422).
pub async fn rotate_secret(ctx: Ctx) -> ApiResult {
    let grace = parse_rotation_query(&ctx.query())?;
    let db = ctx.db()?;
    for _ in 0..MAX_WRITE_ATTEMPTS {
        let (mut c, version) = load(&ctx).await?;
        if c.kind != ChannelKind::Webhook {
            return Err(ApiError::Validation(vec![FieldError::new(
                "/kind",
                "only webhook channels have a signing secret to rotate",
            )]));
        }
        c.previous_secret = c.secret.take().map(|secret| PreviousSecret {
            secret,
            valid_until: ctx.now + grace,
        });
        c.secret = Some(generated_secret()?);
        c.updated_at = ctx.now;
        match store::channels::update(&db, &c, version)
            .await
            .map_err(http::unavailable("channels update"))?
        {
            Write::Written { version } => {
                return with_etag(ok(http::json(&ChannelWithSecret::new(&c), 200))?, version)
            }
            Write::NotApplied | Write::SlugTaken => continue,
        }
    }
    Err(ApiError::Conflict {
        detail: format!(
            "the channel changed {MAX_WRITE_ATTEMPTS} times while its secret was rotated; retry"
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
