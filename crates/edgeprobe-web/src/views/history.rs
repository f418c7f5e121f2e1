//! The reading endpoints' bodies: a monitor's current status, its rounds with their
//! observations, incidents and rollups. Times are RFC 3339 ([`Rfc3339`]) like everywhere in
//! the API: the stored core types (`CurrentStatus`, `Incident`, `Rollup`) keep Unix
//! milliseconds, and these views restate them member by member with their times converted.
//!
//! A round has one shape wherever it is shown: `GET /results` lists [`RoundView`]s read back
//! from storage, and `POST /monitors/{id}/check` and the dry run `POST /check` answer a
//! [`RoundView`] built from the round just run ([`RoundView::from_outcome`]).

use schemars::gen::SchemaGenerator;
use schemars::schema::Schema;
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{json, Value};

use super::monitor::schema;
use super::time::Rfc3339;
use edgeprobe_core::alerting::certs::CertWatch;
use edgeprobe_core::alerting::{Incident, TimelineEvent, TimelineKind};
use edgeprobe_core::diagnosis::{Diagnosis, Severity, Verdict};
use edgeprobe_core::messages::RoundOutcome;
use edgeprobe_core::monitor::Monitor;
use edgeprobe_core::rollup::{Granularity, Rollup};
use edgeprobe_core::round::observation_rows;
use edgeprobe_core::status::{CurrentStatus, Health, RegionSummary};
use edgeprobe_core::time::UnixMillis;

/// `GET /monitors/{id}/status`: the current-status document, or for a monitor never probed
/// yet a short document saying so (the monitor exists, so this is not a 404).
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(untagged)]
#[schemars(rename = "MonitorStatus")]
pub enum StatusView {
    Probed(Box<CurrentStatusView>),
    NeverProbed(NeverProbed),
}

/// The current status of a monitor probed at least once: the KV document, times in RFC 3339.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[schemars(rename = "CurrentStatus", deny_unknown_fields)]
pub struct CurrentStatusView {
    pub monitor_id: String,
    pub slug: String,
    pub name: String,
    pub public: bool,
    pub health: Health,
    pub diagnosis: Diagnosis,
    pub regions: Vec<RegionSummary>,
    /// The round that produced this status.
    pub round_id: String,
    pub updated_at: Rfc3339,
    /// The latest certificate each region was presented on each path by the own TLS client
    /// (which re-reads it every few hours), with its days left; empty until one was read.
    pub certificates: Vec<CertificateView>,
    /// Regions whose last look found the front on a CDN's own network: its certificate is
    /// managed by the CDN (`cdn`) and not probed (no socket from the Worker reaches it).
    pub edge_managed_by_cdn: Vec<ManagedEdgeView>,
}

/// A region whose front's certificate the CDN manages.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct ManagedEdgeView {
    pub region: String,
    /// E.g. `Cloudflare`.
    pub cdn: String,
}

/// One certificate as the API shows it (`GET /monitors/{id}/status`).
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[schemars(rename = "SeenCertificate", deny_unknown_fields)]
pub struct CertificateView {
    /// `edge` (the public host) or `origin` (the direct path).
    pub path: edgeprobe_core::diagnosis::PathKind,
    pub region: String,
    pub subject: String,
    pub issuer: String,
    pub not_after: Rfc3339,
    /// Whole days from the response to `not_after` (negative once expired).
    pub days_left: i64,
    /// SHA-256 of the certificate's DER, hex, colon-separated.
    pub sha256: String,
    /// When this region was first presented this certificate on this path.
    pub first_seen_at: Rfc3339,
    /// A `cert_expiring` warning stands for it (sent once per certificate).
    pub warned: bool,
}

impl CertificateView {
    /// The watch's certificates as of `now` (days left are counted from it).
    pub fn list(watch: &CertWatch, now: UnixMillis) -> Vec<CertificateView> {
        watch
            .seen
            .iter()
            .map(|c| CertificateView {
                path: c.path,
                region: c.region.clone(),
                subject: c.subject.clone(),
                issuer: c.issuer.clone(),
                not_after: Rfc3339(c.not_after),
                days_left: c.days_left(now),
                sha256: c.sha256.clone(),
                first_seen_at: Rfc3339(c.seen_at),
                warned: watch
                    .warned
                    .iter()
                    .any(|w| w.path == c.path && w.sha256 == c.sha256),
            })
            .collect()
    }
}

impl From<CurrentStatus> for CurrentStatusView {
    fn from(s: CurrentStatus) -> CurrentStatusView {
        CurrentStatusView {
            monitor_id: s.monitor_id,
            slug: s.slug,
            name: s.name,
            public: s.public,
            health: s.health,
            diagnosis: s.diagnosis,
            regions: s.regions,
            round_id: s.round_id,
            updated_at: Rfc3339(s.updated_at),
            certificates: Vec::new(),
            edge_managed_by_cdn: Vec::new(),
        }
    }
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
    pub fn probed(s: CurrentStatus) -> StatusView {
        StatusView::Probed(Box::new(s.into()))
    }

    /// The status with the monitor's certificates (days left counted from `now`).
    pub fn with_certificates(self, watch: &CertWatch, now: UnixMillis) -> StatusView {
        match self {
            StatusView::Probed(mut s) => {
                s.certificates = CertificateView::list(watch, now);
                s.edge_managed_by_cdn = watch
                    .managed
                    .iter()
                    .map(|x| ManagedEdgeView {
                        region: x.region.clone(),
                        cdn: x.cdn.clone(),
                    })
                    .collect();
                StatusView::Probed(s)
            }
            other => other,
        }
    }

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
    /// When the round was due (null for a manual round or a dry run).
    pub scheduled_for: Option<Rfc3339>,
    pub started_at: Rfc3339,
    /// Null for a missed round.
    pub finished_at: Option<Rfc3339>,
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
    /// When the path was probed (the round's start).
    pub at: Option<Rfc3339>,
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

impl RoundView {
    /// The round just run (check now, dry run), in the shape `GET /results` reads it back:
    /// observations as `core::round::observation_rows` records them, each at the round's start.
    pub fn from_outcome(
        m: &Monitor,
        o: &RoundOutcome,
        scheduled_for: Option<UnixMillis>,
    ) -> RoundView {
        let observations = observation_rows(m, &o.reports)
            .into_iter()
            .map(|r| ObservationView {
                region: r.region,
                path: r.path.map_or("none", |p| p.as_str()).to_string(),
                at: Some(Rfc3339(o.started_at)),
                ok: r.ok,
                latency_ms: r.latency_ms.map(i64::from),
                colo: r.colo,
                data: r.data,
            })
            .collect();
        RoundView {
            id: o.round_id.clone(),
            monitor_id: o.monitor_id.clone(),
            kind: o.kind.as_str().to_string(),
            scheduled_for: scheduled_for.map(Rfc3339),
            started_at: Rfc3339(o.started_at),
            finished_at: Some(Rfc3339(o.finished_at)),
            verdict: Some(o.diagnosis.verdict.as_str().to_string()),
            severity: serde_json::to_value(o.diagnosis.severity)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string)),
            diagnosis: Some(StoredDiagnosis::Diagnosis(o.diagnosis.clone())),
            observations,
        }
    }
}

/// An incident: the core's `Incident` (with its timeline) plus when it was opened and closed,
/// times in RFC 3339.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[schemars(rename = "Incident", deny_unknown_fields)]
pub struct IncidentView {
    /// `automatic`: opened and closed by the checks (a manual incident says `manual`).
    pub kind: AutomaticKind,
    /// Opaque id (`inc_` + random).
    pub id: String,
    pub monitor_id: String,
    /// The first failing round (before confirmation).
    pub started_at: Rfc3339,
    pub confirmed_at: Rfc3339,
    /// The verdict that confirmed the incident.
    pub verdict: Verdict,
    pub severity: Severity,
    pub summary: String,
    pub regions: Vec<String>,
    /// Oldest first: `suspected`, then `confirmed`, ...
    pub timeline: Vec<TimelineEventView>,
    pub opened_at: Rfc3339,
    /// Null while ongoing.
    pub closed_at: Option<Rfc3339>,
    /// Operator updates, oldest first (commentary: they neither open nor close it).
    pub updates: Vec<super::IncidentUpdateView>,
}

/// The kind of an incident the checks opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AutomaticKind {
    Automatic,
}

/// One entry of an incident's timeline.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[schemars(rename = "TimelineEvent", deny_unknown_fields)]
pub struct TimelineEventView {
    pub at: Rfc3339,
    pub kind: TimelineKind,
    /// The round's verdict at that moment.
    pub verdict: Verdict,
    /// The round's summary in plain words.
    pub summary: String,
    /// Regions where the problem showed in that round, sorted.
    pub regions: Vec<String>,
    /// The probe round that caused the event.
    pub round_id: String,
}

impl From<TimelineEvent> for TimelineEventView {
    fn from(e: TimelineEvent) -> TimelineEventView {
        TimelineEventView {
            at: Rfc3339(e.at),
            kind: e.kind,
            verdict: e.verdict,
            summary: e.summary,
            regions: e.regions,
            round_id: e.round_id,
        }
    }
}

impl IncidentView {
    pub fn new(
        incident: Incident,
        opened_at: UnixMillis,
        closed_at: Option<UnixMillis>,
    ) -> IncidentView {
        IncidentView {
            kind: AutomaticKind::Automatic,
            id: incident.id,
            monitor_id: incident.monitor_id,
            started_at: Rfc3339(incident.started_at),
            confirmed_at: Rfc3339(incident.confirmed_at),
            verdict: incident.verdict,
            severity: incident.severity,
            summary: incident.summary,
            regions: incident.regions,
            timeline: incident.timeline.into_iter().map(Into::into).collect(),
            opened_at: Rfc3339(opened_at),
            closed_at: closed_at.map(Rfc3339),
            updates: Vec::new(),
        }
    }

    /// With its operator updates (oldest first).
    pub fn with_updates(
        mut self,
        updates: Vec<edgeprobe_core::communication::IncidentUpdate>,
    ) -> IncidentView {
        self.updates = updates.into_iter().map(Into::into).collect();
        self
    }
}

paged_list! {
    /// Incidents, newest first: automatic ones and the manual ones naming the monitor.
    IncidentList of super::AnyIncident
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
    /// The start of the hour or day (UTC).
    pub bucket_start: Rfc3339,
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
            bucket_start: Rfc3339(r.bucket_start),
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
