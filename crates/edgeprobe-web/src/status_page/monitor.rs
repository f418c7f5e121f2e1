//! `/status/{slug}`: one monitor. The verdict in plain words, the checklist when something is
//! wrong, the region × path grid of the last round, uptime, the latency sparkline and recent
//! incidents.

use std::fmt::Write;

use super::format::{ago, escape_html, format_duration, time_element, uptime_text};
use super::layout::{page, pill};
use super::sparkline::{series_stats, sparkline_svg};
use super::words::verdict_title;
use super::{PageIncident, PageMonitor};
use edgeprobe_core::status::{Health, PathSummary, RegionSummary};
use edgeprobe_core::time::UnixMillis;

/// How many incidents the page lists (the newest).
const MAX_INCIDENTS: usize = 10;

pub fn render_monitor(m: &PageMonitor, now: UnixMillis, site_title: &str) -> String {
    let mut body = String::new();
    let _ = writeln!(
        body,
        "<div class=\"title-row\"><h1>{}</h1>{}</div>",
        escape_html(&m.name),
        pill(m.health)
    );
    let _ = writeln!(
        body,
        "<p class=\"meta\">{}</p>",
        match m.updated_at {
            Some(t) => format!("Last checked {} ({})", time_element(t), ago(t, now)),
            None => "Not checked yet.".to_string(),
        }
    );
    diagnosis(&mut body, m);
    regions(&mut body, m);
    uptime(&mut body, m);
    latency(&mut body, m);
    incidents(&mut body, &m.incidents, now);
    page(site_title, &m.name, &body)
}

fn diagnosis(body: &mut String, m: &PageMonitor) {
    body.push_str("<section class=\"card\" aria-labelledby=\"now\">\n");
    if m.updated_at.is_none() {
        body.push_str(
            "<h2 id=\"now\">Waiting for the first check</h2>\n<p>This monitor has not been probed yet. \
Its state appears here after the first round.</p>\n</section>\n",
        );
        return;
    }
    let _ = writeln!(body, "<h2 id=\"now\">{}</h2>", escape_html(verdict_title(m.verdict)));
    let _ = writeln!(body, "<p>{}</p>", escape_html(&m.summary));
    if m.health != Health::Up && !m.checklist.is_empty() {
        body.push_str("<h3>What to check</h3>\n<ol class=\"checklist\">\n");
        for item in &m.checklist {
            let _ = writeln!(body, "<li>{}</li>", escape_html(item));
        }
        body.push_str("</ol>\n");
    }
    body.push_str("</section>\n");
}

fn regions(body: &mut String, m: &PageMonitor) {
    body.push_str("<section class=\"card\" aria-labelledby=\"regions\">\n<h2 id=\"regions\">By region</h2>\n");
    if m.regions.is_empty() {
        body.push_str("<p class=\"muted\">No region has reported yet.</p>\n</section>\n");
        return;
    }
    body.push_str(
        "<div class=\"table-scroll\"><table class=\"grid\">\n<caption>The last check from each region: \
through the CDN (edge) and straight to the origin server. \
Under each region: the data centre that ran the check.</caption>\n\
<thead><tr><th scope=\"col\">Region</th><th scope=\"col\">Edge (via CDN)</th>\
<th scope=\"col\">Origin (direct)</th></tr></thead>\n<tbody>\n",
    );
    for r in &m.regions {
        region_row(body, r);
    }
    body.push_str("</tbody></table></div>\n</section>\n");
}

fn region_row(body: &mut String, r: &RegionSummary) {
    let colo = r
        .colo
        .as_deref()
        .map_or_else(String::new, |c| format!("<span class=\"colo\">{}</span>", escape_html(c)));
    let _ = write!(body, "<tr><th scope=\"row\">{}{colo}</th>", escape_html(&r.region));
    if !r.answered {
        body.push_str(
            "<td colspan=\"2\"><span class=\"cell h-unknown\"><span class=\"icon\" aria-hidden=\"true\">?</span>\
No answer from this region</span></td></tr>\n",
        );
        return;
    }
    path_cell(body, r.edge.as_ref(), "no data");
    path_cell(body, r.origin.as_ref(), "not configured");
    body.push_str("</tr>\n");
}

fn path_cell(body: &mut String, p: Option<&PathSummary>, missing: &str) {
    let Some(p) = p else {
        let _ = write!(body, "<td><span class=\"muted\">{missing}</span></td>");
        return;
    };
    let (class, glyph, word) = if p.ok { ("h-up", "✓", "OK") } else { ("h-down", "✕", "Failed") };
    let latency = p
        .latency_ms
        .map_or_else(String::new, |ms| format!("<span class=\"lat\">{ms} ms</span>"));
    let _ = write!(
        body,
        "<td><span class=\"cell {class}\"><span class=\"icon\" aria-hidden=\"true\">{glyph}</span>\
<span><span class=\"sr-title\">{word}: </span>{}</span>{latency}</span></td>",
        escape_html(&p.label)
    );
}

fn uptime(body: &mut String, m: &PageMonitor) {
    body.push_str("<section class=\"card\" aria-labelledby=\"uptime\">\n<h2 id=\"uptime\">Uptime</h2>\n<dl class=\"stats\">");
    for (window, value) in [("24 hours", m.uptime_24h), ("7 days", m.uptime_7d), ("30 days", m.uptime_30d)] {
        let _ = write!(body, "<div class=\"stat\"><dt>{window}</dt><dd>{}</dd></div>", uptime_text(value));
    }
    body.push_str("</dl>\n</section>\n");
}

fn latency(body: &mut String, m: &PageMonitor) {
    body.push_str("<section class=\"card\" aria-labelledby=\"latency\">\n<h2 id=\"latency\">Response time</h2>\n");
    match sparkline_svg(&m.latency_series, "Edge response time", "spark") {
        None => body.push_str("<p class=\"muted\">No response times yet.</p>\n"),
        Some(svg) => {
            if let Some(s) = series_stats(&m.latency_series) {
                let _ = writeln!(
                    body,
                    "<p class=\"spark-stats\">Median <strong>{} ms</strong> · fastest {} ms · slowest {} ms</p>",
                    s.median, s.min, s.max
                );
            }
            let first = m.latency_series.first().map(|&(t, _)| t);
            let last = m.latency_series.last().map(|&(t, _)| t);
            body.push_str(&svg);
            if let (Some(first), Some(last)) = (first, last) {
                let _ = writeln!(
                    body,
                    "<div class=\"spark-legend\"><span>{}</span><span>{}</span></div>",
                    time_element(first),
                    time_element(last)
                );
            }
            body.push_str(
                "<p class=\"meta\">Time to the first response headers through the CDN, each check. \
Gaps are checks without an answer.</p>\n",
            );
        }
    }
    body.push_str("</section>\n");
}

fn incidents(body: &mut String, incidents: &[PageIncident], now: UnixMillis) {
    body.push_str("<section class=\"card\" aria-labelledby=\"incidents\">\n<h2 id=\"incidents\">Recent incidents</h2>\n");
    if incidents.is_empty() {
        body.push_str("<p class=\"muted\">No incidents recorded.</p>\n</section>\n");
        return;
    }
    body.push_str("<ul class=\"incidents\">\n");
    for i in incidents.iter().take(MAX_INCIDENTS) {
        let when = match i.ended_at {
            Some(end) => format!("{} · lasted {}", time_element(i.started_at), format_duration(end - i.started_at)),
            None => format!(
                "{} · <strong>ongoing</strong>, {} so far",
                time_element(i.started_at),
                format_duration(now - i.started_at)
            ),
        };
        let regions = if i.regions.is_empty() {
            String::new()
        } else {
            format!(" · regions: {}", escape_html(&i.regions.join(", ")))
        };
        let _ = writeln!(
            body,
            "<li{}><h3>{}</h3><p class=\"meta\">{when}{regions}</p><p>{}</p></li>",
            if i.ended_at.is_none() { " class=\"ongoing\"" } else { "" },
            escape_html(verdict_title(i.verdict)),
            escape_html(&i.summary)
        );
    }
    body.push_str("</ul>\n</section>\n");
}
