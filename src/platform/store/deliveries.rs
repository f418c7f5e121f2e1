//! The outbox (`deliveries`) and its attempts. (Being extended by the dispatcher work.)

use worker::{D1Database, D1PreparedStatement, Result};

use super::{n, s, stmt, to_json};
use crate::core::alerting::Alert;
use crate::platform::env;

/// One pending delivery per channel for `alert`, to be written in the same batch as the
/// alert state change that produced it.
pub fn outbox_statements(db: &D1Database, alert: &Alert, monitor_id: &str, channel_ids: &[String], now: i64) -> Result<Vec<D1PreparedStatement>> {
    let kind = to_json(&alert.kind)?;
    let body = to_json(alert)?;
    channel_ids
        .iter()
        .map(|ch| {
            stmt(
                db,
                "INSERT INTO deliveries (id, alert_id, channel_id, monitor_id, kind, alert, status, attempts, created_at, next_attempt_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'pending', 0, ?7, ?7)",
                &[s(&env::new_id("dlv")), s(&alert.id), s(ch), s(monitor_id), s(kind.trim_matches('"')), s(&body), n(now)],
            )
        })
        .collect()
}
