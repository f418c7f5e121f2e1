//! What a badge says: its label, message and colour, from the monitor's state and the query.
//!
//! Decisions only; no markup (see `svg`) and no storage. The colour always agrees with the
//! words, and every message is readable without the colour.

use edgeprobe_core::diagnosis::Verdict;
use edgeprobe_core::status::{CurrentStatus, Health, RegionSummary};

use super::{BadgeQuery, BadgeSpec, Color, Metric, Stat, Window};

/// Everything a badge may show, loaded by the platform for one monitor.
///
/// Uptime and latency are for the scope the query asks about: the platform reads the rollups
/// of `query.region` when one is given, of all regions otherwise.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BadgeInput {
    /// The monitor's name: the default label.
    pub name: String,
    pub health: Health,
    /// In a maintenance window now: the badge says so instead of a state.
    pub maintenance: bool,
    /// The verdict in a few words ([`short_verdict`]), shown after "down" on the overall badge.
    pub short_verdict: Option<String>,
    /// Health per region (location hint), from the last round.
    pub regions: Vec<(String, Health)>,
    /// Percent of good rounds, per window; `None` when there is no data yet.
    pub uptime_24h: Option<f64>,
    pub uptime_7d: Option<f64>,
    pub uptime_30d: Option<f64>,
    /// Median edge latency (ms), per window.
    pub latency_p50_24h: Option<u32>,
    pub latency_p50_7d: Option<u32>,
    pub latency_p50_30d: Option<u32>,
    /// 95th-percentile edge latency (ms), per window.
    #[serde(default)]
    pub latency_p95_24h: Option<u32>,
    #[serde(default)]
    pub latency_p95_7d: Option<u32>,
    #[serde(default)]
    pub latency_p95_30d: Option<u32>,
}

impl BadgeInput {
    /// The parts the current-status document holds; uptime and latency start empty and are
    /// filled by the platform from the rollups.
    pub fn from_status(status: &CurrentStatus, maintenance: bool) -> BadgeInput {
        BadgeInput {
            health: status.health,
            short_verdict: status
                .diagnosis
                .verdict
                .is_failure()
                .then(|| short_verdict(status.diagnosis.verdict)),
            regions: status
                .regions
                .iter()
                .map(|r| (r.region.clone(), region_health(r)))
                .collect(),
            ..BadgeInput::never_probed(&status.name, maintenance)
        }
    }

    /// A monitor with no status yet: unknown health, no figures.
    pub fn never_probed(name: &str, maintenance: bool) -> BadgeInput {
        BadgeInput {
            name: name.to_string(),
            health: Health::Unknown,
            maintenance,
            short_verdict: None,
            regions: Vec::new(),
            uptime_24h: None,
            uptime_7d: None,
            uptime_30d: None,
            latency_p50_24h: None,
            latency_p50_7d: None,
            latency_p50_30d: None,
            latency_p95_24h: None,
            latency_p95_7d: None,
            latency_p95_30d: None,
        }
    }
}

/// One region's health from its grid row: what users there get decides. The edge failing is
/// down; the edge fine while the origin fails (a stale cache hides it) is degraded; no answer
/// is unknown.
pub fn region_health(r: &RegionSummary) -> Health {
    match (&r.edge, &r.origin) {
        _ if !r.answered => Health::Unknown,
        (None, _) => Health::Unknown,
        (Some(edge), _) if !edge.ok => Health::Down,
        (Some(_), Some(origin)) if !origin.ok => Health::Degraded,
        _ => Health::Up,
    }
}

/// The badge for a query that does not parse: grey, "invalid query", so an embedded image
/// still renders (a problem+json body would be a broken image in a README).
pub fn invalid_badge() -> BadgeSpec {
    BadgeSpec {
        label: "badge".to_string(),
        message: "invalid query".to_string(),
        color: Color::LightGrey,
        style: super::Style::Flat,
    }
}

/// The verdict in a few words for badges: `origin_refused` → "origin refused".
pub fn short_verdict(v: Verdict) -> String {
    v.as_str().replace('_', " ")
}

/// Decides the badge.
///
/// Label: `query.label` if given; else what the badge measures, so that badges side by side
/// are told apart: the monitor name for status, "uptime 30d", "p95 latency 7d"; followed by
/// ` (region)` for a region badge. Message: for status, "up", "degraded", "down", "unknown" or "maintenance"; an overall
/// "down" badge adds the short verdict ("down: origin refused") because that is the first thing
/// a reader wants to know. Uptime: "99.95%". Latency: "123 ms". "no data" when a value is
/// missing. A region the monitor does not probe reads "unknown".
pub fn badge_for(query: &BadgeQuery, input: &BadgeInput) -> BadgeSpec {
    let what = match query.metric {
        Metric::Status => input.name.clone(),
        Metric::Uptime => format!("uptime {}", query.window.as_str()),
        Metric::Latency => format!("{} latency {}", query.stat.as_str(), query.window.as_str()),
    };
    let label = match (&query.label, &query.region) {
        (Some(label), _) => label.clone(),
        (None, Some(region)) => format!("{what} ({region})"),
        (None, None) => what,
    };
    let (message, color) = match query.metric {
        Metric::Status => status_message(query, input),
        Metric::Uptime => match pick(
            query.window,
            input.uptime_24h,
            input.uptime_7d,
            input.uptime_30d,
        ) {
            Some(p) if p.is_finite() => (format_uptime(p), uptime_color(p)),
            _ => ("no data".to_string(), Color::LightGrey),
        },
        Metric::Latency => match match query.stat {
            Stat::P50 => pick(
                query.window,
                input.latency_p50_24h,
                input.latency_p50_7d,
                input.latency_p50_30d,
            ),
            Stat::P95 => pick(
                query.window,
                input.latency_p95_24h,
                input.latency_p95_7d,
                input.latency_p95_30d,
            ),
        } {
            Some(ms) => (format_latency(ms), latency_color(ms)),
            None => ("no data".to_string(), Color::LightGrey),
        },
    };
    BadgeSpec {
        label,
        message,
        color,
        style: query.style,
    }
}

fn status_message(query: &BadgeQuery, input: &BadgeInput) -> (String, Color) {
    if input.maintenance {
        return ("maintenance".to_string(), Color::LightGrey);
    }
    let health = match &query.region {
        Some(region) => input
            .regions
            .iter()
            .find(|(r, _)| r == region)
            .map_or(Health::Unknown, |(_, h)| *h),
        None => input.health,
    };
    let color = match health {
        Health::Up => Color::BrightGreen,
        Health::Degraded => Color::Yellow,
        Health::Down => Color::Red,
        Health::Unknown => Color::LightGrey,
    };
    let message = match (health, &input.short_verdict, &query.region) {
        (Health::Down, Some(v), None) if !v.is_empty() => format!("down: {v}"),
        _ => health.as_str().to_string(),
    };
    (message, color)
}

fn pick<T>(window: Window, h24: Option<T>, d7: Option<T>, d30: Option<T>) -> Option<T> {
    match window {
        Window::H24 => h24,
        Window::D7 => d7,
        Window::D30 => d30,
    }
}

/// "100%", or two decimals rounded down so that 99.999 never reads as "100.00%".
pub fn format_uptime(percent: f64) -> String {
    let p = percent.clamp(0.0, 100.0);
    if p >= 100.0 {
        return "100%".to_string();
    }
    format!("{:.2}%", (p * 100.0).floor() / 100.0)
}

pub fn format_latency(ms: u32) -> String {
    format!("{ms} ms")
}

/// >= 99.9 brightgreen, >= 99 green, >= 95 yellow, else red.
pub fn uptime_color(percent: f64) -> Color {
    match percent {
        p if p >= 99.9 => Color::BrightGreen,
        p if p >= 99.0 => Color::Green,
        p if p >= 95.0 => Color::Yellow,
        _ => Color::Red,
    }
}

/// < 300 ms green, < 1000 ms yellow, else orange (slow is not down: never red).
pub fn latency_color(ms: u32) -> Color {
    match ms {
        0..300 => Color::Green,
        300..1000 => Color::Yellow,
        _ => Color::Orange,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::badge::Style;

    fn input() -> BadgeInput {
        BadgeInput {
            name: "shop".into(),
            health: Health::Down,
            maintenance: false,
            short_verdict: Some(short_verdict(Verdict::OriginRefused)),
            regions: vec![("weur".into(), Health::Down), ("enam".into(), Health::Up)],
            uptime_24h: Some(97.123),
            uptime_7d: Some(99.999),
            uptime_30d: None,
            latency_p50_24h: Some(123),
            latency_p50_7d: Some(1500),
            latency_p50_30d: None,
            latency_p95_24h: Some(480),
            latency_p95_7d: None,
            latency_p95_30d: None,
        }
    }

    fn q(s: &str) -> BadgeQuery {
        crate::badge::parse_badge_query(s).expect("valid query")
    }

    #[test]
    fn messages_and_colours_per_query() {
        let cases = [
            ("", "shop", "down: origin refused", Color::Red),
            ("region=enam", "shop (enam)", "up", Color::BrightGreen),
            ("region=weur", "shop (weur)", "down", Color::Red),
            ("region=apac", "shop (apac)", "unknown", Color::LightGrey),
            ("metric=uptime", "uptime 24h", "97.12%", Color::Yellow),
            (
                "metric=uptime&window=7d&label=uptime%20this%20week",
                "uptime this week",
                "99.99%",
                Color::BrightGreen,
            ),
            (
                "metric=uptime&window=30d",
                "uptime 30d",
                "no data",
                Color::LightGrey,
            ),
            (
                "metric=uptime&region=weur",
                "uptime 24h (weur)",
                "97.12%",
                Color::Yellow,
            ),
            ("metric=latency", "p50 latency 24h", "123 ms", Color::Green),
            (
                "metric=latency&window=7d",
                "p50 latency 7d",
                "1500 ms",
                Color::Orange,
            ),
            (
                "metric=latency&stat=p95",
                "p95 latency 24h",
                "480 ms",
                Color::Yellow,
            ),
            (
                "metric=latency&window=30d",
                "p50 latency 30d",
                "no data",
                Color::LightGrey,
            ),
        ];
        for (query, label, message, color) in cases {
            let spec = badge_for(&q(query), &input());
            assert_eq!(
                spec,
                BadgeSpec {
                    label: label.into(),
                    message: message.into(),
                    color,
                    style: Style::Flat
                },
                "{query}"
            );
        }
    }

    #[test]
    fn health_words_and_maintenance() {
        let cases = [
            (Health::Up, false, "up", Color::BrightGreen),
            (Health::Degraded, false, "degraded", Color::Yellow),
            (Health::Unknown, false, "unknown", Color::LightGrey),
            (Health::Down, true, "maintenance", Color::LightGrey),
        ];
        for (health, maintenance, message, color) in cases {
            let spec = badge_for(
                &q(""),
                &BadgeInput {
                    health,
                    maintenance,
                    ..input()
                },
            );
            assert_eq!(
                (spec.message.as_str(), spec.color),
                (message, color),
                "{health:?}"
            );
        }
        let no_verdict = BadgeInput {
            short_verdict: None,
            ..input()
        };
        assert_eq!(badge_for(&q(""), &no_verdict).message, "down");
    }

    #[test]
    fn uptime_formatting_and_thresholds() {
        let cases = [
            (100.0, "100%", Color::BrightGreen),
            (120.0, "100%", Color::BrightGreen),
            (99.999, "99.99%", Color::BrightGreen),
            (99.9, "99.90%", Color::BrightGreen),
            (99.89, "99.89%", Color::Green),
            (99.0, "99.00%", Color::Green),
            (95.0, "95.00%", Color::Yellow),
            (94.99, "94.99%", Color::Red),
            (0.0, "0.00%", Color::Red),
        ];
        for (p, text, color) in cases {
            assert_eq!(
                (format_uptime(p), uptime_color(p)),
                (text.to_string(), color),
                "{p}"
            );
        }
        assert_eq!(
            badge_for(
                &q("metric=uptime"),
                &BadgeInput {
                    uptime_24h: Some(f64::NAN),
                    ..input()
                }
            )
            .message,
            "no data"
        );
    }

    #[test]
    fn region_health_follows_what_users_get() {
        let path = |ok| {
            Some(edgeprobe_core::status::PathSummary {
                ok,
                status: None,
                latency_ms: None,
                label: String::new(),
            })
        };
        let row = |answered, edge, origin| RegionSummary {
            region: "weur".into(),
            colo: None,
            edge,
            origin,
            answered,
        };
        let cases = [
            (row(true, path(true), path(true)), Health::Up),
            (row(true, path(true), None), Health::Up),
            (row(true, path(true), path(false)), Health::Degraded),
            (row(true, path(false), path(true)), Health::Down),
            (row(true, None, None), Health::Unknown),
            (row(false, None, None), Health::Unknown),
        ];
        for (r, health) in cases {
            assert_eq!(region_health(&r), health, "{r:?}");
        }
    }

    #[test]
    fn latency_thresholds() {
        let cases = [
            (0, Color::Green),
            (299, Color::Green),
            (300, Color::Yellow),
            (999, Color::Yellow),
            (1000, Color::Orange),
        ];
        for (ms, color) in cases {
            assert_eq!(latency_color(ms), color, "{ms}");
        }
    }
}
