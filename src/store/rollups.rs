//! Rollup storage: upserting rollup rows, the roller's progress marker, and retention deletes
//! (bounded per run).

use worker::{D1Database, Result};

use super::{from_json, n, s, stmt, to_json, JsonRow};
use edgeprobe_core::alerting::retry::DeliveryStatus;
use edgeprobe_core::rollup::{Granularity, Rollup};

pub async fn upsert(db: &D1Database, rollups: &[Rollup]) -> Result<()> {
    if rollups.is_empty() {
        return Ok(());
    }
    let mut batch = Vec::new();
    for r in rollups {
        batch.push(stmt(
            db,
            "INSERT INTO rollups (monitor_id, region, path, granularity, bucket_start, checks, failures, data) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) \
             ON CONFLICT (monitor_id, granularity, bucket_start, region, path) \
             DO UPDATE SET checks = excluded.checks, failures = excluded.failures, data = excluded.data",
            &[
                s(&r.monitor_id),
                s(&r.region),
                s(r.path.as_str()),
                s(r.granularity.as_str()),
                n(r.bucket_start),
                n(i64::from(r.checks)),
                n(i64::from(r.failures)),
                s(&to_json(r)?),
            ],
        )?);
    }
    db.batch(batch).await?;
    Ok(())
}

/// Hourly rollups of every monitor in `[from, to)`.
pub async fn hourly_between(db: &D1Database, from: i64, to: i64) -> Result<Vec<Rollup>> {
    let rows = stmt(
        db,
        "SELECT data FROM rollups WHERE granularity = ?3 AND bucket_start >= ?1 AND bucket_start < ?2",
        &[n(from), n(to), s(Granularity::Hour.as_str())],
    )?
    .all()
    .await?
    .results::<JsonRow>()?;
    rows.iter().map(|r| from_json(&r.data)).collect()
}

pub async fn last_rolled_hour(db: &D1Database) -> Result<Option<i64>> {
    let row: Option<serde_json::Value> = db
        .prepare("SELECT value FROM meta WHERE key = 'last_rolled_hour'")
        .first(None)
        .await?;
    Ok(row.and_then(|v| v["value"].as_str().and_then(|s| s.parse().ok())))
}

pub async fn set_last_rolled_hour(db: &D1Database, hour: i64) -> Result<()> {
    stmt(
        db,
        "INSERT INTO meta (key, value) VALUES ('last_rolled_hour', ?1) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        &[s(&hour.to_string())],
    )?
    .run()
    .await?;
    Ok(())
}

/// Retention deletes, one batch.
pub async fn prune(
    db: &D1Database,
    raw_before: Option<i64>,
    hourly_before: i64,
    daily_before: i64,
) -> Result<()> {
    let mut batch = vec![
        stmt(
            db,
            "DELETE FROM rollups WHERE granularity = ?2 AND bucket_start < ?1",
            &[n(hourly_before), s(Granularity::Hour.as_str())],
        )?,
        stmt(
            db,
            "DELETE FROM rollups WHERE granularity = ?2 AND bucket_start < ?1",
            &[n(daily_before), s(Granularity::Day.as_str())],
        )?,
    ];
    if let Some(before) = raw_before {
        batch.push(stmt(
            db,
            "DELETE FROM round_log WHERE (monitor_id, started_at, id) IN \
             (SELECT monitor_id, started_at, id FROM round_log WHERE started_at < ?1 LIMIT ?2)",
            &[n(before), n(i64::from(crate::cron::PRUNE_BATCH))],
        )?);
        batch.push(stmt(
            db,
            "DELETE FROM delivery_attempts WHERE delivery_id IN (SELECT id FROM deliveries WHERE status != ?2 AND created_at < ?1)",
            &[n(before), s(DeliveryStatus::Pending.as_str())],
        )?);
        batch.push(stmt(
            db,
            "DELETE FROM deliveries WHERE status != ?2 AND created_at < ?1",
            &[n(before), s(DeliveryStatus::Pending.as_str())],
        )?);
    }
    db.batch(batch).await?;
    Ok(())
}

/// Hourly rollups of every monitor for the hours not rolled into `rollups` yet, in
/// `[from, to)`: the current hour so far, from the hour rows rounds update in place
/// (`store::hours`), so a monitor created a minute ago already has an uptime and a response
/// time on the public pages and badges.
pub async fn unrolled_hours(db: &D1Database, from: i64, to: i64) -> Result<Vec<Rollup>> {
    super::hours::hourly_between(db, from, to).await
}
