//! The `channels` table: alert destinations, stored with their write-only secrets. Callers
//! return `Channel::redacted()` views only.
//!
//! Updates are compare-and-set on `version` (see `store::monitors`), and a channel is deleted
//! only while no monitor lists it, checked in the same statement.

use worker::{D1Database, Result};

use super::{from_json, n, s, stmt, to_json, JsonRow, Write};
use edgeprobe_core::monitor::Channel;

const SELECT: &str = "SELECT config AS data FROM channels";

pub async fn get(db: &D1Database, id: &str) -> Result<Option<Channel>> {
    let row: Option<JsonRow> = stmt(db, &format!("{SELECT} WHERE id = ?1"), &[s(id)])?
        .first(None)
        .await?;
    row.map(|r| from_json(&r.data)).transpose()
}

/// The channel and its version (the ETag's source).
pub async fn get_versioned(db: &D1Database, id: &str) -> Result<Option<(Channel, i64)>> {
    #[derive(serde::Deserialize)]
    struct Row {
        data: String,
        version: f64,
    }
    let row: Option<Row> = stmt(
        db,
        "SELECT config AS data, version FROM channels WHERE id = ?1",
        &[s(id)],
    )?
    .first(None)
    .await?;
    row.map(|r| Ok((from_json(&r.data)?, r.version as i64)))
        .transpose()
}

/// A page ordered by (created_at, id), starting after the cursor's position.
pub async fn list_page(
    db: &D1Database,
    after: Option<(i64, &str)>,
    limit: u32,
) -> Result<Vec<Channel>> {
    super::config_page(db, "channels", after, limit).await
}

/// The channels among `ids` that exist (in no particular order).
pub async fn get_many(db: &D1Database, ids: &[String]) -> Result<Vec<Channel>> {
    let mut out = Vec::new();
    for id in ids {
        if let Some(c) = get(db, id).await? {
            out.push(c);
        }
    }
    Ok(out)
}

pub async fn insert(db: &D1Database, c: &Channel) -> Result<()> {
    stmt(
        db,
        "INSERT INTO channels (id, config, created_at, updated_at, version) VALUES (?1, ?2, ?3, ?4, 1)",
        &[s(&c.id), s(&to_json(c)?), n(c.created_at), n(c.updated_at)],
    )?
    .run()
    .await?;
    Ok(())
}

/// Replaces the channel if it is still at `version`; it becomes `version + 1`.
pub async fn update(db: &D1Database, c: &Channel, version: i64) -> Result<Write> {
    let run = stmt(
        db,
        "UPDATE channels SET config = ?2, updated_at = ?3, version = version + 1 WHERE id = ?1 AND version = ?4",
        &[s(&c.id), s(&to_json(c)?), n(c.updated_at), n(version)],
    )?
    .run()
    .await;
    Write::from_run(run, version + 1)
}

/// What deleting a channel did.
pub enum Delete {
    Deleted,
    NotFound,
    /// Monitors (ids) still list the channel; nothing was deleted.
    InUse(Vec<String>),
}

/// Deletes the channel unless a monitor lists it (checked in the DELETE itself, so a monitor
/// saved concurrently cannot end up pointing at a deleted channel).
pub async fn delete(db: &D1Database, id: &str) -> Result<Delete> {
    let run = stmt(
        db,
        "DELETE FROM channels WHERE id = ?1 AND NOT EXISTS \
         (SELECT 1 FROM monitors m, json_each(m.config, '$.channels') j WHERE j.value = ?1)",
        &[s(id)],
    )?
    .run()
    .await?;
    if run.meta()?.and_then(|m| m.changes).unwrap_or(0) > 0 {
        return Ok(Delete::Deleted);
    }
    if get(db, id).await?.is_none() {
        return Ok(Delete::NotFound);
    }
    Ok(Delete::InUse(super::monitors::using_channel(db, id).await?))
}
