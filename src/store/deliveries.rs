//! The outbox: `deliveries` (one row per alert × channel) and `delivery_attempts` (one row per
//! POST). The coordinator adds rows in the same D1 batch as the alert state change, so an alert
//! is never decided without being queued, nor queued without being decided; the dispatcher
//! reads due rows and records what happened. Which channels an alert is queued to is the
//! core's decision (`core::alerting::route`), from the channels' filters and the rows this
//! outbox already holds for the alert's dedup key ([`routed_effect_statements`]). Attempt rows hold the status code and error text
//! only: never a channel URL or secret.

use serde::Deserialize;
use worker::{D1Database, D1PreparedStatement, Result};

use super::{from_json, n, opt_n, opt_s, s, stmt, to_json};
use crate::env;
use edgeprobe_core::alerting::retry::DeliveryStatus;
use edgeprobe_core::alerting::route::{self, Queued, Route};
use edgeprobe_core::alerting::{Alert, AlertKind, Effect};
use edgeprobe_core::monitor::AlertFilter;

/// One outbox row.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub id: String,
    /// The `webhook-id`: the same on every retry and re-drive.
    pub alert_id: String,
    pub channel_id: String,
    pub monitor_id: String,
    pub kind: AlertKind,
    pub alert: Alert,
    pub status: DeliveryStatus,
    pub attempts: u32,
    pub created_at: i64,
    pub next_attempt_at: i64,
    pub last_error: Option<String>,
    pub delivered_at: Option<i64>,
}

/// One POST of a delivery.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub attempt: u32,
    pub at: i64,
    pub status_code: Option<u16>,
    pub error: Option<String>,
    pub duration_ms: i64,
}

#[derive(Deserialize)]
struct Row {
    id: String,
    alert_id: String,
    channel_id: String,
    monitor_id: String,
    kind: AlertKind,
    alert: String,
    status: DeliveryStatus,
    attempts: f64,
    created_at: f64,
    next_attempt_at: f64,
    last_error: Option<String>,
    delivered_at: Option<f64>,
}

impl Row {
    fn into_delivery(self) -> Result<Delivery> {
        Ok(Delivery {
            alert: from_json(&self.alert)?,
            id: self.id,
            alert_id: self.alert_id,
            channel_id: self.channel_id,
            monitor_id: self.monitor_id,
            kind: self.kind,
            status: self.status,
            attempts: self.attempts as u32,
            created_at: self.created_at as i64,
            next_attempt_at: self.next_attempt_at as i64,
            last_error: self.last_error,
            delivered_at: self.delivered_at.map(|v| v as i64),
        })
    }
}

const COLUMNS: &str =
    "id, alert_id, channel_id, monitor_id, kind, alert, status, attempts, created_at, next_attempt_at, last_error, delivered_at";

/// The INSERT for one outbox row, without running it (for a caller's batch).
pub fn insert_statement(
    db: &D1Database,
    id: &str,
    alert: &Alert,
    monitor_id: &str,
    channel_id: &str,
    now: i64,
) -> Result<D1PreparedStatement> {
    insert_with(db, INSERT_SQL, id, alert, monitor_id, channel_id, now)
}

const INSERT_SQL: &str =
    "INSERT INTO deliveries (id, alert_id, channel_id, monitor_id, kind, alert, status, attempts, created_at, next_attempt_at, dedup_key) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?8, 0, ?7, ?7, ?9)";

/// The same row, written only while the monitor exists (evaluated inside the round's batch,
/// so a monitor deleted while its round ran never gets alerts queued).
const INSERT_IF_MONITOR_SQL: &str =
    "INSERT INTO deliveries (id, alert_id, channel_id, monitor_id, kind, alert, status, attempts, created_at, next_attempt_at, dedup_key) \
     SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?8, 0, ?7, ?7, ?9 WHERE EXISTS (SELECT 1 FROM monitors WHERE id = ?4)";

fn insert_with(
    db: &D1Database,
    sql: &str,
    id: &str,
    alert: &Alert,
    monitor_id: &str,
    channel_id: &str,
    now: i64,
) -> Result<D1PreparedStatement> {
    stmt(
        db,
        sql,
        &[
            s(id),
            s(&alert.id),
            s(channel_id),
            s(monitor_id),
            s(alert.kind.as_str()),
            s(&to_json(alert)?),
            n(now),
            s(DeliveryStatus::Pending.as_str()),
            s(&alert.dedup_key),
        ],
    )
}

/// One INSERT per channel for `alert`, due at `now`; run them in the same batch as the alert
/// state change that produced the alert. Nothing is queued once the monitor is deleted.
pub fn outbox_statements(
    db: &D1Database,
    alert: &Alert,
    monitor_id: &str,
    channel_ids: &[String],
    now: i64,
) -> Result<Vec<D1PreparedStatement>> {
    channel_ids
        .iter()
        .map(|c| {
            insert_with(
                db,
                INSERT_IF_MONITOR_SQL,
                &env::new_id("dlv"),
                alert,
                monitor_id,
                c,
                now,
            )
        })
        .collect()
}

/// The statements for a round's effects: every effect but `Send` as
/// `rounds::effect_statements` writes it, and each `Send` queued only to the channels that
/// `core::alerting::route` picks (their filters; a follow-up only where its announcement was
/// queued, read here from the outbox). Reads happen before the caller's batch; only the
/// monitor's coordinator queues its incident alerts, so nothing else adds rows for the same
/// dedup key in between.
pub async fn routed_effect_statements(
    db: &D1Database,
    monitor_id: &str,
    channel_ids: &[String],
    effects: &[Effect],
    now: i64,
) -> Result<Vec<D1PreparedStatement>> {
    // No channels given: `rounds` writes everything but the outbox rows.
    let mut out = super::rounds::effect_statements(db, monitor_id, &[], effects, now)?;
    let sends: Vec<&Alert> = effects
        .iter()
        .filter_map(|e| match e {
            Effect::Send(a) => Some(a),
            _ => None,
        })
        .collect();
    if sends.is_empty() || channel_ids.is_empty() {
        return Ok(out);
    }
    let channels = super::channels::get_many(db, channel_ids).await?;
    // The monitor's order; a listed channel that no longer exists is still queued (the
    // dispatcher marks its row dead, as before), with the default filter.
    let default_filter = AlertFilter::default();
    let routes: Vec<Route> = channel_ids
        .iter()
        .map(|id| Route {
            channel_id: id,
            filter: channels
                .iter()
                .find(|c| &c.id == id)
                .map_or(&default_filter, |c| &c.filter),
        })
        .collect();
    let mut queued_now: Vec<Queued> = Vec::new();
    for alert in sends {
        let mut queued = queued_for(db, monitor_id, &alert.dedup_key).await?;
        queued.extend(queued_now.iter().cloned());
        let to: Vec<String> = route::recipients(alert, &routes, &queued)
            .into_iter()
            .map(str::to_string)
            .collect();
        queued_now.extend(to.iter().map(|c| Queued {
            channel_id: c.clone(),
            kind: alert.kind,
        }));
        out.extend(outbox_statements(db, alert, monitor_id, &to, now)?);
    }
    Ok(out)
}

/// The outbox rows queued so far for a dedup key: (channel, kind) of each.
async fn queued_for(db: &D1Database, monitor_id: &str, dedup_key: &str) -> Result<Vec<Queued>> {
    #[derive(Deserialize)]
    struct Q {
        channel_id: String,
        kind: AlertKind,
    }
    let rows = stmt(
        db,
        "SELECT DISTINCT channel_id, kind FROM deliveries WHERE dedup_key = ?1 \
         UNION SELECT DISTINCT channel_id, kind FROM deliveries WHERE dedup_key IS NULL \
         AND monitor_id = ?2 AND json_extract(alert, '$.dedup_key') = ?1",
        &[s(dedup_key), s(monitor_id)],
    )?
    .all()
    .await?
    .results::<Q>()?;
    Ok(rows
        .into_iter()
        .map(|q| Queued {
            channel_id: q.channel_id,
            kind: q.kind,
        })
        .collect())
}

pub async fn get(db: &D1Database, id: &str) -> Result<Option<Delivery>> {
    let row: Option<Row> = stmt(
        db,
        &format!("SELECT {COLUMNS} FROM deliveries WHERE id = ?1"),
        &[s(id)],
    )?
    .first(None)
    .await?;
    row.map(Row::into_delivery).transpose()
}

/// Attempts of one delivery, oldest first.
pub async fn attempts(db: &D1Database, delivery_id: &str) -> Result<Vec<Attempt>> {
    stmt(
        db,
        "SELECT attempt, at, status_code, error, duration_ms FROM delivery_attempts WHERE delivery_id = ?1 ORDER BY attempt",
        &[s(delivery_id)],
    )?
    .all()
    .await?
    .results::<AttemptRow>()
    .map(|rows| rows.into_iter().map(AttemptRow::into_attempt).collect())
}

#[derive(Deserialize)]
struct AttemptRow {
    attempt: f64,
    at: f64,
    status_code: Option<f64>,
    error: Option<String>,
    duration_ms: f64,
}

impl AttemptRow {
    fn into_attempt(self) -> Attempt {
        Attempt {
            attempt: self.attempt as u32,
            at: self.at as i64,
            status_code: self.status_code.map(|c| c as u16),
            error: self.error,
            duration_ms: self.duration_ms as i64,
        }
    }
}

/// Pending rows whose time has come, oldest due first.
pub async fn due(db: &D1Database, now: i64, limit: u32) -> Result<Vec<Delivery>> {
    let rows = stmt(
        db,
        &format!(
            "SELECT {COLUMNS} FROM deliveries WHERE status = ?3 AND next_attempt_at <= ?1 ORDER BY next_attempt_at, id LIMIT ?2"
        ),
        &[n(now), n(limit as i64), s(DeliveryStatus::Pending.as_str())],
    )?
    .all()
    .await?
    .results::<Row>()?;
    rows.into_iter().map(Row::into_delivery).collect()
}

/// The earliest `next_attempt_at` of any pending row (to re-arm the dispatcher's alarm).
pub async fn next_due_at(db: &D1Database) -> Result<Option<i64>> {
    #[derive(Deserialize)]
    struct Next {
        at: Option<f64>,
    }
    let row: Option<Next> = stmt(
        db,
        "SELECT MIN(next_attempt_at) AS at FROM deliveries WHERE status = ?1",
        &[s(DeliveryStatus::Pending.as_str())],
    )?
    .first(None)
    .await?;
    Ok(row.and_then(|r| r.at).map(|v| v as i64))
}

/// A channel's deliveries, newest first, after the cursor `(created_at, id)`.
pub async fn list_for_channel(
    db: &D1Database,
    channel_id: &str,
    after: Option<(i64, &str)>,
    limit: u32,
) -> Result<Vec<Delivery>> {
    // No cursor: start above every possible created_at.
    let (ts, id) = after.unwrap_or((i64::MAX, ""));
    let rows = stmt(
        db,
        &format!("SELECT {COLUMNS} FROM deliveries WHERE channel_id = ?1 AND (created_at < ?2 OR (created_at = ?2 AND id < ?3)) ORDER BY created_at DESC, id DESC LIMIT ?4"),
        &[s(channel_id), n(ts), s(id), n(limit as i64)],
    )?
    .all()
    .await?
    .results::<Row>()?;
    rows.into_iter().map(Row::into_delivery).collect()
}

/// What one POST did.
#[derive(Debug, Clone)]
pub struct AttemptRecord {
    pub attempt: u32,
    pub at: i64,
    pub status_code: Option<u16>,
    /// A short description (status text or transport error): never the URL or the secret.
    pub error: Option<String>,
    pub duration_ms: i64,
}

fn attempt_statement(
    db: &D1Database,
    delivery_id: &str,
    a: &AttemptRecord,
) -> Result<D1PreparedStatement> {
    stmt(
        db,
        "INSERT OR REPLACE INTO delivery_attempts (delivery_id, attempt, at, status_code, error, duration_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        &[s(delivery_id), n(a.attempt as i64), n(a.at), opt_n(a.status_code.map(i64::from)), opt_s(a.error.as_deref()), n(a.duration_ms)],
    )
}

/// How an attempt ended for the outbox row.
#[derive(Debug, Clone)]
pub enum Outcome {
    Delivered,
    RetryAt { at: i64, error: String },
    Dead { reason: String },
}

/// Records an attempt and the row's new state in one batch.
pub async fn finish_attempt(
    db: &D1Database,
    delivery_id: &str,
    a: &AttemptRecord,
    outcome: &Outcome,
) -> Result<()> {
    let update = match outcome {
        Outcome::Delivered => mark_delivered_statement(db, delivery_id, a.attempt, a.at)?,
        Outcome::RetryAt { at, error } => {
            schedule_retry_statement(db, delivery_id, a.attempt, *at, error)?
        }
        Outcome::Dead { reason } => mark_dead_statement(db, delivery_id, a.attempt, reason)?,
    };
    db.batch(vec![attempt_statement(db, delivery_id, a)?, update])
        .await?;
    Ok(())
}

fn mark_delivered_statement(
    db: &D1Database,
    id: &str,
    attempts: u32,
    at: i64,
) -> Result<D1PreparedStatement> {
    stmt(
        db,
        "UPDATE deliveries SET status = ?4, attempts = ?2, delivered_at = ?3, last_error = NULL WHERE id = ?1",
        &[s(id), n(attempts as i64), n(at), s(DeliveryStatus::Delivered.as_str())],
    )
}

fn schedule_retry_statement(
    db: &D1Database,
    id: &str,
    attempts: u32,
    next_at: i64,
    error: &str,
) -> Result<D1PreparedStatement> {
    stmt(
        db,
        "UPDATE deliveries SET status = ?5, attempts = ?2, next_attempt_at = ?3, last_error = ?4 WHERE id = ?1",
        &[s(id), n(attempts as i64), n(next_at), s(error), s(DeliveryStatus::Pending.as_str())],
    )
}

fn mark_dead_statement(
    db: &D1Database,
    id: &str,
    attempts: u32,
    reason: &str,
) -> Result<D1PreparedStatement> {
    stmt(
        db,
        "UPDATE deliveries SET status = ?4, attempts = ?2, last_error = ?3 WHERE id = ?1",
        &[
            s(id),
            n(attempts as i64),
            s(reason),
            s(DeliveryStatus::Dead.as_str()),
        ],
    )
}

/// Dead → pending, due now; the attempt history and count stay. Returns false when the row
/// was not dead (the caller checks existence first).
pub async fn redrive(db: &D1Database, id: &str, now: i64) -> Result<bool> {
    let result = stmt(
        db,
        "UPDATE deliveries SET status = ?3, next_attempt_at = ?2 WHERE id = ?1 AND status = ?4",
        &[
            s(id),
            n(now),
            s(DeliveryStatus::Pending.as_str()),
            s(DeliveryStatus::Dead.as_str()),
        ],
    )?
    .run()
    .await?;
    Ok(result.meta()?.and_then(|m| m.changes).unwrap_or(0) > 0)
}
