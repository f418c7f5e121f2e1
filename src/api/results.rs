//! Reading handlers: a monitor's current status, its rounds, incidents and rollups.
//!
//! Queries are parsed by `core::validate` (every bad parameter reported at once, under
//! `/query/<name>`); SQL lives in `store::history`. Every endpoint answers 404 for an unknown
//! monitor, so an empty list always means "no data yet", never "no such monitor".
//!
//! Times in these bodies are RFC 3339: the views (`edgeprobe_web::views::history`) convert the
//! stored Unix milliseconds when they serialize.

use super::monitors::load;
use super::{ok, ApiResult, Ctx};
use crate::store::{certificates, history, kv};
use crate::{env, http};
use edgeprobe_core::time::DAY;
use edgeprobe_web::validate::{
    parse_page_query, parse_results_query, parse_rollup_query, Cursor, Granularity,
};
use edgeprobe_web::views::{IncidentList, RollupList, RollupView, RoundList, StatusView};

/// `GET /api/v1/monitors/{id}/status`: the KV status document, with the latest certificate
/// per path and region and its days left (`store::certificates`). A monitor that has never been
/// probed has none yet; it then answers 200 with `{"monitor_id", "slug", "name", "public",
/// "health": "unknown", "never_probed": true, "updated_at": null}` rather than a 404, since
/// the monitor exists.
pub async fn status(ctx: Ctx) -> ApiResult {
    let m = load(&ctx).await?;
    let doc = kv::get_status(&ctx.env, &m.id)
        .await
        .map_err(http::unavailable("status get"))?;
    let view = match doc {
        Some(s) => {
            let certs = certificates::of_monitor(&ctx.db()?, &m.id)
                .await
                .map_err(http::unavailable("certificates get"))?;
            StatusView::probed(s).with_certificates(&certs, env::now())
        }
        None => StatusView::never_probed(&m),
    };
    ok(http::json(&view, 200))
}

/// `GET /api/v1/monitors/{id}/results`: rounds in `[from, to)`, newest first, each with its
/// observations; `region` / `path` keep only rounds (and observations) of that region / path.
pub async fn results(ctx: Ctx) -> ApiResult {
    let q = parse_results_query(&ctx.query())?;
    let m = load(&ctx).await?;
    let filter = history::RoundFilter {
        from: q.from,
        to: q.to,
        region: q.region.as_deref(),
        path: q.path,
    };
    let before = q.page.cursor.as_ref().map(|c| (c.sort_key, c.id.as_str()));
    let mut rows = history::rounds_page(&ctx.db()?, &m.id, &filter, before, q.page.limit + 1)
        .await
        .map_err(http::unavailable("rounds list"))?;
    let more = rows.len() > q.page.limit as usize;
    rows.truncate(q.page.limit as usize);
    let next = more
        .then(|| {
            rows.last().map(|r| Cursor {
                sort_key: r.started_at.0,
                id: r.id.clone(),
            })
        })
        .flatten();
    ok(http::json(&RoundList::new(rows, next.as_ref()), 200))
}

/// `GET /api/v1/monitors/{id}/incidents`: newest first, its automatic incidents (the core's
/// `Incident` with its timeline, plus `opened_at` and `closed_at`) and the manual incidents
/// naming it, each with its operator updates.
pub async fn incidents(ctx: Ctx) -> ApiResult {
    let q = parse_page_query(&ctx.query())?;
    let m = load(&ctx).await?;
    let before = q.cursor.as_ref().map(|c| (c.sort_key, c.id.as_str()));
    let mut rows = history::incidents_page(&ctx.db()?, &m.id, before, q.limit + 1)
        .await
        .map_err(http::unavailable("incidents list"))?;
    let more = rows.len() > q.limit as usize;
    rows.truncate(q.limit as usize);
    let next = more
        .then(|| {
            rows.last().map(|i| Cursor {
                sort_key: i.opened_at(),
                id: i.id().to_string(),
            })
        })
        .flatten();
    let items = super::incidents::views(&ctx, rows).await?;
    ok(http::json(&IncidentList::new(items, next.as_ref()), 200))
}

/// `GET /api/v1/monitors/{id}/rollups`: buckets in `[from, to)`, oldest first, each the core's
/// `Rollup` plus `uptime` (percent, null without checks), `p50_ms` and `p95_ms`. Without
/// `to` the range ends now; without `from` it starts 7 days (hourly) or 90 days (daily) before
/// `to`. At most `history::ROLLUP_ROWS_MAX` rows.
pub async fn rollups(ctx: Ctx) -> ApiResult {
    let q = parse_rollup_query(&ctx.query())?;
    let m = load(&ctx).await?;
    let granularity = q.granularity;
    let span = match granularity {
        Granularity::Hour => 7 * DAY,
        Granularity::Day => 90 * DAY,
    };
    let to = q.to.unwrap_or(ctx.now);
    let from = q.from.unwrap_or(to - span);
    let rows = history::rollups(
        &ctx.db()?,
        &m.id,
        granularity,
        from,
        to,
        q.region.as_deref(),
        q.path,
    )
    .await
    .map_err(http::unavailable("rollups list"))?;
    let items = rows.iter().map(RollupView::from).collect();
    ok(http::json(&RollupList { items }, 200))
}
