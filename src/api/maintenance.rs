//! Maintenance windows as their own resource: `GET/POST /api/v1/monitors/{id}/maintenance`,
//! `DELETE /api/v1/monitors/{id}/maintenance/{window_id}`.
//!
//! A window is still a member of the monitor's configuration (`maintenance`, which the monitor
//! PATCH keeps setting as a whole): these handlers are a read-modify-write of that list with
//! the same optimistic versioning as the PATCH (`store::monitors::update`, re-read and
//! re-applied on a concurrent write, at most [`MAX_WRITE_ATTEMPTS`] times), followed by the same
//! coordinator sync. So the scheduler and alerting honour a window created here exactly as one
//! set through the PATCH. A window's id is derived from its content
//! (`web::validate::window_id`); the public documents are republished at once so the page says
//! "Under maintenance" without waiting for the cron.

use serde_json::Value;

use super::monitors::{load, load_versioned, sync};
use super::{ok, with_etag, ApiResult, Ctx, MAX_WRITE_ATTEMPTS};
use crate::http;
use crate::store::{self, Write};
use edgeprobe_core::monitor::{MaintenanceWindow, Monitor};
use edgeprobe_web::problem::ApiError;
use edgeprobe_web::validate::limits::MAINTENANCE_MAX;
use edgeprobe_web::validate::{validate_new_window, window_id};
use edgeprobe_web::views::{MaintenanceWindowItem, MaintenanceWindowList};

fn sorted(m: &Monitor) -> Vec<&MaintenanceWindow> {
    let mut w: Vec<&MaintenanceWindow> = m.maintenance.iter().collect();
    w.sort_by_key(|w| (w.starts_at, w.ends_at));
    w
}

/// `GET /api/v1/monitors/{id}/maintenance`: the monitor's windows, soonest first.
pub async fn list(ctx: Ctx) -> ApiResult {
    let m = load(&ctx).await?;
    let items = sorted(&m)
        .into_iter()
        .map(|w| MaintenanceWindowItem::new(&m.id, w, ctx.now))
        .collect();
    ok(http::json(&MaintenanceWindowList { items }, 200))
}

/// What a write of the window list does to the loaded monitor.
enum Change {
    Add(MaintenanceWindow),
    Remove(String),
}

/// Applies `change` with the PATCH's optimistic versioning; the monitor as written, its
/// version, and whether anything changed (adding a window it has already is no change); or
/// 404 / 409.
async fn write(ctx: &Ctx, change: &Change) -> Result<(Monitor, i64, bool), ApiError> {
    let db = ctx.db()?;
    for _ in 0..MAX_WRITE_ATTEMPTS {
        let (current, version) = load_versioned(ctx).await?;
        let mut m = current.clone();
        match change {
            Change::Add(w) => {
                if m.maintenance.iter().any(|x| window_id(x) == window_id(w)) {
                    return Ok((m, version, false));
                }
                if m.maintenance.len() >= MAINTENANCE_MAX {
                    return Err(ApiError::Conflict {
                        detail: format!(
                            "the monitor has {MAINTENANCE_MAX} maintenance windows, the most it \
                             may have; delete one first"
                        ),
                    });
                }
                m.maintenance.push(w.clone());
            }
            Change::Remove(id) => {
                let before = m.maintenance.len();
                m.maintenance.retain(|x| window_id(x) != *id);
                if m.maintenance.len() == before {
                    return Err(ApiError::NotFound {
                        kind: "maintenance window",
                        id: id.clone(),
                    });
                }
            }
        }
        m.updated_at = ctx.now;
        match store::monitors::update(&db, &m, version, &[])
            .await
            .map_err(http::unavailable("monitors update"))?
        {
            Write::Written { version } => {
                sync(ctx, &m, version).await?;
                super::incidents::republish(ctx).await;
                return Ok((m, version, true));
            }
            Write::SlugTaken | Write::NotApplied => continue,
        }
    }
    Err(ApiError::Conflict {
        detail: format!(
            "the monitor changed {MAX_WRITE_ATTEMPTS} times while the window was written; retry"
        ),
    })
}

/// `POST /api/v1/monitors/{id}/maintenance`: adds a window (201 with it, `Location`, and the
/// monitor's new `ETag`). Posting a window the monitor already has answers it again (200).
pub async fn create(mut ctx: Ctx) -> ApiResult {
    let body: Value = http::read_json(&mut ctx.req).await?;
    let checked = validate_new_window(&body);
    // 404 for an unknown monitor before 422 for its body.
    load(&ctx).await?;
    let w = checked.map_err(ApiError::Validation)?;
    let (m, version, added) = write(&ctx, &Change::Add(w.clone())).await?;
    let item = MaintenanceWindowItem::new(&m.id, &w, ctx.now);
    let resp = with_etag(
        ok(http::json(&item, if added { 201 } else { 200 }))?,
        version,
    )?;
    let location = format!("/api/v1/monitors/{}/maintenance/{}", m.id, item.id);
    ok(resp.headers().set("location", &location).map(|_| resp))
}

/// `DELETE /api/v1/monitors/{id}/maintenance/{window_id}`: 204, or 404 for an unknown window.
pub async fn delete(ctx: Ctx) -> ApiResult {
    let id = ctx.param("window_id");
    write(&ctx, &Change::Remove(id)).await?;
    ok(http::no_content())
}
