//! The `hour_stats` table (one row per monitor and hour, updated in place by every round:
//! `core::record::HourStats`) and the batched reads the coordinator needs to rebuild what it
//! remembers about monitors after a restart (`core::record::Memory`).
//!
//! Every read here takes all of a tick's monitors at once (ids as one JSON array), so a tick
//! costs a constant number of queries whatever its size.

use std::collections::BTreeMap;

use serde::Deserialize;
use worker::{D1Database, D1PreparedStatement, Result};

use super::{from_json, n, s, stmt, to_json, JsonRow};
use edgeprobe_core::alerting::AlertState;
use edgeprobe_core::diagnose::LatencyBaseline;
use edgeprobe_core::record::HourStats;
use edgeprobe_core::rollup::{self, Granularity, Rollup};
use edgeprobe_core::time::UnixMillis;

/// Upserts a monitor's hour row; a write carrying an older `seq` than the stored row (two
/// rounds of one monitor recorded concurrently, finishing out of order) is not applied.
/// Guarded like every round write: nothing is written for a deleted monitor.
pub fn upsert_statement(
    db: &D1Database,
    monitor_id: &str,
    h: &HourStats,
) -> Result<D1PreparedStatement> {
    stmt(
        db,
        "INSERT INTO hour_stats (monitor_id, hour, seq, data) \
         SELECT ?1, ?2, ?3, ?4 WHERE EXISTS (SELECT 1 FROM monitors WHERE id = ?1) \
         ON CONFLICT (monitor_id, hour) DO UPDATE SET seq = excluded.seq, data = excluded.data \
         WHERE excluded.seq > hour_stats.seq",
        &[
            s(monitor_id),
            n(h.hour),
            n(i64::from(h.seq)),
            s(&to_json(h)?),
        ],
    )
}

#[derive(Deserialize)]
struct IdData {
    id: String,
    data: String,
}

/// What the coordinator reloads for monitors it has no memory of: their alert states and
/// their rows of `hour`. Two queries in one batch for any number of monitors.
pub async fn load(
    db: &D1Database,
    ids: &[&str],
    hour: UnixMillis,
) -> Result<(BTreeMap<String, AlertState>, BTreeMap<String, HourStats>)> {
    let ids_json = to_json(&ids)?;
    let results = db
        .batch(vec![
            stmt(
                db,
                "SELECT monitor_id AS id, state AS data FROM alert_state \
                 WHERE monitor_id IN (SELECT value FROM json_each(?1))",
                &[s(&ids_json)],
            )?,
            stmt(
                db,
                "SELECT monitor_id AS id, data FROM hour_stats \
                 WHERE hour = ?2 AND monitor_id IN (SELECT value FROM json_each(?1))",
                &[s(&ids_json), n(hour)],
            )?,
        ])
        .await?;
    let mut states = BTreeMap::new();
    let mut hours = BTreeMap::new();
    if let Some(r) = results.first() {
        for row in r.results::<IdData>()? {
            states.insert(row.id, from_json(&row.data)?);
        }
    }
    if let Some(r) = results.get(1) {
        for row in r.results::<IdData>()? {
            hours.insert(row.id, from_json(&row.data)?);
        }
    }
    Ok((states, hours))
}

/// Latency baselines of these monitors from their hourly rollups since `since` (one query).
pub async fn baselines(
    db: &D1Database,
    ids: &[&str],
    since: UnixMillis,
) -> Result<BTreeMap<String, Vec<LatencyBaseline>>> {
    let rows = stmt(
        db,
        "SELECT data FROM rollups WHERE granularity = ?3 AND bucket_start >= ?2 \
         AND monitor_id IN (SELECT value FROM json_each(?1))",
        &[s(&to_json(&ids)?), n(since), s(Granularity::Hour.as_str())],
    )?
    .all()
    .await?
    .results::<JsonRow>()?;
    let mut per: BTreeMap<String, Vec<Rollup>> = BTreeMap::new();
    for r in rows {
        let r: Rollup = from_json(&r.data)?;
        per.entry(r.monitor_id.clone()).or_default().push(r);
    }
    Ok(ids
        .iter()
        .map(|id| {
            let list = per.remove(*id).unwrap_or_default();
            let b = rollup::baselines(&list)
                .into_iter()
                .map(|(region, path, p50_ms, samples)| LatencyBaseline {
                    region,
                    path,
                    p50_ms,
                    samples,
                })
                .collect();
            (id.to_string(), b)
        })
        .collect())
}

/// Every hour row of `[from, to)` as hourly rollups (the cron rolls them into `rollups`).
pub async fn hourly_between(db: &D1Database, from: i64, to: i64) -> Result<Vec<Rollup>> {
    let query = stmt(
        db,
        "SELECT data FROM hour_stats WHERE hour >= ?1 AND hour < ?2",
        &[n(from), n(to)],
    )?;
    rollups_of(query).await
}

/// One monitor's hour rows in `[from, to)`, as hourly rollups (the partial hour the cron has
/// not rolled yet; readers add them to the `rollups` rows).
pub async fn for_monitor(
    db: &D1Database,
    monitor_id: &str,
    from: UnixMillis,
    to: UnixMillis,
) -> Result<Vec<Rollup>> {
    let query = stmt(
        db,
        "SELECT data FROM hour_stats WHERE monitor_id = ?1 AND hour >= ?2 AND hour < ?3 \
         AND hour > COALESCE((SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'last_rolled_hour'), -1)",
        &[s(monitor_id), n(from), n(to)],
    )?;
    rollups_of(query).await
}

/// The rollups of the hour rows a `SELECT data FROM hour_stats …` returns.
async fn rollups_of(query: D1PreparedStatement) -> Result<Vec<Rollup>> {
    let rows = query.all().await?.results::<JsonRow>()?;
    let mut out = Vec::new();
    for r in rows {
        let h: HourStats = from_json(&r.data)?;
        out.extend(h.rollups);
    }
    Ok(out)
}
/// Deletes hour rows before `before` (already rolled), at most `limit` (bounded per cron run).
pub async fn prune(db: &D1Database, before: UnixMillis, limit: u32) -> Result<()> {
    stmt(
        db,
        "DELETE FROM hour_stats WHERE (monitor_id, hour) IN \
         (SELECT monitor_id, hour FROM hour_stats WHERE hour < ?1 LIMIT ?2)",
        &[n(before), n(i64::from(limit))],
    )?
    .run()
    .await?;
    Ok(())
}
