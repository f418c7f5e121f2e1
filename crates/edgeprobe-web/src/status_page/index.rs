//! `/status`: the overall banner and one card per public monitor. The markup is
//! templates/status_page/index.html; this module decides what it shows.

use askama::Template;

use super::bars::{bar_views, BarView};
use super::format::{ago, uptime_text};
use super::layout::{look, monitor_href, Look};
use super::sparkline::{sparkline, Sparkline};
use super::PageMonitor;
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
            Overall::Operational => "All systems operational",
            Overall::Unknown => "Waiting for the first checks",
        }
    }

    fn health(self) -> Health {
        match self {
            Overall::MajorOutage | Overall::PartialOutage => Health::Down,
            Overall::Degraded => Health::Degraded,
            Overall::Operational => Health::Up,
            Overall::Unknown => Health::Unknown,
        }
    }
}

/// The share of reporting monitors down from which the banner says "Major outage" (one half).
pub const MAJOR_SHARE: (usize, usize) = (1, 2);

/// Monitors in an unknown state (never probed, inconclusive) do not count either way.
/// Thresholds (docs/status-page.md): none reporting → waiting; at least half of those reporting
/// down → major outage; some down → partial outage; none down, some degraded → degraded;
/// otherwise operational.
pub fn overall(monitors: &[PageMonitor]) -> Overall {
    let count = |h: Health| monitors.iter().filter(|m| m.health == h).count();
    let (up, degraded, down) = (
        count(Health::Up),
        count(Health::Degraded),
        count(Health::Down),
    );
    match (up + degraded + down, down, degraded) {
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
}

pub fn render_index(monitors: &[PageMonitor], now: UnixMillis, site_title: &str) -> String {
    let banner = (!monitors.is_empty()).then(|| {
        let state = overall(monitors);
        Banner {
            look: look(state.health()),
            text: state.text(),
        }
    });
    let cards = monitors
        .iter()
        .map(|m| Card {
            m,
            href: monitor_href(&m.slug),
            look: look(m.health),
            uptime_30d: uptime_text(m.uptime_30d),
            checked: m.updated_at.map(|t| ago(t, now)),
            spark: sparkline(
                &m.latency_series,
                &format!("{} edge latency", m.name),
                "spark-mini",
            ),
            bars: bar_views(&m.days),
        })
        .collect();
    crate::markup::render(&IndexPage {
        site_title,
        page_title: "",
        banner,
        cards,
    })
}
