//! Delivery handlers: a channel's test send, the delivery log, and re-driving a dead delivery.
//!
//! Sending is never done here: handlers write the outbox and kick the dispatcher, which sends
//! on its own alarm. Views show status codes and error texts only, never a channel's URL or
//! secret.

use super::{internal, ApiResult, Ctx};
use crate::store::channels;
use crate::store::deliveries::{self, Delivery};
use crate::{dispatcher, http};
use edgeprobe_core::alerting::alert::channel_test_alert;
use edgeprobe_web::problem::ApiError;
use edgeprobe_web::validate::{parse_page_query, Cursor};
use edgeprobe_web::views::delivery::DeliveryRow;
use edgeprobe_web::views::{Accepted, AttemptView, DeliveryDetail, DeliveryList, DeliveryView};

/// 202 `{"accepted": true, "id": ...}` with a Location to the delivery.
fn accepted(id: &str) -> ApiResult {
    let resp = http::json(&Accepted::new(id), 202).map_err(internal)?;
    resp.headers()
        .set("location", &format!("/api/v1/deliveries/{id}"))
        .map_err(internal)?;
    Ok(resp)
}

/// The dispatcher sends on its own alarm; if the kick fails, the cron's kick (every minute)
/// picks the row up, so the request still succeeds.
async fn kick(ctx: &Ctx) {
    if let Err(e) = dispatcher::kick(&ctx.env).await {
        worker::console_error!("dispatcher kick: {e}");
    }
}

/// `POST /api/v1/channels/{id}/test`: queues a labelled test alert for this channel only.
pub async fn test_channel(ctx: Ctx) -> ApiResult {
    let db = ctx.db()?;
    let id = ctx.param("id");
    let channel = channels::get(&db, &id)
        .await
        .map_err(http::unavailable("reading channel"))?
        .ok_or(ApiError::NotFound {
            kind: "channel",
            id: id.clone(),
        })?;
    let mut links = ctx.config.links();
    links.base_url = ctx.base_url();
    let alert = channel_test_alert(&channel.id, &channel.name, &links, ctx.now);
    let delivery_id = crate::env::new_id("dlv");
    deliveries::insert_statement(
        &db,
        &delivery_id,
        &alert,
        &alert.monitor_id,
        &channel.id,
        ctx.now,
    )
    .map_err(internal)?
    .run()
    .await
    .map_err(http::unavailable("queueing test delivery"))?;
    kick(&ctx).await;
    accepted(&delivery_id)
}

/// `GET /api/v1/channels/{id}/deliveries`: newest first, paged by (created_at, id).
pub async fn list_for_channel(ctx: Ctx) -> ApiResult {
    let page = parse_page_query(&ctx.query())?;
    let db = ctx.db()?;
    let id = ctx.param("id");
    if channels::get(&db, &id)
        .await
        .map_err(http::unavailable("reading channel"))?
        .is_none()
    {
        // Deliveries outlive a deleted channel; show them as long as any exist.
        let any = deliveries::list_for_channel(&db, &id, None, 1)
            .await
            .map_err(http::unavailable("listing deliveries"))?;
        if any.is_empty() {
            return Err(ApiError::NotFound {
                kind: "channel",
                id,
            });
        }
    }
    let after = page.cursor.as_ref().map(|c| (c.sort_key, c.id.as_str()));
    // One extra row tells whether there is a next page.
    let mut rows = deliveries::list_for_channel(&db, &id, after, page.limit + 1)
        .await
        .map_err(http::unavailable("listing deliveries"))?;
    let more = rows.len() > page.limit as usize;
    rows.truncate(page.limit as usize);
    let next = if more {
        rows.last().map(|d| Cursor {
            sort_key: d.created_at,
            id: d.id.clone(),
        })
    } else {
        None
    };
    let items = rows.iter().map(summary_view).collect();
    http::json(&DeliveryList::new(items, next.as_ref()), 200).map_err(internal)
}

/// `GET /api/v1/deliveries/{id}`: the delivery, its alert and every attempt.
pub async fn get(ctx: Ctx) -> ApiResult {
    let db = ctx.db()?;
    let id = ctx.param("id");
    let d = deliveries::get(&db, &id)
        .await
        .map_err(http::unavailable("reading delivery"))?
        .ok_or(ApiError::NotFound {
            kind: "delivery",
            id: id.clone(),
        })?;
    let attempts = deliveries::attempts(&db, &id)
        .await
        .map_err(http::unavailable("reading attempts"))?;
    let detail = DeliveryDetail {
        delivery: summary_view(&d),
        attempt_log: attempts
            .iter()
            .map(|a| {
                AttemptView::new(
                    a.attempt,
                    a.at,
                    a.status_code,
                    a.error.as_deref(),
                    a.duration_ms,
                )
            })
            .collect(),
        alert: (&d.alert).into(),
    };
    http::json(&detail, 200).map_err(internal)
}

/// `POST /api/v1/deliveries/{id}/redrive`: a dead delivery goes back to pending, due now, with
/// the same webhook-id and its attempt history; 409 unless it is dead.
pub async fn redrive(ctx: Ctx) -> ApiResult {
    let db = ctx.db()?;
    let id = ctx.param("id");
    let d = deliveries::get(&db, &id)
        .await
        .map_err(http::unavailable("reading delivery"))?
        .ok_or(ApiError::NotFound {
            kind: "delivery",
            id: id.clone(),
        })?;
    if d.status != edgeprobe_core::alerting::retry::DeliveryStatus::Dead {
        return Err(ApiError::Conflict {
            detail: format!(
                "delivery {id} is {}; only dead deliveries can be re-driven",
                d.status
            ),
        });
    }
    if !deliveries::redrive(&db, &id, ctx.now)
        .await
        .map_err(http::unavailable("re-driving delivery"))?
    {
        // It changed between the read and the update (another re-drive won).
        return Err(ApiError::Conflict {
            detail: format!("delivery {id} is no longer dead"),
        });
    }
    kick(&ctx).await;
    accepted(&id)
}

fn summary_view(d: &Delivery) -> DeliveryView {
    DeliveryView::new(&DeliveryRow {
        id: &d.id,
        webhook_id: &d.alert_id,
        channel_id: &d.channel_id,
        monitor_id: &d.monitor_id,
        kind: d.kind.as_str(),
        status: d.status.as_str(),
        attempts: d.attempts,
        created_at: d.created_at,
        // Only a pending delivery has a next attempt.
        next_attempt_at: (d.status == edgeprobe_core::alerting::retry::DeliveryStatus::Pending)
            .then_some(d.next_attempt_at),
        delivered_at: d.delivered_at,
        last_error: d.last_error.as_deref(),
    })
}
