//! Reads of what rounds leave behind: rounds with their observations, incidents and rollups,
//! for the API's reading endpoints and the public pages.
//!
//! Read-only: the coordinator (store::rounds) and the cron (rollups) write these tables.
//! Rows come back as the core's types or as the API's round view (`edgeprobe_web::views`),
//! filled from the columns and the stored JSON; nothing here decides what to show (the
//! handlers and the core do). Numeric columns are read as `f64` because D1 hands
//! JavaScript numbers over.

use serde::Deserialize;
use serde_json::Value;
use worker::{D1Database, Result};

use super::{from_json, n, opt_s, s, stmt};
use edgeprobe_core::alerting::Incident;
use edgeprobe_core::communication::ManualIncident;
use edgeprobe_core::diagnosis::PathKind;
use edgeprobe_core::rollup::{self, Granularity, Rollup};
use edgeprobe_core::round::RoundKind;
use edgeprobe_core::time::UnixMillis;
use edgeprobe_web::views::{ObservationView, Rfc3339, RoundView, StoredDiagnosis};

/// Most rollup rows one request reads (a 30-day hourly range of one region and path is 720).
pub const ROLLUP_ROWS_MAX: u32 = 5_000;

/// Where a newest-first page resumes: strictly before this (time, id).
pub type Before<'a> = Option<(i64, &'a str)>;

fn ms(v: Option<f64>) -> Option<i64> {
    v.map(|x| x as i64)
}

#[derive(Deserialize)]
struct RoundRow {
    id: String,
    monitor_id: String,
    kind: RoundKind,
    scheduled_for: Option<f64>,
    started_at: Option<f64>,
    finished_at: Option<f64>,
    verdict: Option<String>,
    severity: Option<String>,
    diagnosis: Option<String>,
    observations: Option<String>,
}

/// One element of a stored round's `observations` column.
#[derive(Deserialize)]
struct StoredObservation {
    region: String,
    path: String,
    at: Option<f64>,
    ok: Option<bool>,
    latency_ms: Option<f64>,
    colo: Option<String>,
    #[serde(default)]
    data: Value,
}

/// Filters of the results endpoint, already validated by `core::validate::parse_results_query`.
pub struct RoundFilter<'a> {
    pub from: Option<UnixMillis>,
    pub to: Option<UnixMillis>,
    pub region: Option<&'a str>,
    pub path: Option<PathKind>,
}

/// A page of rounds, newest first, each with its observations (`observations`: one per
/// region × path, filtered by region/path when given). With a region or path filter only
/// rounds that have a matching observation are listed. A round's `started_at` and `id` are
/// the page's sort key.
pub async fn rounds_page(
    db: &D1Database,
    monitor_id: &str,
    f: &RoundFilter<'_>,
    before: Before<'_>,
    limit: u32,
) -> Result<Vec<RoundView>> {
    let (bts, bid) = before.unwrap_or((i64::MAX, ""));
    let sql = "SELECT id, monitor_id, kind, scheduled_for, started_at, finished_at, verdict, severity, diagnosis, observations \
FROM round_log r WHERE monitor_id = ?1 \
AND started_at >= ?2 AND started_at < ?3 \
AND ((started_at < ?4) OR (started_at = ?4 AND id < ?5) OR ?5 = '') \
AND (?6 IS NULL AND ?7 IS NULL OR EXISTS (SELECT 1 FROM json_each(r.observations) o \
  WHERE (?6 IS NULL OR json_extract(o.value, '$.region') = ?6) \
  AND (?7 IS NULL OR json_extract(o.value, '$.path') = ?7))) \
ORDER BY started_at DESC, id DESC LIMIT ?8";
    let rows = stmt(
        db,
        sql,
        &[
            s(monitor_id),
            n(f.from.unwrap_or(i64::MIN / 2)),
            n(f.to.unwrap_or(i64::MAX / 2)),
            n(bts.min(i64::MAX / 2)),
            s(bid),
            opt_s(f.region),
            opt_s(f.path.map(PathKind::as_str)),
            n(i64::from(limit)),
        ],
    )?
    .all()
    .await?
    .results::<RoundRow>()?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let stored: Vec<StoredObservation> = r
                .observations
                .as_deref()
                .and_then(|t| serde_json::from_str(t).ok())
                .unwrap_or_default();
            let mut observations: Vec<ObservationView> = stored
                .into_iter()
                .filter(|o| f.region.is_none_or(|x| x == o.region))
                .filter(|o| f.path.is_none_or(|p| p.as_str() == o.path))
                .map(|o| ObservationView {
                    region: o.region,
                    path: o.path,
                    at: ms(o.at).map(Rfc3339),
                    ok: o.ok,
                    latency_ms: ms(o.latency_ms),
                    colo: o.colo,
                    data: o.data,
                })
                .collect();
            observations.sort_by(|a, b| (&a.region, &a.path).cmp(&(&b.region, &b.path)));
            RoundView {
                started_at: Rfc3339(ms(r.started_at).unwrap_or(0)),
                scheduled_for: ms(r.scheduled_for).map(Rfc3339),
                finished_at: ms(r.finished_at).map(Rfc3339),
                diagnosis: r.diagnosis.as_deref().map(StoredDiagnosis::parse),
                id: r.id,
                monitor_id: r.monitor_id,
                kind: r.kind.as_str().to_string(),
                verdict: r.verdict,
                severity: r.severity,
                observations,
            }
        })
        .collect())
}

#[derive(Deserialize)]
struct IncidentRow {
    #[serde(default)]
    kind: Option<String>,
    opened_at: Option<f64>,
    closed_at: Option<f64>,
    data: String,
}

/// A row of `incidents` of either kind (migration 0006): opened by the checks, or by an
/// operator (`core::communication::ManualIncident`).
pub enum AnyStored {
    Automatic(StoredIncident),
    Manual(ManualIncident),
}

impl AnyStored {
    pub fn id(&self) -> &str {
        match self {
            AnyStored::Automatic(i) => &i.incident.id,
            AnyStored::Manual(m) => &m.id,
        }
    }

    pub fn opened_at(&self) -> UnixMillis {
        match self {
            AnyStored::Automatic(i) => i.opened_at,
            AnyStored::Manual(m) => m.opened_at,
        }
    }
}

fn any_from(row: IncidentRow) -> Result<AnyStored> {
    if row.kind.as_deref() == Some("manual") {
        return Ok(AnyStored::Manual(from_json(&row.data)?));
    }
    incident_from(row).map(AnyStored::Automatic)
}

/// An incident as the API shows it: the core's `Incident` (with its timeline) plus the
/// `opened_at` / `closed_at` columns (`closed_at` null while ongoing).
pub struct StoredIncident {
    pub incident: Incident,
    pub opened_at: UnixMillis,
    pub closed_at: Option<UnixMillis>,
}

fn incident_from(row: IncidentRow) -> Result<StoredIncident> {
    let incident: Incident = from_json(&row.data)?;
    let opened_at = ms(row.opened_at).unwrap_or(incident.started_at);
    Ok(StoredIncident {
        incident,
        opened_at,
        closed_at: ms(row.closed_at),
    })
}

/// A page of one monitor's incidents, newest first: its automatic ones and the manual ones
/// that name it.
pub async fn incidents_page(
    db: &D1Database,
    monitor_id: &str,
    before: Before<'_>,
    limit: u32,
) -> Result<Vec<AnyStored>> {
    let (bts, bid) = before.unwrap_or((i64::MAX / 2, ""));
    let rows = stmt(
        db,
        "SELECT kind, opened_at, closed_at, data FROM incidents WHERE (monitor_id = ?1 \
OR id IN (SELECT incident_id FROM incident_monitors WHERE monitor_id = ?1)) \
AND ((opened_at < ?2) OR (opened_at = ?2 AND id < ?3) OR ?3 = '') \
ORDER BY opened_at DESC, id DESC LIMIT ?4",
        &[
            s(monitor_id),
            n(bts.min(i64::MAX / 2)),
            s(bid),
            n(i64::from(limit)),
        ],
    )?
    .all()
    .await?
    .results::<IncidentRow>()?;
    rows.into_iter().map(any_from).collect()
}

/// One incident of either kind.
pub async fn incident(db: &D1Database, id: &str) -> Result<Option<AnyStored>> {
    let row: Option<IncidentRow> = stmt(
        db,
        "SELECT kind, opened_at, closed_at, data FROM incidents WHERE id = ?1",
        &[s(id)],
    )?
    .first(None)
    .await?;
    row.map(any_from).transpose()
}

/// Rollup rows of one granularity with `from <= bucket_start < to`, optionally one region and
/// one path, oldest first, at most [`ROLLUP_ROWS_MAX`].
pub async fn rollups(
    db: &D1Database,
    monitor_id: &str,
    granularity: Granularity,
    from: UnixMillis,
    to: UnixMillis,
    region: Option<&str>,
    path: Option<PathKind>,
) -> Result<Vec<Rollup>> {
    #[derive(Deserialize)]
    struct Row {
        data: String,
    }
    let rows = stmt(
        db,
        "SELECT data FROM rollups WHERE monitor_id = ?1 AND granularity = ?2 AND bucket_start >= ?3 AND bucket_start < ?4 \
AND (?5 IS NULL OR region = ?5) AND (?6 IS NULL OR path = ?6) ORDER BY bucket_start, region, path LIMIT ?7",
        &[
            s(monitor_id),
            s(granularity.as_str()),
            n(from),
            n(to),
            opt_s(region),
            opt_s(path.map(PathKind::as_str)),
            n(i64::from(ROLLUP_ROWS_MAX)),
        ],
    )?
    .all()
    .await?
    .results::<Row>()?;
    let mut out: Vec<Rollup> = rows
        .iter()
        .map(|r| from_json(&r.data))
        .collect::<Result<_>>()?;
    // The hours the cron has not rolled yet (the current one at least) live in `hour_stats`:
    // added here so every reader sees rounds from the first check.
    let fresh: Vec<Rollup> = super::hours::for_monitor(db, monitor_id, from, to)
        .await?
        .into_iter()
        .filter(|r| region.is_none_or(|x| x == r.region) && path.is_none_or(|p| p == r.path))
        .collect();
    match granularity {
        Granularity::Hour => out.extend(fresh),
        Granularity::Day => {
            for day in rollup::roll_hours_into_days(&fresh) {
                match out.iter_mut().find(|r| {
                    r.bucket_start == day.bucket_start
                        && r.region == day.region
                        && r.path == day.path
                }) {
                    Some(r) => *r = rollup::merge(r, &day).unwrap_or_else(|_| r.clone()),
                    None => out.push(day),
                }
            }
        }
    }
    out.sort_by(|a, b| {
        (a.bucket_start, &a.region, a.path).cmp(&(b.bucket_start, &b.region, b.path))
    });
    out.truncate(ROLLUP_ROWS_MAX as usize);
    Ok(out)
}
