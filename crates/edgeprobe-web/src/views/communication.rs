//! Bodies of incident communication and maintenance: operator updates, manual incidents (and
//! the list item that is either kind of incident), and maintenance windows as their own
//! resource. Times in RFC 3339 ([`Rfc3339`]).

use schemars::JsonSchema;
use serde::Serialize;

use super::history::IncidentView;
use super::time::Rfc3339;
use crate::validate::window_id;
use edgeprobe_core::communication::{Impact, IncidentUpdate, ManualIncident, UpdateState};
use edgeprobe_core::monitor::MaintenanceWindow;
use edgeprobe_core::time::UnixMillis;

/// One operator update of an incident.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[schemars(rename = "IncidentUpdate", deny_unknown_fields)]
pub struct IncidentUpdateView {
    /// Opaque id (`upd_` + random).
    pub id: String,
    pub incident_id: String,
    pub at: Rfc3339,
    /// investigating, identified, monitoring or resolved.
    pub state: UpdateState,
    /// Written for visitors: shown on the public page and feeds wherever the incident is.
    pub message: String,
}

impl From<IncidentUpdate> for IncidentUpdateView {
    fn from(u: IncidentUpdate) -> IncidentUpdateView {
        IncidentUpdateView {
            id: u.id,
            incident_id: u.incident_id,
            at: Rfc3339(u.at),
            state: u.state,
            message: u.message,
        }
    }
}

/// The kind of a manual incident (the member that tells the two kinds apart).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ManualKind {
    Manual,
}

/// An incident opened by an operator (`POST /api/v1/incidents`).
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[schemars(rename = "ManualIncident", deny_unknown_fields)]
pub struct ManualIncidentView {
    pub kind: ManualKind,
    /// Opaque id (`inc_` + random).
    pub id: String,
    pub title: String,
    /// The monitors it concerns; empty: site-wide.
    pub monitor_ids: Vec<String>,
    /// minor, major or critical: sets the status page's overall state while open.
    pub impact: Impact,
    /// The state of the latest update.
    pub state: UpdateState,
    pub opened_at: Rfc3339,
    /// Null until the `resolved` update.
    pub closed_at: Option<Rfc3339>,
    /// Oldest first; the first is the one it was opened with.
    pub updates: Vec<IncidentUpdateView>,
}

impl ManualIncidentView {
    pub fn new(i: ManualIncident, updates: Vec<IncidentUpdate>) -> ManualIncidentView {
        ManualIncidentView {
            kind: ManualKind::Manual,
            id: i.id,
            title: i.title,
            monitor_ids: i.monitor_ids,
            impact: i.impact,
            state: i.state,
            opened_at: Rfc3339(i.opened_at),
            closed_at: i.closed_at.map(Rfc3339),
            updates: updates.into_iter().map(Into::into).collect(),
        }
    }
}

/// Either kind of incident, told apart by `kind`.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(untagged)]
#[schemars(rename = "AnyIncident")]
pub enum AnyIncident {
    Automatic(Box<IncidentView>),
    Manual(Box<ManualIncidentView>),
}

/// A maintenance window as its own resource (`/api/v1/monitors/{id}/maintenance`).
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[schemars(rename = "MaintenanceWindowItem", deny_unknown_fields)]
pub struct MaintenanceWindowItem {
    /// `mw_` + a hash of the window's times and reason (stable while the window is unchanged).
    pub id: String,
    pub monitor_id: String,
    pub starts_at: Rfc3339,
    pub ends_at: Rfc3339,
    pub reason: Option<String>,
    /// The window is on at the time of the request: alerts are muted, the page says
    /// "Under maintenance".
    pub active: bool,
}

impl MaintenanceWindowItem {
    pub fn new(monitor_id: &str, w: &MaintenanceWindow, now: UnixMillis) -> MaintenanceWindowItem {
        MaintenanceWindowItem {
            id: window_id(w),
            monitor_id: monitor_id.to_string(),
            starts_at: Rfc3339(w.starts_at),
            ends_at: Rfc3339(w.ends_at),
            reason: w.reason.clone(),
            active: w.contains(now),
        }
    }
}

/// A monitor's maintenance windows, soonest first.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[schemars(rename = "MaintenanceWindowList", deny_unknown_fields)]
pub struct MaintenanceWindowList {
    pub items: Vec<MaintenanceWindowItem>,
}
