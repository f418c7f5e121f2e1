//! The certificates each monitor's paths presented (`core::alerting::certs::CertWatch`), read
//! for the API and the page documents.
//!
//! They live inside the monitor's alert state row (`alert_state.state`, key `certs`), which the
//! coordinator writes only when the state changes — for certificates, only when one changes or
//! a warning starts or ends — so they cost no row of their own and no write per check. These
//! reads take only that part of the row (`json_extract`), for any number of monitors at once.

use std::collections::BTreeMap;

use serde::Deserialize;
use worker::{D1Database, Result};

use super::{from_json, s, stmt, to_json};
use edgeprobe_core::alerting::certs::CertWatch;

#[derive(Deserialize)]
struct IdCerts {
    id: String,
    certs: Option<String>,
}

/// The watches of these monitors (monitors without certificates are absent). One query.
pub async fn for_monitors(db: &D1Database, ids: &[&str]) -> Result<BTreeMap<String, CertWatch>> {
    let rows = stmt(
        db,
        "SELECT monitor_id AS id, json_extract(state, '$.certs') AS certs FROM alert_state \
         WHERE monitor_id IN (SELECT value FROM json_each(?1))",
        &[s(&to_json(&ids)?)],
    )?
    .all()
    .await?
    .results::<IdCerts>()?;
    let mut out = BTreeMap::new();
    for row in rows {
        if let Some(text) = row.certs {
            out.insert(row.id, from_json(&text)?);
        }
    }
    Ok(out)
}

/// One monitor's watch (empty when none was read yet).
pub async fn of_monitor(db: &D1Database, id: &str) -> Result<CertWatch> {
    Ok(for_monitors(db, &[id])
        .await?
        .remove(id)
        .unwrap_or_default())
}
