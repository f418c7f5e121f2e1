//! Storage of incident communication (migration 0006): manual incidents (rows of `incidents`
//! with kind 'manual', their monitors in `incident_monitors`) and operator updates
//! (`incident_updates`). The core (`core::communication`) decides which update is allowed;
//! this writes what it decided, guarded so that two racing writers cannot both resolve.

use serde::Deserialize;
use worker::{D1Database, Result};

use super::{from_json, n, opt_n, s, stmt, to_json};
use edgeprobe_core::communication::{IncidentUpdate, ManualIncident, UpdateState};
use edgeprobe_core::time::UnixMillis;

/// Writes a new manual incident, its monitors and its first update: one batch.
pub async fn insert_manual(
    db: &D1Database,
    incident: &ManualIncident,
    first: &IncidentUpdate,
) -> Result<()> {
    let mut batch = vec![stmt(
        db,
        "INSERT INTO incidents (id, monitor_id, opened_at, closed_at, verdict, data, kind) \
         VALUES (?1, '', ?2, ?3, 'manual', ?4, 'manual')",
        &[
            s(&incident.id),
            n(incident.opened_at),
            opt_n(incident.closed_at),
            s(&to_json(incident)?),
        ],
    )?];
    for m in &incident.monitor_ids {
        batch.push(stmt(
            db,
            "INSERT OR IGNORE INTO incident_monitors (incident_id, monitor_id) VALUES (?1, ?2)",
            &[s(&incident.id), s(m)],
        )?);
    }
    batch.push(insert_update(db, first)?);
    db.batch(batch).await?;
    Ok(())
}

fn insert_update(db: &D1Database, u: &IncidentUpdate) -> Result<worker::D1PreparedStatement> {
    stmt(
        db,
        "INSERT INTO incident_updates (id, incident_id, at, state, message) VALUES (?1, ?2, ?3, ?4, ?5)",
        &[
            s(&u.id),
            s(&u.incident_id),
            n(u.at),
            s(u.state.as_str()),
            s(&u.message),
        ],
    )
}

/// Records an update of an automatic incident (commentary; the incident row is untouched).
pub async fn add_update(db: &D1Database, u: &IncidentUpdate) -> Result<()> {
    insert_update(db, u)?.run().await?;
    Ok(())
}

/// Records an update of a manual incident and its new state, only if the incident is still
/// open (`false`: another writer resolved it first; nothing was written).
pub async fn add_manual_update(
    db: &D1Database,
    u: &IncidentUpdate,
    after: &ManualIncident,
) -> Result<bool> {
    let guard = stmt(
        db,
        "UPDATE incidents SET data = ?2, closed_at = ?3 WHERE id = ?1 AND kind = 'manual' \
         AND closed_at IS NULL",
        &[s(&after.id), s(&to_json(after)?), opt_n(after.closed_at)],
    )?;
    let results = db
        .batch(vec![
            guard,
            // Written only when the guard above applied (same batch, one transaction): the row
            // is open, or closed by this very update.
            stmt(
                db,
                "INSERT INTO incident_updates (id, incident_id, at, state, message) \
                 SELECT ?1, ?2, ?3, ?4, ?5 WHERE EXISTS (SELECT 1 FROM incidents WHERE id = ?2 \
                 AND (closed_at IS NULL OR closed_at = ?6))",
                &[
                    s(&u.id),
                    s(&u.incident_id),
                    n(u.at),
                    s(u.state.as_str()),
                    s(&u.message),
                    opt_n(after.closed_at),
                ],
            )?,
        ])
        .await?;
    let changed = results
        .first()
        .and_then(|r| r.meta().ok().flatten())
        .and_then(|m| m.changes)
        .unwrap_or(0);
    Ok(changed > 0)
}

#[derive(Deserialize)]
struct UpdateRow {
    id: String,
    incident_id: String,
    at: f64,
    state: String,
    message: String,
}

/// The updates of the given incidents, oldest first: one query.
pub async fn updates_of(db: &D1Database, incident_ids: &[&str]) -> Result<Vec<IncidentUpdate>> {
    if incident_ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = stmt(
        db,
        "SELECT id, incident_id, at, state, message FROM incident_updates \
         WHERE incident_id IN (SELECT value FROM json_each(?1)) ORDER BY at, id",
        &[s(&to_json(&incident_ids)?)],
    )?
    .all()
    .await?
    .results::<UpdateRow>()?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            Some(IncidentUpdate {
                state: UpdateState::parse(&r.state)?,
                id: r.id,
                incident_id: r.incident_id,
                at: r.at as i64,
                message: r.message,
            })
        })
        .collect())
}

/// Manual incidents the pages show: every open one and those closed after `closed_since`
/// (newest first, at most `limit`): one query.
pub async fn recent_manual(
    db: &D1Database,
    closed_since: UnixMillis,
    limit: u32,
) -> Result<Vec<ManualIncident>> {
    #[derive(Deserialize)]
    struct Row {
        data: String,
    }
    let rows = stmt(
        db,
        "SELECT data FROM incidents WHERE kind = 'manual' AND (closed_at IS NULL OR closed_at >= ?1) \
         ORDER BY opened_at DESC, id DESC LIMIT ?2",
        &[n(closed_since), n(i64::from(limit))],
    )?
    .all()
    .await?
    .results::<Row>()?;
    rows.iter().map(|r| from_json(&r.data)).collect()
}

/// Which of `ids` are monitors: one query.
pub async fn existing_monitors(db: &D1Database, ids: &[String]) -> Result<Vec<String>> {
    #[derive(Deserialize)]
    struct Row {
        id: String,
    }
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = stmt(
        db,
        "SELECT id FROM monitors WHERE id IN (SELECT value FROM json_each(?1))",
        &[s(&to_json(&ids)?)],
    )?
    .all()
    .await?
    .results::<Row>()?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}
