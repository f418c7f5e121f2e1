//! Precomputed public documents: what `/status`, `/status/{slug}` and the badges read, built
//! once per cron run instead of once per request (issue 12 item 5, "cheap public reads").
//!
//! [`build_documents`] is a pure function of what the store returns for *all* public monitors
//! at once (the monitors, their current-status documents, hourly and daily rollups, the raw
//! samples of the hour not rolled yet, recent incidents) and the current time. It returns one
//! [`IndexDocument`] (every card of `/status`) and one [`MonitorDocument`] per public monitor
//! (its page and everything its badges may show). The platform serialises them, and
//! [`plan_writes`] decides which to write: only documents whose content hash changed, plus a
//! heartbeat rewrite of unchanged ones after [`HEARTBEAT`] (so a lost write heals itself), and
//! deletes of documents no longer produced (a monitor made private, renamed or deleted).
//!
//! Windows (pages and badges alike), edge path only (what users get):
//! - 24 hours: hourly rollups of the last 24 h plus the current hour from raw samples;
//! - 7 and 30 days: daily rollups of finished days plus today's hours (finished and current);
//!   a window starts at a day boundary (7 or 30 whole days before today, plus today);
//! - the current hour comes from raw samples, so uptime and response time show from the
//!   first check, not an hour later.
//!
//! Nothing here reads storage or a clock; rendering stays in `index`/`monitor` (a document is
//! data, rendered per request with the request's time, so "3 min ago" stays true).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{PageIncident, PageMaintenance, PageManual, PageMonitor, PageUpdate};
use crate::badge::BadgeInput;
use edgeprobe_core::communication::{IncidentUpdate, ManualIncident};
use edgeprobe_core::diagnosis::PathKind;
use edgeprobe_core::monitor::{Monitor, PublicDetail};
use edgeprobe_core::rollup::{latency_p50, uptime, Granularity, Rollup};
use edgeprobe_core::status::CurrentStatus;
use edgeprobe_core::time::{UnixMillis, DAY, HOUR};

/// Days of daily bars on the pages.
pub const BAR_DAYS: i64 = 90;
/// An unchanged document is rewritten after this long anyway (bounds how long a lost or
/// raced write can leave a stale document: at most one write per document per heartbeat).
pub const HEARTBEAT: i64 = 30 * 60 * 1000;
/// Maintenance windows shown per monitor (the soonest).
const MAX_MAINTENANCE: usize = 5;
/// Incidents kept per monitor document (automatic and manual together, the newest).
pub const MAX_PAGE_INCIDENTS: usize = 10;
/// The KV key of the index document.
pub const INDEX_KEY: &str = "page:index";

/// The KV key of a monitor's document.
pub fn monitor_key(slug: &str) -> String {
    format!("page:monitor:{slug}")
}

/// Everything `/status` shows: one card per public monitor, in the store's order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IndexDocument {
    pub monitors: Vec<PageMonitor>,
    /// Site-wide manual incidents (naming no monitor), newest first: open ones and those
    /// closed recently (see [`Facts::manual`]).
    #[serde(default)]
    pub incidents: Vec<PageIncident>,
}

/// Everything `/status/{slug}` and `/badge/{slug}.*` show for one monitor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MonitorDocument {
    pub page: PageMonitor,
    /// The badge's facts for all regions together.
    pub badge: BadgeInput,
    /// Uptime and latency per region (`?region=`), for the regions that have data.
    pub badge_regions: BTreeMap<String, Figures>,
    /// The monitor opted in to showing visitors the full detail (`public_detail: full`).
    #[serde(default)]
    pub full_detail: bool,
}

impl MonitorDocument {
    /// The badge input for a query's region scope: the figures of that region (all `None`
    /// when it has no data), the monitor's figures without one.
    pub fn badge_input(&self, region: Option<&str>) -> BadgeInput {
        let mut input = self.badge.clone();
        if let Some(region) = region {
            self.badge_regions
                .get(region)
                .cloned()
                .unwrap_or_default()
                .apply(&mut input);
        }
        input
    }
}

/// Uptime and median latency over 24 h, 7 days, 30 days.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Figures {
    pub uptime: [Option<f64>; 3],
    pub p50: [Option<u32>; 3],
    #[serde(default)]
    pub p95: [Option<u32>; 3],
}

impl Figures {
    fn apply(&self, input: &mut BadgeInput) {
        [input.uptime_24h, input.uptime_7d, input.uptime_30d] = self.uptime;
        [
            input.latency_p50_24h,
            input.latency_p50_7d,
            input.latency_p50_30d,
        ] = self.p50;
        [
            input.latency_p95_24h,
            input.latency_p95_7d,
            input.latency_p95_30d,
        ] = self.p95;
    }
}

/// One public monitor's facts, as the store returned them.
#[derive(Debug, Clone)]
pub struct MonitorFacts {
    pub monitor: Monitor,
    /// `None`: never probed.
    pub status: Option<CurrentStatus>,
    /// Most recent first.
    pub incidents: Vec<PageIncident>,
    /// The latest certificate per path and region, and the regions whose front is managed by
    /// the CDN (from the alert state; empty when none was read yet).
    pub certificates: edgeprobe_core::alerting::certs::CertWatch,
}

/// What the store returned for all public monitors at once.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub monitors: Vec<MonitorFacts>,
    /// Hourly rollups (any path; only edge is used) from at least 24 h before `now`.
    pub hourly: Vec<Rollup>,
    /// Daily rollups of finished days, from at least [`BAR_DAYS`] days before today.
    pub daily: Vec<Rollup>,
    /// Hourly rollups of the hours not rolled into `hourly` yet (the current hour so far),
    /// from the hour rows every round updates in place.
    pub recent: Vec<Rollup>,
    /// Manual incidents: every open one and the recently closed ones, newest first. Each is
    /// shown on the pages of the public monitors it names; one naming none is site-wide (the
    /// index and the site feed); one naming only private monitors is not shown at all.
    pub manual: Vec<ManualIncident>,
    /// Operator updates of the incidents above and of the monitors' incidents, oldest first.
    pub updates: Vec<IncidentUpdate>,
}

/// A manual incident as the pages show it (`names`: the public monitors it concerns).
fn manual_page_incident(m: &ManualIncident, names: Vec<String>) -> PageIncident {
    PageIncident {
        started_at: m.opened_at,
        ended_at: m.closed_at,
        verdict: edgeprobe_core::diagnosis::Verdict::Inconclusive,
        summary: m.title.clone(),
        regions: Vec::new(),
        id: m.id.clone(),
        updates: Vec::new(),
        manual: Some(PageManual {
            title: m.title.clone(),
            impact: m.impact,
            monitors: names,
        }),
    }
}

/// Attaches each incident's operator updates (oldest first).
fn attach_updates(incidents: &mut [PageIncident], by_incident: &BTreeMap<&str, Vec<PageUpdate>>) {
    for i in incidents {
        if let Some(u) = by_incident.get(i.id.as_str()) {
            i.updates = u.clone();
        }
    }
}

/// The documents of one build.
#[derive(Debug, Clone, PartialEq)]
pub struct Documents {
    pub index: IndexDocument,
    /// (slug, document), in the index's order.
    pub monitors: Vec<(String, MonitorDocument)>,
}

/// Builds every public document from the facts at `now`.
pub fn build_documents(facts: &Facts, now: UnixMillis) -> Documents {
    let edge = |r: &&Rollup| r.path == PathKind::Edge;
    // Hours: rolled hours plus the ones not rolled yet (the current hour so far); the
    // unrolled rows start after the last rolled hour, so none is counted twice.
    let mut hours_by_monitor: BTreeMap<&str, Vec<Rollup>> = BTreeMap::new();
    for r in facts
        .hourly
        .iter()
        .filter(edge)
        .chain(facts.recent.iter().filter(edge))
    {
        hours_by_monitor
            .entry(r.monitor_id.as_str())
            .or_default()
            .push(r.clone());
    }
    let mut days_by_monitor: BTreeMap<&str, Vec<Rollup>> = BTreeMap::new();
    for r in facts.daily.iter().filter(edge) {
        days_by_monitor
            .entry(r.monitor_id.as_str())
            .or_default()
            .push(r.clone());
    }
    let mut updates: BTreeMap<&str, Vec<PageUpdate>> = BTreeMap::new();
    for u in &facts.updates {
        updates
            .entry(u.incident_id.as_str())
            .or_default()
            .push(PageUpdate {
                id: u.id.clone(),
                at: u.at,
                state: u.state,
                message: u.message.clone(),
            });
    }
    let public_names: BTreeMap<&str, &str> = facts
        .monitors
        .iter()
        .map(|f| (f.monitor.id.as_str(), f.monitor.name.as_str()))
        .collect();
    let mut manual_by_monitor: BTreeMap<&str, Vec<PageIncident>> = BTreeMap::new();
    let mut site_wide = Vec::new();
    for m in &facts.manual {
        let names: Vec<String> = m
            .monitor_ids
            .iter()
            .filter_map(|id| public_names.get(id.as_str()).map(|n| n.to_string()))
            .collect();
        if m.monitor_ids.is_empty() {
            site_wide.push(manual_page_incident(m, names));
            continue;
        }
        for id in &m.monitor_ids {
            if let Some((id, _)) = public_names.get_key_value(id.as_str()) {
                manual_by_monitor
                    .entry(id)
                    .or_default()
                    .push(manual_page_incident(m, names.clone()));
            }
        }
    }
    attach_updates(&mut site_wide, &updates);
    let empty = Vec::new();
    let monitors: Vec<(String, MonitorDocument)> = facts
        .monitors
        .iter()
        .map(|f| {
            let id = f.monitor.id.as_str();
            let hours = hours_by_monitor.get(id).unwrap_or(&empty);
            let days = days_by_monitor.get(id).unwrap_or(&empty);
            let mut incidents: Vec<PageIncident> = f.incidents.clone();
            incidents.extend(manual_by_monitor.remove(id).unwrap_or_default());
            incidents.sort_by(|a, b| b.started_at.cmp(&a.started_at).then(a.id.cmp(&b.id)));
            incidents.truncate(MAX_PAGE_INCIDENTS);
            attach_updates(&mut incidents, &updates);
            (
                f.monitor.slug.clone(),
                monitor_document(f, &incidents, hours, days, now),
            )
        })
        .collect();
    let index = IndexDocument {
        monitors: monitors
            .iter()
            .map(|(_, d)| PageMonitor {
                // The cards do not show the per-region chart (the incidents feed the Atom feed).
                chart: Vec::new(),
                certificates: Vec::new(),
                edge_managed: Vec::new(),
                ..d.page.clone()
            })
            .collect(),
        incidents: site_wide,
    };
    Documents { index, monitors }
}

fn monitor_document(
    f: &MonitorFacts,
    incidents: &[PageIncident],
    hours: &[Rollup],
    days: &[Rollup],
    now: UnixMillis,
) -> MonitorDocument {
    let m = &f.monitor;
    let maintenance = m.in_maintenance(now);
    let mut page = match &f.status {
        Some(s) => PageMonitor::from_status(s),
        None => PageMonitor::never_probed(&m.slug, &m.name),
    };
    let mut badge = match &f.status {
        Some(s) => BadgeInput::from_status(s, maintenance),
        None => BadgeInput::never_probed(&m.name, maintenance),
    };
    // The status document may predate a rename.
    page.slug = m.slug.clone();
    page.name = m.name.clone();
    badge.name = m.name.clone();

    let all = figures(hours, days, now);
    [page.uptime_24h, page.uptime_7d, page.uptime_30d] = all.uptime;
    all.apply(&mut badge);
    let hour_now = Granularity::Hour.bucket_start(now);
    page.latency_series =
        edgeprobe_core::rollup::latency_series(hours, hour_now - DAY + HOUR, hour_now + HOUR, HOUR);
    page.days = super::bars::day_bars(hours, days, incidents, now);
    page.chart = super::chart::region_series(hours, now);
    page.incidents = incidents.to_vec();
    let mut windows: Vec<PageMaintenance> = m
        .maintenance
        .iter()
        .filter(|w| w.ends_at > now)
        .map(|w| PageMaintenance {
            starts_at: w.starts_at,
            ends_at: w.ends_at,
            reason: w.reason.clone(),
        })
        .collect();
    windows.sort_by_key(|w| w.starts_at);
    windows.truncate(MAX_MAINTENANCE);
    page.maintenance = windows;
    page.certificates = f.certificates.seen.clone();
    page.edge_managed = f.certificates.managed.clone();

    let regions: BTreeSet<&str> = hours
        .iter()
        .chain(days)
        .map(|r| r.region.as_str())
        .collect();
    let badge_regions = regions
        .into_iter()
        .map(|region| {
            let of = |rs: &[Rollup]| -> Vec<Rollup> {
                rs.iter().filter(|r| r.region == region).cloned().collect()
            };
            (region.to_string(), figures(&of(hours), &of(days), now))
        })
        .collect();
    MonitorDocument {
        page,
        badge,
        badge_regions,
        full_detail: m.public_detail == PublicDetail::Full,
    }
}

/// Uptime and p50 of one scope over the three windows (see the module docs).
fn figures(hours: &[Rollup], days: &[Rollup], now: UnixMillis) -> Figures {
    let today = Granularity::Day.bucket_start(now);
    let end = now.saturating_add(1);
    // Finished days plus today's hours: never a day together with its own hours.
    let long: Vec<Rollup> = days
        .iter()
        .filter(|r| r.bucket_start < today)
        .chain(hours.iter().filter(|r| r.bucket_start >= today))
        .cloned()
        .collect();
    let week = today - 7 * DAY;
    let month = today - 30 * DAY;
    Figures {
        uptime: [
            uptime(hours, now - DAY, end),
            uptime(&long, week, end),
            uptime(&long, month, end),
        ],
        p50: [
            latency_p50(hours, now - DAY, end),
            latency_p50(&long, week, end),
            latency_p50(&long, month, end),
        ],
        p95: [
            latency_p95(hours, now - DAY, end),
            latency_p95(&long, week, end),
            latency_p95(&long, month, end),
        ],
    }
}

/// 95th-percentile latency of successful checks in `[from, to)` (histogram precision).
fn latency_p95(rollups: &[Rollup], from: UnixMillis, to: UnixMillis) -> Option<u32> {
    let mut h = edgeprobe_core::rollup::LatencyHistogram::default();
    for r in rollups
        .iter()
        .filter(|r| from <= r.bucket_start && r.bucket_start < to)
    {
        h.absorb(&r.latency);
    }
    h.p95()
}

/// A content hash of a serialised document (hex SHA-256, first 16 bytes).
pub fn content_hash(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// What the store remembers of a written document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    pub hash: String,
    pub written_at: UnixMillis,
}

/// Which documents to write and delete.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WritePlan {
    /// (key, hash) of each document to put.
    pub put: Vec<(String, String)>,
    /// Unchanged documents left alone.
    pub unchanged: usize,
    /// Keys written before but not produced now.
    pub delete: Vec<String>,
}

/// Decides the writes: a document is put when its hash differs from the last written one,
/// when it was never written, or when its last write is older than [`HEARTBEAT`].
pub fn plan_writes(
    previous: &BTreeMap<String, Written>,
    documents: &[(String, String)],
    now: UnixMillis,
) -> WritePlan {
    let mut plan = WritePlan::default();
    for (key, text) in documents {
        let hash = content_hash(text);
        match previous.get(key) {
            Some(w) if w.hash == hash && now - w.written_at < HEARTBEAT => plan.unchanged += 1,
            _ => plan.put.push((key.clone(), hash)),
        }
    }
    let produced: BTreeSet<&str> = documents.iter().map(|(k, _)| k.as_str()).collect();
    plan.delete = previous
        .keys()
        .filter(|k| !produced.contains(k.as_str()))
        .cloned()
        .collect();
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use edgeprobe_core::rollup::{rollup, Sample};

    const NOW: UnixMillis = 20_000 * DAY + 5 * HOUR + 90_000;

    fn sample(monitor: &str, region: &str, at: UnixMillis, ok: bool, ms: u32) -> Sample {
        Sample {
            monitor_id: monitor.into(),
            region: region.into(),
            path: PathKind::Edge,
            at,
            ok,
            latency_ms: ok.then_some(ms),
        }
    }

    fn facts(samples: Vec<Sample>) -> Facts {
        let mut m = edgeprobe_testkit::builders::monitor();
        m.id = "mon_a".into();
        m.slug = "shop".into();
        m.public = true;
        Facts {
            monitors: vec![MonitorFacts {
                monitor: m,
                status: None,
                incidents: Vec::new(),
                certificates: Default::default(),
            }],
            recent: rollup(&samples, Granularity::Hour),
            ..Facts::default()
        }
    }

    /// Issue 12 item 4/5: a monitor checked for the first time a minute ago already shows an
    /// uptime and a response time on its page, its card and its badges.
    #[test]
    fn a_monitor_checked_a_minute_ago_has_figures_from_the_current_hour() {
        let f = facts(vec![
            sample("mon_a", "weur", NOW - 60_000, true, 120),
            sample("mon_a", "enam", NOW - 60_000, false, 0),
            sample("mon_other", "weur", NOW - 60_000, false, 0),
        ]);
        let docs = build_documents(&f, NOW);
        let (slug, doc) = &docs.monitors[0];
        assert_eq!(slug, "shop");
        assert_eq!(doc.page.uptime_24h, Some(50.0));
        assert_eq!(doc.page.uptime_30d, Some(50.0));
        assert_eq!(doc.badge.latency_p50_24h.map(|v| v > 0), Some(true));
        assert_eq!(doc.page.chart.len(), 1, "{:?}", doc.page.chart);
        // The current hour's point so far (its median lies in 120 ms's histogram bucket).
        let hour_now = Granularity::Hour.bucket_start(NOW);
        assert_eq!(doc.page.chart[0].points.len(), 1, "{:?}", doc.page.chart);
        assert_eq!(doc.page.chart[0].points[0].0, hour_now);
        let ms = doc.page.chart[0].points[0].1;
        assert!((104..=139).contains(&ms), "{ms}");
        assert_eq!(doc.page.days.len(), BAR_DAYS as usize);
        assert_eq!(
            doc.page.days.last().map(|d| (d.checks, d.failures)),
            Some((2, 1))
        );
        let weur = doc.badge_input(Some("weur"));
        assert_eq!(weur.uptime_24h, Some(100.0));
        assert_eq!(doc.badge_input(Some("oc")).uptime_24h, None);
        assert_eq!(docs.index.monitors[0].uptime_30d, Some(50.0));
        assert!(
            docs.index.monitors[0].chart.is_empty(),
            "cards carry no chart"
        );
    }

    #[test]
    fn only_changed_documents_are_written_and_stale_ones_deleted() {
        let docs = vec![
            ("page:index".to_string(), "{\"a\":1}".to_string()),
            ("page:monitor:shop".to_string(), "{\"b\":1}".to_string()),
        ];
        let first = plan_writes(&BTreeMap::new(), &docs, NOW);
        assert_eq!(first.put.len(), 2);
        let previous: BTreeMap<String, Written> = first
            .put
            .iter()
            .map(|(k, h)| {
                let w = Written {
                    hash: h.clone(),
                    written_at: NOW,
                };
                (k.clone(), w)
            })
            .collect();
        let same = plan_writes(&previous, &docs, NOW + 60_000);
        assert_eq!((same.put.len(), same.unchanged), (0, 2));
        let changed = vec![
            ("page:index".to_string(), "{\"a\":2}".to_string()),
            ("page:monitor:shop".to_string(), "{\"b\":1}".to_string()),
        ];
        let plan = plan_writes(&previous, &changed, NOW + 60_000);
        assert_eq!(
            plan.put,
            vec![("page:index".to_string(), content_hash("{\"a\":2}"))]
        );
        let heartbeat = plan_writes(&previous, &docs, NOW + HEARTBEAT);
        assert_eq!(heartbeat.put.len(), 2, "rewritten after the heartbeat");
        let gone = plan_writes(&previous, &docs[..1], NOW + 60_000);
        assert_eq!(gone.delete, vec!["page:monitor:shop".to_string()]);
    }
}
