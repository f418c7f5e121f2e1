//! The `channels` table: alert destinations, stored with their write-only secrets. Callers
//! return `Channel::redacted()` views only.

use worker::{D1Database, Result};

use super::{from_json, n, s, stmt, to_json, JsonRow};
use crate::core::monitor::Channel;

const SELECT: &str = "SELECT config AS data FROM channels";

pub async fn get(db: &D1Database, id: &str) -> Result<Option<Channel>> {
    let row: Option<JsonRow> = stmt(db, &format!("{SELECT} WHERE id = ?1"), &[s(id)])?.first(None).await?;
    row.map(|r| from_json(&r.data)).transpose()
}

/// A page ordered by (created_at, id), starting after the cursor's position.
pub async fn list_page(db: &D1Database, after: Option<(i64, &str)>, limit: u32) -> Result<Vec<Channel>> {
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
        "INSERT INTO channels (id, config, created_at, updated_at) VALUES (?1, ?2, ?3, ?4)",
        &[s(&c.id), s(&to_json(c)?), n(c.created_at), n(c.updated_at)],
    )?
    .run()
    .await?;
    Ok(())
}

pub async fn update(db: &D1Database, c: &Channel) -> Result<()> {
    stmt(
        db,
        "UPDATE channels SET config = ?2, updated_at = ?3 WHERE id = ?1",
        &[s(&c.id), s(&to_json(c)?), n(c.updated_at)],
    )?
    .run()
    .await?;
    Ok(())
}

pub async fn delete(db: &D1Database, id: &str) -> Result<bool> {
    let existed = get(db, id).await?.is_some();
    if existed {
        stmt(db, "DELETE FROM channels WHERE id = ?1", &[s(id)])?.run().await?;
    }
    Ok(existed)
}
