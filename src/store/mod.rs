//! Storage: D1 (configuration, history, incidents, outbox) and KV (current status).
//!
//! Each file owns one group of tables and offers typed functions: domain types in, domain
//! types out. Rows hold the core's types as JSON plus the columns that queries filter on.
//! No decisions here: what to write is decided by the core; this only writes it.

pub mod certificates;
pub mod channels;
pub mod communication;
pub mod deliveries;
pub mod history;
pub mod hours;
pub mod kv;
pub mod monitors;
pub mod pages;
pub mod rollups;
pub mod rounds;

use wasm_bindgen::JsValue;
use worker::{D1Database, D1PreparedStatement, Env, Result};

pub fn db(env: &Env) -> Result<D1Database> {
    env.d1("DB")
}

pub fn s(v: &str) -> JsValue {
    JsValue::from_str(v)
}

pub fn n(v: i64) -> JsValue {
    JsValue::from_f64(v as f64)
}

pub fn opt_s(v: Option<&str>) -> JsValue {
    v.map(JsValue::from_str).unwrap_or(JsValue::NULL)
}

pub fn opt_n(v: Option<i64>) -> JsValue {
    v.map(|x| JsValue::from_f64(x as f64))
        .unwrap_or(JsValue::NULL)
}

pub fn stmt(db: &D1Database, sql: &str, args: &[JsValue]) -> Result<D1PreparedStatement> {
    db.prepare(sql).bind(args)
}

pub fn to_json<T: serde::Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| worker::Error::RustError(format!("serialize: {e}")))
}

pub fn from_json<T: serde::de::DeserializeOwned>(text: &str) -> Result<T> {
    serde_json::from_str(text)
        .map_err(|e| worker::Error::RustError(format!("stored JSON does not parse: {e}")))
}

/// A page of a configuration table (`monitors`, `channels`) ordered by (created_at, id),
/// starting after the cursor's position; rows are the stored JSON of the core type.
pub async fn config_page<T: serde::de::DeserializeOwned>(
    db: &D1Database,
    table: &'static str,
    after: Option<(i64, &str)>,
    limit: u32,
) -> Result<Vec<T>> {
    let (ts, id) = after.unwrap_or((i64::MIN, ""));
    let sql = format!(
        "SELECT config AS data FROM {table} WHERE (created_at > ?1) OR (created_at = ?1 AND id > ?2) ORDER BY created_at, id LIMIT ?3"
    );
    let rows = stmt(db, &sql, &[n(ts), s(id), n(i64::from(limit))])?
        .all()
        .await?
        .results::<JsonRow>()?;
    rows.iter().map(|r| from_json(&r.data)).collect()
}

/// The outcome of a conditional configuration write (`monitors`, `channels`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Write {
    /// Written; the row is now at this version.
    Written { version: i64 },
    /// The UNIQUE index on `monitors.slug` refused it: another monitor has the slug.
    SlugTaken,
    /// Nothing was written: the version changed, the row is gone, or a referenced channel does
    /// not exist. The caller re-reads and decides.
    NotApplied,
}

impl Write {
    /// Classifies a `run()`: a UNIQUE failure on the slug is an answer, not an outage (D1
    /// reports it as an error whose text names the constraint).
    pub fn from_run(run: Result<worker::D1Result>, version: i64) -> Result<Write> {
        match run {
            Ok(r) => {
                let changes = r.meta()?.and_then(|m| m.changes).unwrap_or(0);
                Ok(if changes > 0 {
                    Write::Written { version }
                } else {
                    Write::NotApplied
                })
            }
            Err(e)
                if e.to_string()
                    .contains("UNIQUE constraint failed: monitors.slug") =>
            {
                Ok(Write::SlugTaken)
            }
            Err(e) => Err(e),
        }
    }
}

/// A row with one JSON column named `config`/`data`.
#[derive(serde::Deserialize)]
pub struct JsonRow {
    pub data: String,
}
