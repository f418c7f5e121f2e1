//! `/status`: the overall banner and one card per public monitor.

use std::fmt::Write;

use super::format::{ago, escape_html, uptime_text};
use super::layout::{icon, monitor_href, page, pill};
use super::sparkline::sparkline_svg;
use super::PageMonitor;
use edgeprobe_core::status::Health;
use edgeprobe_core::time::UnixMillis;

/// The state of the whole page, worst first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overall {
    /// Every monitor that reports is down.
    MajorOutage,
    /// Some monitors are down.
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

/// Monitors in an unknown state (never probed, inconclusive) do not count either way.
pub fn overall(monitors: &[PageMonitor]) -> Overall {
    let count = |h: Health| monitors.iter().filter(|m| m.health == h).count();
    let (up, degraded, down) = (count(Health::Up), count(Health::Degraded), count(Health::Down));
    match (up + degraded + down, down, degraded) {
        (0, _, _) => Overall::Unknown,
        (known, down, _) if down == known => Overall::MajorOutage,
        (_, down, _) if down > 0 => Overall::PartialOutage,
        (_, _, degraded) if degraded > 0 => Overall::Degraded,
        _ => Overall::Operational,
    }
}

pub fn render_index(monitors: &[PageMonitor], now: UnixMillis, site_title: &str) -> String {
    let mut body = String::new();
    body.push_str("<h1>Current status</h1>\n");
    if monitors.is_empty() {
        body.push_str(
            "<div class=\"card\"><h2>No public monitors yet</h2><p class=\"muted\">Monitors marked public \
appear here with their current state, uptime and recent incidents.</p></div>\n",
        );
        return page(site_title, "", &body);
    }
    let state = overall(monitors);
    let _ = writeln!(
        body,
        r#"<section class="banner h-{}" aria-label="Overall status">{}<span>{}</span></section>"#,
        state.health().as_str(),
        icon(state.health()),
        state.text()
    );
    let _ = writeln!(body, r#"<h2 class="sr-title">Monitors</h2>"#);
    body.push_str("<ul class=\"cards\">\n");
    for m in monitors {
        card(&mut body, m, now);
    }
    body.push_str("</ul>\n");
    page(site_title, "", &body)
}

fn card(body: &mut String, m: &PageMonitor, now: UnixMillis) {
    let name = escape_html(&m.name);
    let _ = writeln!(
        body,
        "<li class=\"card\"><div class=\"card-head\"><h3><a href=\"{}\">{name}</a></h3>{}</div>",
        escape_html(&monitor_href(&m.slug)),
        pill(m.health)
    );
    match m.updated_at {
        None => body.push_str("<p class=\"muted\">Not checked yet.</p>\n"),
        Some(_) => {
            let _ = writeln!(body, "<p>{}</p>", escape_html(&m.summary));
        }
    }
    let updated = m.updated_at.map_or_else(String::new, |t| format!(" · checked {}", ago(t, now)));
    let _ = write!(
        body,
        "<div class=\"card-foot\"><span class=\"meta\">Uptime 30 days: <strong>{}</strong>{updated}</span>",
        uptime_text(m.uptime_30d)
    );
    if let Some(svg) = sparkline_svg(&m.latency_series, &format!("{} edge latency", m.name), "spark-mini") {
        body.push_str(&svg);
    }
    body.push_str("</div></li>\n");
}
