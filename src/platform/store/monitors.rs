//! The `monitors` table: checked `Monitor`s stored as JSON, with slug and public columns.

use worker::{D1Database, Result};

use super::{from_json, n, s, stmt, to_json, JsonRow};
use crate::core::monitor::Monitor;

const SELECT: &str = "SELECT config AS data FROM monitors";

pub async fn get(db: &D1Database, id: &str) -> Result<Option<Monitor>> {
    let row: Option<JsonRow> = stmt(db, &format!("{SELECT} WHERE id = ?1"), &[s(id)])?.first(None).await?;
    row.map(|r| from_json(&r.data)).transpose()
}

pub async fn get_by_slug(db: &D1Database, slug: &str) -> Result<Option<Monitor>> {
    let row: Option<JsonRow> = stmt(db, &format!("{SELECT} WHERE slug = ?1"), &[s(slug)])?.first(None).await?;
    row.map(|r| from_json(&r.data)).transpose()
}

/// A page ordered by (created_at, id), starting after the cursor's position.
pub async fn list_page(db: &D1Database, after: Option<(i64, &str)>, limit: u32) -> Result<Vec<Monitor>> {
    super::config_page(db, "monitors", after, limit).await
}

pub async fn list_all(db: &D1Database) -> Result<Vec<Monitor>> {
    let rows = db
        .prepare(format!("{SELECT} ORDER BY created_at, id"))
        .all()
        .await?
        .results::<JsonRow>()?;
    rows.iter().map(|r| from_json(&r.data)).collect()
}

pub async fn list_public(db: &D1Database) -> Result<Vec<Monitor>> {
    let rows = db
        .prepare(format!("{SELECT} WHERE public = 1 ORDER BY slug"))
        .all()
        .await?
        .results::<JsonRow>()?;
    rows.iter().map(|r| from_json(&r.data)).collect()
}

pub async fn slug_taken(db: &D1Database, slug: &str, except_id: &str) -> Result<bool> {
    let row: Option<serde_json::Value> = stmt(db, "SELECT id FROM monitors WHERE slug = ?1 AND id != ?2", &[s(slug), s(except_id)])?
        .first(None)
        .await?;
    Ok(row.is_some())
}

pub async fn insert(db: &D1Database, m: &Monitor) -> Result<()> {
    stmt(
        db,
        "INSERT INTO monitors (id, slug, public, config, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        &[
            s(&m.id),
            s(&m.slug),
            n(m.public as i64),
            s(&to_json(m)?),
            n(m.created_at),
            n(m.updated_at),
        ],
    )?
    .run()
    .await?;
    Ok(())
}

pub async fn update(db: &D1Database, m: &Monitor) -> Result<()> {
    stmt(
        db,
        "UPDATE monitors SET slug = ?2, public = ?3, config = ?4, updated_at = ?5 WHERE id = ?1",
        &[s(&m.id), s(&m.slug), n(m.public as i64), s(&to_json(m)?), n(m.updated_at)],
    )?
    .run()
    .await?;
    Ok(())
}

/// Deletes the monitor and its derived rows (history, state, incidents) in one batch.
pub async fn delete(db: &D1Database, id: &str) -> Result<bool> {
    let exists = get(db, id).await?.is_some();
    if !exists {
        return Ok(false);
    }
    let tables = ["observations", "rounds", "rollups", "alert_state", "incidents"];
    let mut batch = vec![stmt(db, "DELETE FROM monitors WHERE id = ?1", &[s(id)])?];
    for t in tables {
        batch.push(stmt(db, &format!("DELETE FROM {t} WHERE monitor_id = ?1"), &[s(id)])?);
    }
    db.batch(batch).await?;
    Ok(true)
}
