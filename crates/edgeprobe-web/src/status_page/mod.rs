//! The public status page, rendered on the server: `/status` (every public monitor) and
//! `/status/{slug}` (one monitor, its diagnosis explained, a region × path grid, uptime, a
//! latency sparkline, recent incidents).
//!
//! This module owns the view models ([`PageMonitor`], [`PageIncident`]) and the HTML. The
//! platform maps its rows into the view models and passes the current time; nothing here
//! reads storage or a clock. Pages are self-contained (inline CSS, inline SVG, no scripts, no
//! external assets). The markup is in askama templates (templates/status_page/), which escape
//! every dynamic text (see `crate::markup`); the modules here compute what the templates show.

mod bars;
mod chart;
pub mod document;
mod feed;
mod format;
mod index;
mod layout;
mod monitor;
mod regions;
mod sparkline;
mod updates;
mod words;

pub use bars::{DayBar, MINOR_UPTIME};
pub use chart::RegionSeries;
pub use feed::{render_feed, render_feed_with};
pub use format::{format_duration, readable_time};
pub use index::{overall, render_index, render_index_with, Overall};
pub use layout::{render_not_found, FAVICON_SVG};
pub use monitor::render_monitor;
pub use regions::region_name;
pub use sparkline::sparkline_svg;
pub use words::{customer_title, customer_words, verdict_title, Detail};

use edgeprobe_core::alerting::certs::{ManagedEdge, SeenCertificate};
use serde::{Deserialize, Serialize};

use edgeprobe_core::communication::{Impact, UpdateState};
use edgeprobe_core::diagnosis::Verdict;
use edgeprobe_core::status::{CurrentStatus, Health, RegionSummary};
use edgeprobe_core::time::UnixMillis;

/// One monitor as the status page shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PageMonitor {
    /// URL-safe; the page lives at `/status/{slug}`.
    pub slug: String,
    pub name: String,
    pub health: Health,
    /// The diagnosis in plain words (its `summary`).
    pub summary: String,
    pub verdict: Verdict,
    /// What to check, in order; shown when the monitor is not up.
    pub checklist: Vec<String>,
    /// The last round, one row per region.
    pub regions: Vec<RegionSummary>,
    /// Uptime percentages; `None` when there is no data for the window.
    pub uptime_24h: Option<f64>,
    pub uptime_7d: Option<f64>,
    pub uptime_30d: Option<f64>,
    /// Edge latency over time (oldest first); `None` marks a round without a latency.
    pub latency_series: Vec<(UnixMillis, Option<u32>)>,
    /// Most recent first.
    pub incidents: Vec<PageIncident>,
    /// When the last round finished; `None`: never probed.
    pub updated_at: Option<UnixMillis>,
    /// The last 90 UTC days, oldest first (`document::BAR_DAYS`); empty: not computed.
    #[serde(default)]
    pub days: Vec<DayBar>,
    /// Response time per region over the last 24 hours (the monitor page's chart).
    #[serde(default)]
    pub chart: Vec<RegionSeries>,
    /// Maintenance windows not over yet, soonest first (active ones are shown as a banner,
    /// later ones announced).
    #[serde(default)]
    pub maintenance: Vec<PageMaintenance>,
    /// The latest certificate each region saw on each path (`core::alerting::certs`), shown
    /// in the operator view (and to visitors of `public_detail: full` monitors) only.
    #[serde(default)]
    pub certificates: Vec<SeenCertificate>,
    /// Regions whose front is on the CDN's own network: its certificate is managed by the
    /// CDN and not probed (operator view only, like `certificates`).
    #[serde(default)]
    pub edge_managed: Vec<ManagedEdge>,
}

/// A maintenance window as the pages show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageMaintenance {
    pub starts_at: UnixMillis,
    pub ends_at: UnixMillis,
    pub reason: Option<String>,
}

impl PageMaintenance {
    pub fn active(&self, now: UnixMillis) -> bool {
        self.starts_at <= now && now < self.ends_at
    }
}

impl PageMonitor {
    /// In a maintenance window at `now`.
    pub fn in_maintenance(&self, now: UnixMillis) -> bool {
        self.maintenance.iter().any(|w| w.active(now))
    }
}

impl PageMonitor {
    /// The parts the current-status document holds. Uptime, the latency series and incidents
    /// start empty; the platform fills them from rollups and the incidents table.
    pub fn from_status(status: &CurrentStatus) -> PageMonitor {
        PageMonitor {
            slug: status.slug.clone(),
            name: status.name.clone(),
            health: status.health,
            summary: status.diagnosis.summary(),
            verdict: status.diagnosis.verdict,
            checklist: status.diagnosis.checklist(),
            regions: status.regions.clone(),
            uptime_24h: None,
            uptime_7d: None,
            uptime_30d: None,
            latency_series: Vec::new(),
            incidents: Vec::new(),
            updated_at: Some(status.updated_at),
            days: Vec::new(),
            chart: Vec::new(),
            maintenance: Vec::new(),
            certificates: Vec::new(),
            edge_managed: Vec::new(),
        }
    }

    /// A public monitor that has no status document yet (never probed).
    pub fn never_probed(slug: &str, name: &str) -> PageMonitor {
        PageMonitor {
            slug: slug.to_string(),
            name: name.to_string(),
            health: Health::Unknown,
            summary: String::new(),
            verdict: Verdict::Inconclusive,
            checklist: Vec::new(),
            regions: Vec::new(),
            uptime_24h: None,
            uptime_7d: None,
            uptime_30d: None,
            latency_series: Vec::new(),
            incidents: Vec::new(),
            updated_at: None,
            days: Vec::new(),
            chart: Vec::new(),
            maintenance: Vec::new(),
            certificates: Vec::new(),
            edge_managed: Vec::new(),
        }
    }
}

/// An incident as the pages show it: opened by the checks (`manual: None`) or by an operator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PageIncident {
    pub started_at: UnixMillis,
    /// `None`: still ongoing.
    pub ended_at: Option<UnixMillis>,
    /// The checks' verdict (for a manual incident: `inconclusive`, not shown).
    pub verdict: Verdict,
    pub summary: String,
    pub regions: Vec<String>,
    /// The incident's id (links, feed entries, finding its updates).
    #[serde(default)]
    pub id: String,
    /// Operator updates, oldest first. Written for visitors, so public on public pages.
    #[serde(default)]
    pub updates: Vec<PageUpdate>,
    /// Set for an incident an operator opened.
    #[serde(default)]
    pub manual: Option<PageManual>,
}

/// One operator update as the pages show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageUpdate {
    pub id: String,
    pub at: UnixMillis,
    pub state: UpdateState,
    pub message: String,
}

/// What an operator said an incident is about, and how bad it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageManual {
    pub title: String,
    pub impact: Impact,
    /// The names of the public monitors it concerns; empty: site-wide.
    pub monitors: Vec<String>,
}

impl PageIncident {
    pub fn ongoing(&self) -> bool {
        self.ended_at.is_none()
    }

    /// The newest operator update.
    pub fn latest_update(&self) -> Option<&PageUpdate> {
        self.updates.last()
    }
}

#[cfg(test)]
mod tests;
