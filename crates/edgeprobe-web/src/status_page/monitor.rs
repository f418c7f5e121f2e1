//! `/status/{slug}`: one monitor. The verdict in plain words, the checklist when something is
//! wrong, the region × path grid of the last round, uptime, the latency sparkline and recent
//! incidents. The markup is templates/status_page/monitor.html; this module decides what it
//! shows.

use askama::Template;

use super::bars::{bar_views, BarView, MINOR_UPTIME};
use super::chart::{chart_view, ChartView};
use super::format::{ago, format_duration, time, uptime_text, Time};
use super::index::{card_look, notice, Notice};
use super::layout::Look;
use super::sparkline::{series_stats, SeriesStats};
use super::updates::{update_views, UpdateView};
use super::words::{customer_title, customer_words, verdict_title, Detail};
use super::{PageIncident, PageMonitor};
use edgeprobe_core::status::{Health, PathSummary, RegionSummary};
use edgeprobe_core::time::UnixMillis;

/// How many incidents the page lists (the newest).
const MAX_INCIDENTS: usize = 10;

#[derive(Template)]
#[template(path = "status_page/monitor.html")]
struct MonitorPage<'a> {
    site_title: &'a str,
    page_title: &'a str,
    m: &'a PageMonitor,
    look: Look,
    /// Active and upcoming maintenance windows, soonest first.
    notices: Vec<Notice>,
    /// When the last round finished and how long ago; `None`: never checked.
    checked: Option<(Time, String)>,
    /// The heading of the current state: the verdict's title (full) or customer words.
    heading: &'static str,
    /// The sentence under it: the diagnosis summary (full) or customer words.
    summary: &'a str,
    /// Raw evidence per path (status codes, errors, latencies) in the region grid.
    evidence: bool,
    /// The operator view (reached with the API token).
    operator: bool,
    /// The checklist is shown only while something is wrong.
    show_checklist: bool,
    rows: Vec<RegionRow<'a>>,
    /// (window, uptime text) for 24 hours, 7 days, 30 days.
    uptime: [(&'static str, String); 3],
    /// `None`: no round had a latency.
    latency: Option<Latency>,
    /// The 90-day strip; empty when not computed.
    bars: Vec<BarView>,
    minor_uptime: f64,
    /// `None`: no region has a response time yet.
    chart: Option<ChartView>,
    incidents: Vec<IncidentView<'a>>,
    /// The certificates per path and region, with days left: full detail only.
    certificates: Vec<CertRow<'a>>,
    /// (regions, CDN) whose front's certificate the CDN manages: full detail only.
    edge_managed: Option<(String, &'a str)>,
}

/// One certificate of the operator view's table.
struct CertRow<'a> {
    path: &'static str,
    region: &'a str,
    subject: &'a str,
    issuer: &'a str,
    not_after: Time,
    days_left: i64,
    sha256: &'a str,
    seen: Time,
}

struct RegionRow<'a> {
    region: &'a RegionSummary,
    /// The region's name for people ("Western Europe"); empty for an unknown code.
    name: &'static str,
    /// Edge, then origin; `None`: the region did not answer.
    cells: Option<[Cell<'a>; 2]>,
}

/// One path of one region in the grid.
pub(crate) enum Cell<'a> {
    /// No result for this path; the text says why.
    Missing(&'static str),
    /// The path's result: its look (OK or Failed) and the summary.
    Path(Look, &'a PathSummary),
}

struct Latency {
    stats: SeriesStats,
}

struct IncidentView<'a> {
    incident: &'a PageIncident,
    /// `incident-<id>`: the index's "Active incidents" link here.
    anchor: String,
    title: &'a str,
    summary: &'a str,
    /// Opened by an operator: its first update says what it is about, so no summary line.
    manual: bool,
    /// Operator updates, newest first.
    updates: Vec<UpdateView<'a>>,
    /// The regions where it showed, by name ("Western Europe"; the code for an unknown one).
    regions: String,
    started: Time,
    ongoing: bool,
    /// How long it lasted, or has lasted so far when ongoing.
    duration: String,
}

/// Renders the page with the given detail (see [`Detail`]).
pub fn render_monitor(
    m: &PageMonitor,
    now: UnixMillis,
    site_title: &str,
    detail: Detail,
) -> String {
    let full = detail == Detail::Full;
    crate::markup::render(&MonitorPage {
        heading: if full {
            verdict_title(m.verdict)
        } else {
            customer_title(m.health)
        },
        summary: if full {
            &m.summary
        } else {
            customer_words(m.verdict)
        },
        evidence: full,
        operator: full,
        site_title,
        page_title: &m.name,
        m,
        look: card_look(m, now),
        notices: m.maintenance.iter().map(|w| notice(None, w, now)).collect(),
        checked: m.updated_at.map(|t| (time(t), ago(t, now))),
        show_checklist: full && m.health != Health::Up && !m.checklist.is_empty(),
        rows: m.regions.iter().map(region_row).collect(),
        uptime: [
            ("24 hours", uptime_text(m.uptime_24h)),
            ("7 days", uptime_text(m.uptime_7d)),
            ("30 days", uptime_text(m.uptime_30d)),
        ],
        latency: latency(m),
        bars: bar_views(&m.days),
        minor_uptime: MINOR_UPTIME,
        chart: chart_view(&m.chart, &m.name),
        incidents: m
            .incidents
            .iter()
            .take(MAX_INCIDENTS)
            .map(|i| incident(i, now, full))
            .collect(),
        certificates: if full {
            m.certificates
                .iter()
                .map(|c| CertRow {
                    path: c.path.as_str(),
                    region: &c.region,
                    subject: &c.subject,
                    issuer: &c.issuer,
                    not_after: time(c.not_after),
                    days_left: c.days_left(now),
                    sha256: &c.sha256,
                    seen: time(c.seen_at),
                })
                .collect()
        } else {
            Vec::new()
        },
        edge_managed: match m.edge_managed.first() {
            Some(first) if full => Some((
                m.edge_managed
                    .iter()
                    .map(|x| x.region.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                first.cdn.as_str(),
            )),
            _ => None,
        },
    })
}

fn region_row(region: &RegionSummary) -> RegionRow<'_> {
    RegionRow {
        region,
        name: super::regions::region_name(&region.region),
        cells: region.answered.then(|| {
            [
                cell(region.edge.as_ref(), "no data"),
                cell(region.origin.as_ref(), "not configured"),
            ]
        }),
    }
}

fn cell<'a>(path: Option<&'a PathSummary>, missing: &'static str) -> Cell<'a> {
    match path {
        None => Cell::Missing(missing),
        Some(p) => Cell::Path(path_look(p.ok), p),
    }
}

/// A path is OK or Failed; the word is read out in place of the icon.
fn path_look(ok: bool) -> Look {
    if ok {
        Look {
            class: "up",
            glyph: "✓",
            word: "OK",
        }
    } else {
        Look {
            class: "down",
            glyph: "✕",
            word: "Failed",
        }
    }
}

fn latency(m: &PageMonitor) -> Option<Latency> {
    Some(Latency {
        stats: series_stats(&m.latency_series)?,
    })
}

fn incident(i: &PageIncident, now: UnixMillis, full: bool) -> IncidentView<'_> {
    IncidentView {
        incident: i,
        anchor: format!("incident-{}", i.id),
        manual: i.manual.is_some(),
        updates: update_views(i),
        regions: i
            .regions
            .iter()
            .map(|r| match super::regions::region_name(r) {
                "" => r.clone(),
                name => name.to_string(),
            })
            .collect::<Vec<_>>()
            .join(", "),
        title: if let Some(m) = &i.manual {
            &m.title
        } else if full {
            verdict_title(i.verdict)
        } else {
            customer_title(edgeprobe_core::status::Health::Down)
        },
        summary: if full {
            &i.summary
        } else {
            customer_words(i.verdict)
        },
        started: time(i.started_at),
        ongoing: i.ended_at.is_none(),
        duration: format_duration(i.ended_at.unwrap_or(now) - i.started_at),
    }
}
