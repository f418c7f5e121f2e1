//! The reading endpoints' bodies: a monitor's current status, its rounds with their
//! observations, incidents and rollups. Times here are Unix milliseconds, as in the stored
//! core types they embed (`CurrentStatus`, `Incident`, `Rollup`).

use schemars::gen::SchemaGenerator;
use schemars::schema::Schema;
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{json, Value};

use super::monitor::schema;
use edgeprobe_core::alerting::Incident;
use edgeprobe_core::diagnosis::Diagnosis;
use edgeprobe_core::monitor::Monitor;
use edgeprobe_core::rollup::{Granularity, Rollup};
use edgeprobe_core::status::CurrentStatus;
use edgeprobe_core::time::UnixMillis;

/// `GET /monitors/{id}/status`: the current-status document, or for a monitor never probed
/// yet a short document saying so (the monitor exists, so this is not a 404).
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(untagged)]
#[schemars(rename = "MonitorStatus")]
pub enum StatusView {
    Probed(Box<CurrentStatus>),
    NeverProbed(NeverProbed),
}

/// A monitor that has not been probed yet.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct NeverProbed {
    pub monitor_id: String,
    pub slug: String,
    pub name: String,
    pub public: bool,
    pub health: UnknownHealth,
    #[schemars(schema_with = "const_true")]
    pub never_probed: bool,
    /// Always null: there is no status document yet.
    pub updated_at: (),
}

/// The only health of a monitor never probed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum UnknownHealth {
    Unknown,
}

fn const_true(_: &mut SchemaGenerator) -> Schema {
    schema(json!({"type": "boolean", "const": true}))
}

impl StatusView {
    pub fn never_probed(m: &Monitor) -> StatusView {
        StatusView::NeverProbed(NeverProbed {
            monitor_id: m.id.clone(),
            slug: m.slug.clone(),
            name: m.name.clone(),
            public: m.public,
            health: UnknownHealth::Unknown,
            never_probed: true,
            updated_at: (),
        })
    }
}

/// One probe round with its observations (one per region and path).
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[schemars(rename = "Round", deny_unknown_fields)]
pub struct RoundView {
    pub id: String,
    pub monitor_id: String,
    /// scheduled, recheck, manual, or missed (a round that was interrupted and never finished).
    pub kind: String,
    /// Unix milliseconds.
    pub scheduled_for: Option<UnixMillis>,
    /// Unix milliseconds.
    pub started_at: UnixMillis,
    /// Unix milliseconds.
    pub finished_at: Option<UnixMillis>,
    /// The diagnosis' verdict (null for a missed round).
    pub verdict: Option<String>,
    /// The diagnosis' severity (null for a missed round).
    pub severity: Option<String>,
    /// Null for a missed round.
    pub diagnosis: Option<StoredDiagnosis>,
    pub observations: Vec<ObservationView>,
}

/// A stored diagnosis: read back as the core type (so its summary and checklist are today's
/// wording); stored text that no longer parses is passed through as a string rather than
/// failing the page.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum StoredDiagnosis {
    Diagnosis(Diagnosis),
    Unreadable(String),
}

impl StoredDiagnosis {
    pub fn parse(text: &str) -> StoredDiagnosis {
        serde_json::from_str(text).map_or_else(
            |_| StoredDiagnosis::Unreadable(text.to_string()),
            StoredDiagnosis::Diagnosis,
        )
    }
}

/// One path of one region in a round.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[schemars(rename = "Observation", deny_unknown_fields)]
pub struct ObservationView {
    pub region: String,
    /// edge, origin, or none for a region that did not answer or was refused.
    pub path: String,
    /// Unix milliseconds.
    pub at: Option<UnixMillis>,
    /// Whether the path looked fine (null for path none).
    pub ok: Option<bool>,
    pub latency_ms: Option<UnixMillis>,
    /// The Cloudflare colo that served the probe.
    pub colo: Option<String>,
    /// The path's observation as recorded (the edge or origin object of schema/observation.schema.json), or {"unanswered": reason} / {"refused_by_policy": reason} for path none.
    pub data: Value,
}

paged_list! {
    /// Rounds, newest first.
    RoundList of RoundView
}

/// An incident: the core's `Incident` (with its timeline) plus when it was opened and closed.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[schemars(rename = "Incident")]
pub struct IncidentView {
    #[serde(flatten)]
    pub incident: Incident,
    /// Unix milliseconds.
    pub opened_at: UnixMillis,
    /// Unix milliseconds; null while ongoing.
    pub closed_at: Option<UnixMillis>,
}

impl IncidentView {
    pub fn new(
        incident: Incident,
        opened_at: UnixMillis,
        closed_at: Option<UnixMillis>,
    ) -> IncidentView {
        IncidentView {
            incident,
            opened_at,
            closed_at,
        }
    }
}

paged_list! {
    /// Incidents, newest first.
    IncidentList of IncidentView
}

/// One hour or day of one monitor's checks of one path from one region.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[schemars(rename = "Rollup", deny_unknown_fields)]
pub struct RollupView {
    pub monitor_id: String,
    pub region: String,
    /// edge or origin.
    pub path: edgeprobe_core::diagnosis::PathKind,
    #[schemars(schema_with = "granularity_schema")]
    pub granularity: Granularity,
    /// Unix milliseconds.
    pub bucket_start: UnixMillis,
    pub checks: u32,
    pub failures: u32,
    /// Latencies of the successful checks: [bucket, count] pairs of a log-scale histogram.
    #[schemars(schema_with = "histogram_schema")]
    pub latency: Value,
    /// Percent of checks that passed; null without checks.
    pub uptime: Option<f64>,
    pub p50_ms: Option<u32>,
    pub p95_ms: Option<u32>,
}

fn granularity_schema(_: &mut SchemaGenerator) -> Schema {
    schema(json!({"type": "string", "enum": ["hour", "day"]}))
}

fn histogram_schema(_: &mut SchemaGenerator) -> Schema {
    schema(json!({
        "type": "array",
        "items": {"type": "array", "prefixItems": [{"type": "integer", "minimum": 0}, {"type": "integer", "minimum": 0}], "items": false},
    }))
}

impl From<&Rollup> for RollupView {
    fn from(r: &Rollup) -> RollupView {
        RollupView {
            monitor_id: r.monitor_id.clone(),
            region: r.region.clone(),
            path: r.path,
            granularity: r.granularity,
            bucket_start: r.bucket_start,
            checks: r.checks,
            failures: r.failures,
            latency: serde_json::to_value(r.latency).unwrap_or(Value::Null),
            uptime: r.uptime(),
            p50_ms: r.p50(),
            p95_ms: r.p95(),
        }
    }
}

/// Rollups, oldest first (not paged: the range is bounded).
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RollupList {
    pub items: Vec<RollupView>,
}
