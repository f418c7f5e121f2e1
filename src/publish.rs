//! Publishing the public documents (issue 12 item 5): the cron gathers the facts of every
//! public monitor with a fixed number of batched reads, the core builds the documents
//! (`edgeprobe_web::status_page::document`) and decides which changed, and this writes only
//! those to KV. The public routes then read one KV document per request.
//!
//! Reads per rebuild, whatever the number of monitors: D1 — the lease, the public monitors,
//! hourly rollups (24 h), daily rollups (90 days), the unrolled samples, recent incidents,
//! recent manual incidents, the operator updates of all of those (migration 0006), the written
//! hashes, the certificates (from the alert states), and one batch recording the writes, then
//! the lease release (12); KV — one
//! read of each public monitor's current status (KV has no batched read in this runtime), and
//! one write per changed document.

use std::collections::BTreeMap;

use worker::{Env, Result};

use crate::store::{self, communication, kv, pages};
use edgeprobe_core::rollup::Granularity;
use edgeprobe_core::time::{UnixMillis, DAY, HOUR};
use edgeprobe_web::status_page::document::{
    build_documents, monitor_key, plan_writes, Facts, MonitorFacts, BAR_DAYS, INDEX_KEY,
};

/// Incidents kept per monitor document (the page lists this many).
const PAGE_INCIDENTS: u32 = 10;
/// Manual incidents read per rebuild (the open ones and the recently closed, newest first).
const MANUAL_INCIDENTS: u32 = 50;
/// How long a closed manual incident stays on the pages and feeds.
const MANUAL_SHOWN_FOR: i64 = 30 * DAY;

/// What a rebuild did, for the log.
#[derive(Debug, Default)]
pub struct Report {
    pub written: usize,
    pub unchanged: usize,
    pub deleted: usize,
    /// Another rebuild held the lease: nothing was done.
    pub skipped: bool,
}

pub async fn rebuild(env: &Env, now: UnixMillis) -> Result<Report> {
    let db = store::db(env)?;
    if !pages::take_lease(&db, now).await? {
        return Ok(Report {
            skipped: true,
            ..Report::default()
        });
    }
    let result = rebuild_locked(env, &db, now).await;
    // The lease also expires by itself; a failed release only delays the next rebuild.
    if let Err(e) = pages::release_lease(&db, now).await {
        worker::console_error!("pages lease release: {e}");
    }
    result
}

async fn rebuild_locked(env: &Env, db: &worker::D1Database, now: UnixMillis) -> Result<Report> {
    let monitors = store::monitors::list_public(db).await?;
    let ids: Vec<&str> = monitors.iter().map(|m| m.id.as_str()).collect();
    let hour_now = Granularity::Hour.bucket_start(now);
    let today = Granularity::Day.bucket_start(now);
    let last_rolled = store::rollups::last_rolled_hour(db).await?;
    // Hour rows from the first hour not rolled yet (at most a day back).
    let unrolled_from = last_rolled
        .map_or(hour_now, |h| h + HOUR)
        .clamp(hour_now - DAY, hour_now);
    let (hourly, daily, recent, incidents, written, manual, mut certs) = futures::try_join!(
        pages::edge_rollups(db, &ids, Granularity::Hour, (hour_now - DAY).min(today)),
        pages::edge_rollups(db, &ids, Granularity::Day, today - BAR_DAYS * DAY),
        store::rollups::unrolled_hours(db, unrolled_from, now + 1),
        pages::recent_incidents(db, &ids, PAGE_INCIDENTS),
        pages::written(db),
        communication::recent_manual(db, now - MANUAL_SHOWN_FOR, MANUAL_INCIDENTS),
        store::certificates::for_monitors(db, &ids),
    )?;
    // The operator updates of every incident the documents show: one query.
    let incident_ids: Vec<&str> = incidents
        .iter()
        .map(|(_, i)| i.id.as_str())
        .chain(manual.iter().map(|m| m.id.as_str()))
        .collect();
    let updates = communication::updates_of(db, &incident_ids).await?;
    let statuses =
        futures::future::try_join_all(monitors.iter().map(|m| kv::get_status(env, &m.id))).await?;
    let mut by_monitor: BTreeMap<String, Vec<_>> = BTreeMap::new();
    for (id, incident) in incidents {
        by_monitor.entry(id).or_default().push(incident);
    }
    let facts = Facts {
        monitors: monitors
            .into_iter()
            .zip(statuses)
            .map(|(monitor, status)| MonitorFacts {
                incidents: by_monitor.remove(&monitor.id).unwrap_or_default(),
                certificates: certs.remove(&monitor.id).unwrap_or_default(),
                monitor,
                status,
            })
            .collect(),
        hourly,
        daily,
        recent,
        manual,
        updates,
    };
    let docs = build_documents(&facts, now);
    let mut texts = vec![(INDEX_KEY.to_string(), store::to_json(&docs.index)?)];
    for (slug, doc) in &docs.monitors {
        texts.push((monitor_key(slug), store::to_json(doc)?));
    }
    let plan = plan_writes(&written, &texts, now);
    let text_of: BTreeMap<&str, &str> = texts
        .iter()
        .map(|(k, t)| (k.as_str(), t.as_str()))
        .collect();
    let puts: Vec<(&str, &str, &str)> = plan
        .put
        .iter()
        .map(|(key, hash)| {
            let text = text_of.get(key.as_str()).copied().unwrap_or("null");
            (key.as_str(), hash.as_str(), text)
        })
        .collect();
    // Documents and their hashes are written together, in one D1 batch.
    pages::record(db, &puts, &plan.delete, now).await?;
    Ok(Report {
        written: plan.put.len(),
        unchanged: plan.unchanged,
        deleted: plan.delete.len(),
        skipped: false,
    })
}
