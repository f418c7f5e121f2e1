//! `/status`: the overall banner and one card per public monitor. The markup is
//! templates/status_page/index.html; this module decides what it shows.

use askama::Template;

use super::bars::{bar_views, BarView};
use super::format::{ago, time, uptime_text, Time};
use super::layout::{look, monitor_href, Look};
use super::sparkline::{sparkline, Sparkline};
use super::updates::{active_incidents, manual_overall, worse, ActiveIncident};
use super::{PageIncident, PageMaintenance, PageMonitor};
use edgeprobe_core::status::Health;
use edgeprobe_core::time::UnixMillis;

/// The state of the whole page, worst first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overall {
    /// At least half of the monitors that report are down ([`MAJOR_SHARE`]): 14 of 17 down is
    /// not a "partial" outage to a visitor.
    MajorOutage,
    /// Some monitors are down, fewer than half.
    PartialOutage,
    /// None down, some degraded.
    Degraded,
    /// Nothing down or degraded, some monitors in a maintenance window.
    Maintenance,
    /// Every monitor that reports is up.
    Operational,
    /// Nothing has reported yet (or there are no monitors).
    Unknown,
}

impl Overall {
    pub fn text(self) -> &'static str {
        match self {
            Overall::MajorOutage => "Major outage",
            Overall::PartialOutage => "Partial outage",
            Overall::Degraded => "Degraded performance",
            Overall::Maintenance => "Under maintenance",
            Overall::Operational => "All systems operational",
            Overall::Unknown => "Waiting for the first checks",
        }
    }

    fn health(self) -> Health {
        match self {
            Overall::MajorOutage | Overall::PartialOutage => Health::Down,
            Overall::Degraded => Health::Degraded,
            Overall::Operational => Health::Up,
            Overall::Unknown | Overall::Maintenance => Health::Unknown,
        }
    }
}

/// The share of reporting monitors down from which the banner says "Major outage" (one half).
pub const MAJOR_SHARE: (usize, usize) = (1, 2);

/// Monitors in an unknown state (never probed, inconclusive) do not count either way.
/// Monitors in an active maintenance window do not count either: what they do is expected.
/// Thresholds (docs/status-page.md): at least half of those reporting down → major outage; some
/// down → partial outage; none down, some degraded → degraded; else some in maintenance →
/// under maintenance; none reporting → waiting; otherwise operational.
pub fn overall(monitors: &[PageMonitor], now: UnixMillis) -> Overall {
    let in_maintenance = monitors.iter().any(|m| m.in_maintenance(now));
    let count = |h: Health| {
        monitors
            .iter()
            .filter(|m| m.health == h && !m.in_maintenance(now))
            .count()
    };
    let (up, degraded, down) = (
        count(Health::Up),
        count(Health::Degraded),
        count(Health::Down),
    );
    match (up + degraded + down, down, degraded) {
        (_, 0, 0) if in_maintenance => Overall::Maintenance,
        (0, _, _) => Overall::Unknown,
        (known, down, _) if down > 0 && down * MAJOR_SHARE.1 >= known * MAJOR_SHARE.0 => {
            Overall::MajorOutage
        }
        (_, down, _) if down > 0 => Overall::PartialOutage,
        (_, _, degraded) if degraded > 0 => Overall::Degraded,
        _ => Overall::Operational,
    }
}

#[derive(Template)]
#[template(path = "status_page/index.html")]
struct IndexPage<'a> {
    site_title: &'a str,
    page_title: &'a str,
    /// Every ongoing incident with its operator updates (newest first).
    active: Vec<ActiveIncident<'a>>,
    /// Active and upcoming maintenance of every monitor, soonest first.
    notices: Vec<Notice>,
    /// `None`: there are no public monitors (the page says so instead of showing cards).
    banner: Option<Banner>,
    cards: Vec<Card<'a>>,
}

struct Banner {
    look: Look,
    text: &'static str,
}

/// One monitor's card: the monitor and what is derived from it for display.
struct Card<'a> {
    m: &'a PageMonitor,
    href: String,
    look: Look,
    uptime_30d: String,
    /// "3 min ago"; `None`: never checked.
    checked: Option<String>,
    spark: Option<Sparkline>,
    bars: Vec<BarView>,
    /// The state in customer words (the index is for visitors).
    words: &'static str,
}

pub fn render_index(monitors: &[PageMonitor], now: UnixMillis, site_title: &str) -> String {
    render_index_with(monitors, &[], now, site_title)
}

/// The index with the site-wide incidents (`IndexDocument::incidents`): every ongoing incident
/// is listed under the banner with its latest operator update, and open manual incidents weigh
/// on the banner by their impact (`updates::manual_overall`).
pub fn render_index_with(
    monitors: &[PageMonitor],
    site_incidents: &[PageIncident],
    now: UnixMillis,
    site_title: &str,
) -> String {
    let manual = manual_overall(site_incidents, monitors);
    let banner = (!monitors.is_empty() || manual.is_some()).then(|| {
        let state = worse(overall(monitors, now), manual);
        Banner {
            look: if state == Overall::Maintenance {
                MAINTENANCE_LOOK
            } else {
                look(state.health())
            },
            text: state.text(),
        }
    });
    let cards = monitors
        .iter()
        .map(|m| Card {
            m,
            href: monitor_href(&m.slug),
            look: card_look(m, now),
            uptime_30d: uptime_text(m.uptime_30d),
            checked: m.updated_at.map(|t| ago(t, now)),
            // A lone point draws a stray dot under the card: a line needs two.
            spark: (m.latency_series.iter().filter(|(_, v)| v.is_some()).count() >= 2)
                .then(|| {
                    sparkline(
                        &m.latency_series,
                        &format!("{} edge latency", m.name),
                        "spark-mini",
                    )
                })
                .flatten(),
            bars: bar_views(&m.days),
            words: super::words::customer_words(m.verdict),
        })
        .collect();
    let mut notices: Vec<Notice> = monitors
        .iter()
        .flat_map(|m| {
            m.maintenance
                .iter()
                .map(move |w| notice(Some(&m.name), w, now))
        })
        .collect();
    notices.sort_by(|a, b| {
        b.active
            .cmp(&a.active)
            .then(a.starts.rfc3339.cmp(&b.starts.rfc3339))
    });
    crate::markup::render(&IndexPage {
        site_title,
        page_title: "",
        active: active_incidents(site_incidents, monitors),
        notices,
        banner,
        cards,
    })
}

/// A monitor's look on its card and page: "Maintenance" during a window, else its health.
const MAINTENANCE_LOOK: Look = Look {
    class: "maintenance",
    glyph: "⚙",
    word: "Maintenance",
};

pub(crate) fn card_look(m: &PageMonitor, now: UnixMillis) -> Look {
    if m.in_maintenance(now) {
        MAINTENANCE_LOOK
    } else {
        look(m.health)
    }
}

/// A maintenance window announced on a page.
pub(crate) struct Notice {
    /// The monitor's name (on the index; `None` on its own page).
    pub name: Option<String>,
    pub active: bool,
    pub starts: Time,
    pub ends: Time,
    pub reason: Option<String>,
}

pub(crate) fn notice(name: Option<&str>, w: &PageMaintenance, now: UnixMillis) -> Notice {
    Notice {
        name: name.map(str::to_string),
        active: w.active(now),
        starts: time(w.starts_at),
        ends: time(w.ends_at),
        reason: w.reason.clone(),
    }
}
