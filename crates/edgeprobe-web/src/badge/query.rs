//! The badge URL's query string, parsed into a [`BadgeQuery`] that cannot be invalid.
//!
//! Every bad parameter is reported at once, in one message the platform returns as a 400
//! problem. Unknown parameter names are ignored (READMEs add cache busters such as `?v=2`);
//! unknown values of known parameters are errors.

use super::Style;

/// What the badge reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Metric {
    /// up / degraded / down / unknown.
    #[default]
    Status,
    /// Percentage of successful rounds in the window.
    Uptime,
    /// Median edge latency in the window.
    Latency,
}

/// The rollup window for uptime and latency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Window {
    #[default]
    H24,
    D7,
    D30,
}

impl Window {
    pub fn as_str(self) -> &'static str {
        match self {
            Window::H24 => "24h",
            Window::D7 => "7d",
            Window::D30 => "30d",
        }
    }
}

/// Which latency a latency badge shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Stat {
    /// The median.
    #[default]
    P50,
    /// The 95th percentile: what the slowest visitors get.
    P95,
}

impl Stat {
    pub fn as_str(self) -> &'static str {
        match self {
            Stat::P50 => "p50",
            Stat::P95 => "p95",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BadgeQuery {
    /// One region's view (a location hint such as `weur`); `None`: all regions.
    pub region: Option<String>,
    pub metric: Metric,
    pub window: Window,
    pub style: Style,
    /// Replaces the default label (the monitor's name). `Some("")` gives a message-only badge.
    pub label: Option<String>,
    /// The latency statistic (latency badges only).
    pub stat: Stat,
}

/// Parses `region=..&metric=status|uptime|latency&window=24h|7d|30d&stat=p50|p95&style=flat|flat-square&label=..`
/// (the part after `?`, percent-encoded; a leading `?` is accepted).
pub fn parse_badge_query(query: &str) -> Result<BadgeQuery, String> {
    let query = query.strip_prefix('?').unwrap_or(query);
    let mut out = BadgeQuery::default();
    let mut errors = Vec::new();
    for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
        match key.as_ref() {
            "region" => {
                let ok = !value.is_empty()
                    && value.len() <= 16
                    && value
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
                if ok {
                    out.region = Some(value.into_owned());
                } else {
                    errors.push(format!(
                        "region: {value:?} is not a region name (lower-case letters, digits, '-')"
                    ));
                }
            }
            "metric" => match value.as_ref() {
                "status" => out.metric = Metric::Status,
                "uptime" => out.metric = Metric::Uptime,
                "latency" => out.metric = Metric::Latency,
                other => errors.push(format!(
                    "metric: {other:?} is not one of status, uptime, latency"
                )),
            },
            "window" => match value.as_ref() {
                "24h" => out.window = Window::H24,
                "7d" => out.window = Window::D7,
                "30d" => out.window = Window::D30,
                other => errors.push(format!("window: {other:?} is not one of 24h, 7d, 30d")),
            },
            "style" => match value.as_ref() {
                "flat" => out.style = Style::Flat,
                "flat-square" => out.style = Style::FlatSquare,
                other => errors.push(format!("style: {other:?} is not one of flat, flat-square")),
            },
            "stat" => match value.as_ref() {
                "p50" => out.stat = Stat::P50,
                "p95" => out.stat = Stat::P95,
                other => errors.push(format!("stat: {other:?} is not one of p50, p95")),
            },
            "label" => {
                if value.chars().count() > 64 {
                    errors.push("label: longer than 64 characters".to_string());
                } else {
                    out.label = Some(value.into_owned());
                }
            }
            _ => {}
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_parameter() {
        let q = parse_badge_query(
            "?region=weur&metric=uptime&window=7d&style=flat-square&label=API%20%26%20docs&v=2",
        )
        .expect("valid");
        assert_eq!(
            q,
            BadgeQuery {
                region: Some("weur".into()),
                metric: Metric::Uptime,
                window: Window::D7,
                style: Style::FlatSquare,
                label: Some("API & docs".into()),
                stat: Stat::P50,
            }
        );
    }

    #[test]
    fn empty_query_gives_defaults() {
        let q = parse_badge_query("").expect("valid");
        assert_eq!(q, BadgeQuery::default());
        assert_eq!(
            (q.metric, q.window, q.style),
            (Metric::Status, Window::H24, Style::Flat)
        );
    }

    #[test]
    fn reports_every_bad_value_at_once() {
        let err = parse_badge_query("metric=speed&window=1y&style=plastic&region=W%20EUR")
            .expect_err("invalid");
        for needle in [
            "metric: \"speed\"",
            "window: \"1y\"",
            "style: \"plastic\"",
            "region: \"W EUR\"",
        ] {
            assert!(err.contains(needle), "{err} lacks {needle}");
        }
        assert!(parse_badge_query(&format!("label={}", "x".repeat(65))).is_err());
    }
}
