//! The `monitors` table: checked `Monitor`s stored as JSON, with slug, public and version
//! columns.
//!
//! Writes are conditional and report why one did not happen instead of failing: the
//! `version` column makes every update a compare-and-set (the API retries its merge), the
//! UNIQUE index on `slug` is the final word on slug conflicts (two racing creates), and a
//! write that adds channel ids happens only if every added channel exists at that instant
//! (the channel side refuses to delete a channel a monitor uses), all inside one statement.

use wasm_bindgen::JsValue;
use worker::{D1Database, Result};

use super::{from_json, n, opt_s, s, stmt, to_json, JsonRow, Write};
use edgeprobe_core::monitor::Monitor;

const SELECT: &str = "SELECT config AS data FROM monitors";

pub async fn get(db: &D1Database, id: &str) -> Result<Option<Monitor>> {
    let row: Option<JsonRow> = stmt(db, &format!("{SELECT} WHERE id = ?1"), &[s(id)])?
        .first(None)
        .await?;
    row.map(|r| from_json(&r.data)).transpose()
}

#[derive(serde::Deserialize)]
struct VersionedRow {
    data: String,
    version: f64,
}

/// The monitor and its version (the ETag's source).
pub async fn get_versioned(db: &D1Database, id: &str) -> Result<Option<(Monitor, i64)>> {
    let row: Option<VersionedRow> = stmt(
        db,
        "SELECT config AS data, version FROM monitors WHERE id = ?1",
        &[s(id)],
    )?
    .first(None)
    .await?;
    row.map(|r| Ok((from_json(&r.data)?, r.version as i64)))
        .transpose()
}

/// Ids of the monitors whose `channels` list `channel_id`.
pub async fn using_channel(db: &D1Database, channel_id: &str) -> Result<Vec<String>> {
    #[derive(serde::Deserialize)]
    struct IdRow {
        id: String,
    }
    let rows = stmt(
        db,
        "SELECT m.id AS id FROM monitors m WHERE EXISTS (SELECT 1 FROM json_each(m.config, '$.channels') j WHERE j.value = ?1) \
         ORDER BY m.created_at, m.id",
        &[s(channel_id)],
    )?
    .all()
    .await?
    .results::<IdRow>()?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}

/// A page ordered by (created_at, id), starting after the cursor's position.
/// A page of monitors, oldest first (`created_at`, `id` is the sort key), only monitors with this slug (the `slug` column) and/or with
/// this tag among the config's `tags`.
pub async fn list_page_filtered(
    db: &D1Database,
    slug: Option<&str>,
    tag: Option<&str>,
    after: Option<(i64, &str)>,
    limit: u32,
) -> Result<Vec<Monitor>> {
    let (ts, id) = after.unwrap_or((i64::MIN, ""));
    let rows = stmt(
        db,
        "SELECT config AS data FROM monitors WHERE ((created_at > ?1) OR (created_at = ?1 AND id > ?2)) \
AND (?3 IS NULL OR slug = ?3) \
AND (?4 IS NULL OR EXISTS (SELECT 1 FROM json_each(config, '$.tags') t WHERE t.value = ?4)) \
ORDER BY created_at, id LIMIT ?5",
        &[n(ts), s(id), opt_s(slug), opt_s(tag), n(i64::from(limit))],
    )?
    .all()
    .await?
    .results::<JsonRow>()?;
    rows.iter().map(|r| from_json(&r.data)).collect()
}

pub async fn list_all(db: &D1Database) -> Result<Vec<Monitor>> {
    monitors_where(db, "ORDER BY created_at, id").await
}

pub async fn list_public(db: &D1Database) -> Result<Vec<Monitor>> {
    monitors_where(db, "WHERE public = 1 ORDER BY slug").await
}

/// Every monitor the `SELECT` with this tail returns.
async fn monitors_where(db: &D1Database, tail: &str) -> Result<Vec<Monitor>> {
    let rows = db
        .prepare(format!("{SELECT} {tail}"))
        .all()
        .await?
        .results::<JsonRow>()?;
    rows.iter().map(|r| from_json(&r.data)).collect()
}

pub async fn slug_taken(db: &D1Database, slug: &str, except_id: &str) -> Result<bool> {
    let row: Option<serde_json::Value> = stmt(
        db,
        "SELECT id FROM monitors WHERE slug = ?1 AND id != ?2",
        &[s(slug), s(except_id)],
    )?
    .first(None)
    .await?;
    Ok(row.is_some())
}

/// SQL that is true when every id of the JSON array bound at `?{param}` is a channel.
fn channels_exist(param: u8) -> String {
    format!("NOT EXISTS (SELECT 1 FROM json_each(?{param}) j WHERE NOT EXISTS (SELECT 1 FROM channels c WHERE c.id = j.value))")
}

fn json_array(ids: &[&str]) -> Result<JsValue> {
    Ok(s(&to_json(&ids)?))
}

/// Inserts a new monitor (version 1) if its slug is free and every channel in `added_channels`
/// exists.
pub async fn insert(db: &D1Database, m: &Monitor, added_channels: &[&str]) -> Result<Write> {
    let sql = format!(
        "INSERT INTO monitors (id, slug, public, config, created_at, updated_at, version) \
         SELECT ?1, ?2, ?3, ?4, ?5, ?6, 1 WHERE {}",
        channels_exist(7)
    );
    let run = stmt(
        db,
        &sql,
        &[
            s(&m.id),
            s(&m.slug),
            n(m.public as i64),
            s(&to_json(m)?),
            n(m.created_at),
            n(m.updated_at),
            json_array(added_channels)?,
        ],
    )?
    .run()
    .await;
    Write::from_run(run, 1)
}

/// Replaces the monitor if it is still at `version` and every channel in `added_channels`
/// exists; the stored version becomes `version + 1`.
pub async fn update(
    db: &D1Database,
    m: &Monitor,
    version: i64,
    added_channels: &[&str],
) -> Result<Write> {
    let sql = format!(
        "UPDATE monitors SET slug = ?2, public = ?3, config = ?4, updated_at = ?5, version = version + 1 \
         WHERE id = ?1 AND version = ?6 AND {}",
        channels_exist(7)
    );
    let run = stmt(
        db,
        &sql,
        &[
            s(&m.id),
            s(&m.slug),
            n(m.public as i64),
            s(&to_json(m)?),
            n(m.updated_at),
            n(version),
            json_array(added_channels)?,
        ],
    )?
    .run()
    .await;
    Write::from_run(run, version + 1)
}

/// Deletes the monitor and its derived rows (history, state, incidents) in one batch.
pub async fn delete(db: &D1Database, id: &str) -> Result<bool> {
    let exists = get(db, id).await?.is_some();
    if !exists {
        return Ok(false);
    }
    let tables = [
        "round_log",
        "hour_stats",
        "rollups",
        "alert_state",
        "incidents",
        "incident_monitors",
    ];
    let mut batch = vec![
        stmt(db, "DELETE FROM monitors WHERE id = ?1", &[s(id)])?,
        // Operator updates of its automatic incidents (manual incidents outlive a monitor).
        stmt(
            db,
            "DELETE FROM incident_updates WHERE incident_id IN \
             (SELECT id FROM incidents WHERE monitor_id = ?1 AND kind = 'automatic')",
            &[s(id)],
        )?,
    ];
    for t in tables {
        batch.push(stmt(
            db,
            &format!("DELETE FROM {t} WHERE monitor_id = ?1"),
            &[s(id)],
        )?);
    }
    db.batch(batch).await?;
    Ok(true)
}
