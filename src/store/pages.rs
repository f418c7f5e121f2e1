//! Storage of the precomputed public documents (core `status_page::document`), and the
//! batched reads that build them: one query per kind of fact for *all* public monitors,
//! never one per monitor.
//!
//! Documents live in D1's `page_documents` (keys `page:index`, `page:monitor:{slug}`), each
//! with its content hash and last write, so the cron decides what changed with one query and
//! writes a changed document with one row (not KV: the free plan's 1,000 KV writes a day are
//! kept for the monitors' status documents; a public read is one D1 query either way).
//! A lease row in `meta` keeps two rebuilds from interleaving their writes (the cron and a
//! test's `/__scheduled` may overlap).
//!
//! [`Reader`] is what the public routes read through: it counts its backend calls, which the
//! routes report (see `api::pages`), so a test can assert the constant cost.

use std::cell::Cell;
use std::collections::BTreeMap;

use serde::Deserialize;
use worker::{D1Database, Env, Result};

use super::{from_json, n, s, stmt, to_json, JsonRow};
use edgeprobe_core::diagnosis::PathKind;
use edgeprobe_core::rollup::{Granularity, Rollup};
use edgeprobe_core::time::UnixMillis;
use edgeprobe_web::status_page::document::{
    monitor_key, IndexDocument, MonitorDocument, Written, INDEX_KEY,
};
use edgeprobe_web::status_page::PageIncident;

/// Edge-path rollups of one granularity of the given monitors with `bucket_start >= from`:
/// one query for all of them.
pub async fn edge_rollups(
    db: &D1Database,
    monitor_ids: &[&str],
    granularity: Granularity,
    from: UnixMillis,
) -> Result<Vec<Rollup>> {
    let rows = stmt(
        db,
        "SELECT data FROM rollups WHERE granularity = ?2 AND bucket_start >= ?3 AND path = ?4 \
         AND monitor_id IN (SELECT value FROM json_each(?1))",
        &[
            s(&to_json(&monitor_ids)?),
            s(granularity.as_str()),
            n(from),
            s(PathKind::Edge.as_str()),
        ],
    )?
    .all()
    .await?
    .results::<JsonRow>()?;
    rows.iter().map(|r| from_json(&r.data)).collect()
}

/// The newest `per_monitor` incidents of each given monitor, newest first: one query.
pub async fn recent_incidents(
    db: &D1Database,
    monitor_ids: &[&str],
    per_monitor: u32,
) -> Result<Vec<(String, PageIncident)>> {
    #[derive(Deserialize)]
    struct Row {
        monitor_id: String,
        closed_at: Option<f64>,
        data: String,
    }
    let rows = stmt(
        db,
        "SELECT monitor_id, closed_at, data FROM (SELECT monitor_id, closed_at, data, opened_at, id, \
         ROW_NUMBER() OVER (PARTITION BY monitor_id ORDER BY opened_at DESC, id DESC) AS rn \
         FROM incidents WHERE monitor_id IN (SELECT value FROM json_each(?1))) \
         WHERE rn <= ?2 ORDER BY monitor_id, opened_at DESC, id DESC",
        &[s(&to_json(&monitor_ids)?), n(i64::from(per_monitor))],
    )?
    .all()
    .await?
    .results::<Row>()?;
    rows.into_iter()
        .map(|r| {
            let i: edgeprobe_core::alerting::Incident = from_json(&r.data)?;
            Ok((
                r.monitor_id,
                PageIncident {
                    started_at: i.started_at,
                    ended_at: r.closed_at.map(|v| v as i64),
                    verdict: i.verdict,
                    summary: i.summary,
                    regions: i.regions,
                    id: i.id,
                    updates: Vec::new(),
                    manual: None,
                },
            ))
        })
        .collect()
}

/// What was written of each document: one query.
pub async fn written(db: &D1Database) -> Result<BTreeMap<String, Written>> {
    #[derive(Deserialize)]
    struct Row {
        key: String,
        hash: String,
        written_at: f64,
    }
    let rows = db
        .prepare("SELECT key, hash, written_at FROM page_documents")
        .all()
        .await?
        .results::<Row>()?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let w = Written {
                hash: r.hash,
                written_at: r.written_at as i64,
            };
            (r.key, w)
        })
        .collect())
}

/// Writes changed documents (key, hash, text) and deletes gone ones: one batch.
pub async fn record(
    db: &D1Database,
    put: &[(&str, &str, &str)],
    deleted: &[String],
    now: UnixMillis,
) -> Result<()> {
    let mut batch = Vec::new();
    for (key, hash, text) in put {
        batch.push(stmt(
            db,
            "INSERT INTO page_documents (key, hash, written_at, writes, text) VALUES (?1, ?2, ?3, 1, ?4) \
             ON CONFLICT (key) DO UPDATE SET hash = excluded.hash, written_at = excluded.written_at, \
             writes = page_documents.writes + 1, text = excluded.text",
            &[s(key), s(hash), n(now), s(text)],
        )?);
    }
    for key in deleted {
        batch.push(stmt(
            db,
            "DELETE FROM page_documents WHERE key = ?1",
            &[s(key)],
        )?);
    }
    if !batch.is_empty() {
        db.batch(batch).await?;
    }
    Ok(())
}

/// How long a rebuild may hold the lease before another may take it over.
const LEASE_MS: i64 = 60_000;

/// Takes the rebuild lease; `false` when another rebuild holds it.
pub async fn take_lease(db: &D1Database, now: UnixMillis) -> Result<bool> {
    let run = stmt(
        db,
        "INSERT INTO meta (key, value) VALUES ('pages_lease', ?1) ON CONFLICT (key) DO UPDATE \
         SET value = excluded.value WHERE CAST(meta.value AS INTEGER) < ?2",
        &[s(&now.to_string()), n(now - LEASE_MS)],
    )?
    .run()
    .await?;
    Ok(run.meta()?.and_then(|m| m.changes).unwrap_or(0) > 0)
}

pub async fn release_lease(db: &D1Database, now: UnixMillis) -> Result<()> {
    stmt(
        db,
        "UPDATE meta SET value = '0' WHERE key = 'pages_lease' AND value = ?1",
        &[s(&now.to_string())],
    )?
    .run()
    .await?;
    Ok(())
}

/// The public routes' only access to storage: one D1 query per document, counted.
pub struct Reader<'a> {
    env: &'a Env,
    calls: Cell<u32>,
}

impl<'a> Reader<'a> {
    pub fn new(env: &'a Env) -> Reader<'a> {
        Reader {
            env,
            calls: Cell::new(0),
        }
    }

    /// Backend calls (KV and D1) made so far.
    pub fn calls(&self) -> u32 {
        self.calls.get()
    }

    async fn get<T: serde::de::DeserializeOwned>(&self, key: &str) -> Result<Option<T>> {
        self.calls.set(self.calls.get() + 1);
        #[derive(Deserialize)]
        struct Row {
            text: Option<String>,
        }
        let row: Option<Row> = stmt(
            &super::db(self.env)?,
            "SELECT text FROM page_documents WHERE key = ?1",
            &[s(key)],
        )?
        .first(None)
        .await?;
        match row.and_then(|r| r.text) {
            Some(text) => Ok(Some(from_json(&text)?)),
            None => Ok(None),
        }
    }

    pub async fn index(&self) -> Result<Option<IndexDocument>> {
        self.get(INDEX_KEY).await
    }

    pub async fn monitor(&self, slug: &str) -> Result<Option<MonitorDocument>> {
        self.get(&monitor_key(slug)).await
    }
}
