//! The statements of a round's D1 batch: the round row (with its observations), the alert state,
//! incident changes and the outbox rows for its alerts (which of them a round needs is
//! decided by `core::record`; the hour row is `store::hours`).
//!
//! Every INSERT of a round's batch is guarded by `WHERE EXISTS (SELECT 1 FROM monitors WHERE
//! id = …)`: a D1 batch is one transaction, so a monitor deleted while its round ran gets no
//! rows at all (the delete's own batch removes rows written before it). The round row is the
//! batch's first statement; [`round_written`] tells the caller whether it was written, and
//! so whether to publish the status document and kick the dispatcher.

use worker::{D1Database, D1PreparedStatement, Result};

use super::{n, opt_s, s, stmt, to_json};
use edgeprobe_core::alerting::{AlertState, Effect};
use edgeprobe_core::diagnosis::Diagnosis;
use edgeprobe_core::round::{path_column, ObservationRow, RoundKind};

/// The facts of a round row.
pub struct RoundRow<'a> {
    pub id: &'a str,
    pub monitor_id: &'a str,
    pub kind: RoundKind,
    pub scheduled_for: i64,
    pub started_at: i64,
    pub finished_at: i64,
    pub diagnosis: Option<&'a Diagnosis>,
}

/// The stored round: one row of `round_log`, its observations (`core::round::observation_rows`)
/// as one JSON array. Written only if the monitor still exists.
pub fn round_statement(
    db: &D1Database,
    r: &RoundRow,
    observations: &[ObservationRow],
) -> Result<D1PreparedStatement> {
    let (verdict, severity, diagnosis) = match r.diagnosis {
        Some(d) => (
            Some(d.verdict.as_str().to_string()),
            Some(to_json(&d.severity)?.trim_matches('"').to_string()),
            Some(to_json(d)?),
        ),
        None => (None, None, None),
    };
    let observations: Vec<serde_json::Value> = observations
        .iter()
        .map(|o| {
            serde_json::json!({
                "region": o.region,
                "path": path_column(o.path),
                "at": r.started_at,
                "ok": o.ok,
                "latency_ms": o.latency_ms,
                "colo": o.colo,
                "data": o.data,
            })
        })
        .collect();
    stmt(
        db,
        "INSERT INTO round_log (monitor_id, started_at, id, kind, scheduled_for, finished_at, verdict, severity, diagnosis, observations) \
         SELECT ?2, ?5, ?1, ?3, ?4, ?6, ?7, ?8, ?9, ?10 WHERE EXISTS (SELECT 1 FROM monitors WHERE id = ?2)",
        &[
            s(r.id),
            s(r.monitor_id),
            s(r.kind.as_str()),
            n(r.scheduled_for),
            n(r.started_at),
            n(r.finished_at),
            opt_s(verdict.as_deref()),
            opt_s(severity.as_deref()),
            opt_s(diagnosis.as_deref()),
            s(&to_json(&observations)?),
        ],
    )
}

/// A `missed` round for an interrupted one (see `core::schedule::interrupted`), unless the
/// monitor is gone or the round was recorded after all (the object died between its batch and
/// clearing the marker): a stored round for that slot, or an hour row that has folded in that
/// slot or a later one (healthy rounds leave only that).
pub fn interrupted_round_statement(
    db: &D1Database,
    id: &str,
    m: &edgeprobe_core::schedule::InFlight,
    now: i64,
) -> Result<D1PreparedStatement> {
    stmt(
        db,
        "INSERT INTO round_log (monitor_id, started_at, id, kind, scheduled_for, finished_at) \
         SELECT ?2, ?4, ?1, ?6, ?3, ?5 \
         WHERE EXISTS (SELECT 1 FROM monitors WHERE id = ?2) \
         AND NOT EXISTS (SELECT 1 FROM round_log WHERE monitor_id = ?2 AND started_at >= ?3 - 3600000 \
           AND scheduled_for = ?3 AND kind IN (?7, ?8)) \
         AND NOT EXISTS (SELECT 1 FROM hour_stats WHERE monitor_id = ?2 AND hour >= ?3 - 3600000 \
           AND json_extract(data, '$.last_scheduled_for') >= ?3)",
        &[
            s(id),
            s(&m.monitor_id),
            n(m.scheduled_for),
            n(m.started_at),
            n(now),
            s(RoundKind::Missed.as_str()),
            // The kinds an in-flight marker stands for (the alarm's rounds).
            s(RoundKind::Scheduled.as_str()),
            s(RoundKind::Recheck.as_str()),
        ],
    )
}

/// Whether the statement at `index` of a batch's results changed a row (for a guarded INSERT:
/// whether its monitor still existed when the batch ran).
pub fn round_written(results: &[worker::D1Result], index: usize) -> Result<bool> {
    let changes = match results.get(index) {
        Some(r) => r.meta()?.and_then(|m| m.changes).unwrap_or(0),
        None => 0,
    };
    Ok(changes > 0)
}

pub fn alert_state_statement(
    db: &D1Database,
    monitor_id: &str,
    state: &AlertState,
    now: i64,
) -> Result<D1PreparedStatement> {
    stmt(
        db,
        "INSERT INTO alert_state (monitor_id, state, updated_at) SELECT ?1, ?2, ?3 WHERE EXISTS (SELECT 1 FROM monitors WHERE id = ?1) \
         ON CONFLICT (monitor_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at",
        &[s(monitor_id), s(&to_json(state)?), n(now)],
    )
}

/// The statements that carry out the state machine's effects (all but `ScheduleRecheck`,
/// which the coordinator keeps in its own schedule). Incident timelines are appended with
/// SQLite's JSON functions so no read-modify-write is needed inside the batch.
pub fn effect_statements(
    db: &D1Database,
    monitor_id: &str,
    channels: &[String],
    effects: &[Effect],
    now: i64,
) -> Result<Vec<D1PreparedStatement>> {
    let mut out = Vec::new();
    for e in effects {
        match e {
            Effect::ScheduleRecheck { .. } => {}
            Effect::OpenIncident(inc) => out.push(stmt(
                db,
                "INSERT INTO incidents (id, monitor_id, opened_at, closed_at, verdict, data) \
                 SELECT ?1, ?2, ?3, NULL, ?4, ?5 WHERE EXISTS (SELECT 1 FROM monitors WHERE id = ?2)",
                &[
                    s(&inc.id),
                    s(monitor_id),
                    n(inc.started_at),
                    s(inc.verdict.as_str()),
                    s(&to_json(inc)?),
                ],
            )?),
            Effect::UpdateIncident { incident_id, event } => out.push(stmt(
                db,
                "UPDATE incidents SET data = json_insert(data, '$.timeline[#]', json(?2)) WHERE id = ?1",
                &[s(incident_id), s(&to_json(event)?)],
            )?),
            Effect::CloseIncident {
                incident_id,
                ended_at,
                duration_ms,
            } => out.push(stmt(
                db,
                "UPDATE incidents SET closed_at = ?2, data = json_set(data, '$.ended_at', ?2, '$.duration_ms', ?3) WHERE id = ?1",
                &[s(incident_id), n(*ended_at), n(*duration_ms)],
            )?),
            Effect::Send(alert) => out.extend(super::deliveries::outbox_statements(db, alert, monitor_id, channels, now)?),
        }
    }
    Ok(out)
}
