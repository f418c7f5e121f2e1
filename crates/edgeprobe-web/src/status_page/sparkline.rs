//! The latency sparkline: an inline SVG line of edge latency over time, with gaps where a
//! round had no latency. Pure geometry; the caption text is built here too so that the
//! picture and its accessible description always agree. The markup is the `sparkline` macro
//! of templates/status_page/parts.html.

use askama::Template;

use edgeprobe_core::time::UnixMillis;

const WIDTH: f64 = 600.0;
const HEIGHT: f64 = 72.0;
/// Room above and below the line so its stroke is never clipped.
const PAD: f64 = 4.0;

/// Fastest, median (upper median) and slowest of the known points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SeriesStats {
    pub min: u32,
    pub median: u32,
    pub max: u32,
}

pub(crate) fn series_stats(series: &[(UnixMillis, Option<u32>)]) -> Option<SeriesStats> {
    let mut known: Vec<u32> = series.iter().filter_map(|&(_, v)| v).collect();
    known.sort_unstable();
    Some(SeriesStats {
        min: *known.first()?,
        median: known[known.len() / 2],
        max: *known.last()?,
    })
}

/// A sparkline ready to draw: what the `sparkline` template macro shows.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Sparkline {
    pub class: String,
    /// The accessible label: the description, then median, fastest and slowest.
    pub label: String,
    pub width: f64,
    pub height: f64,
    /// One mark per run of known points, oldest first.
    pub marks: Vec<Mark>,
}

/// A run of known points between gaps.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Mark {
    /// A lone point between gaps: a short horizontal tick so it stays visible.
    Tick { x1: f64, x2: f64, y: f64 },
    /// Two or more points: `points` as the SVG attribute wants them ("x,y x,y …", one decimal).
    Line { points: String },
}

/// The series (oldest first) as a sparkline, one mark per run of known points. `None` when no
/// point has a latency. `description` starts the accessible label, e.g. "Edge latency, last 24
/// hours".
pub(crate) fn sparkline(
    series: &[(UnixMillis, Option<u32>)],
    description: &str,
    class: &str,
) -> Option<Sparkline> {
    let SeriesStats { min, median, max } = series_stats(series)?;

    let t0 = series.iter().map(|&(t, _)| t).min().unwrap_or(0);
    let t1 = series.iter().map(|&(t, _)| t).max().unwrap_or(t0);
    let span = (t1 - t0).max(1) as f64;
    let top = f64::from(max.max(1));
    let x = |t: UnixMillis| {
        if t1 == t0 {
            WIDTH / 2.0
        } else {
            (t - t0) as f64 / span * WIDTH
        }
    };
    let y = |v: u32| PAD + (1.0 - f64::from(v) / top) * (HEIGHT - 2.0 * PAD);

    let mut runs: Vec<Vec<(f64, f64)>> = vec![Vec::new()];
    for &(t, v) in series {
        match v {
            Some(v) => runs.last_mut().map(|r| r.push((x(t), y(v)))).unwrap_or(()),
            None if runs.last().is_some_and(|r| !r.is_empty()) => runs.push(Vec::new()),
            None => {}
        }
    }
    let marks = runs
        .iter()
        .filter_map(|run| match run.as_slice() {
            [] => None,
            &[(px, py)] => Some(Mark::Tick {
                x1: (px - 1.5).max(0.0),
                x2: (px + 1.5).min(WIDTH),
                y: py,
            }),
            points => Some(Mark::Line {
                points: points
                    .iter()
                    .map(|(px, py)| format!("{px:.1},{py:.1}"))
                    .collect::<Vec<_>>()
                    .join(" "),
            }),
        })
        .collect();

    Some(Sparkline {
        class: class.to_string(),
        label: format!("{description}: median {median} ms, fastest {min} ms, slowest {max} ms"),
        width: WIDTH,
        height: HEIGHT,
        marks,
    })
}

#[derive(Template)]
#[template(
    source = r#"{% import "status_page/parts.html" as parts %}{% call parts::sparkline(spark) %}{% endcall %}"#,
    ext = "svg"
)]
struct SparklineSvg<'a> {
    spark: &'a Sparkline,
}

/// Renders the series (oldest first) as `<svg role="img">` on its own, as the pages draw it.
/// Returns `None` when no point has a latency.
pub fn sparkline_svg(
    series: &[(UnixMillis, Option<u32>)],
    description: &str,
    class: &str,
) -> Option<String> {
    let spark = sparkline(series, description, class)?;
    Some(crate::markup::render(&SparklineSvg { spark: &spark }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gaps_split_the_line() {
        let series = [
            (0, Some(100)),
            (1, Some(200)),
            (2, None),
            (3, Some(50)),
            (4, Some(150)),
        ];
        let svg = sparkline_svg(&series, "Edge latency", "spark").expect("has data");
        assert_eq!(svg.matches("<polyline").count(), 2, "{svg}");
        assert!(
            svg.contains(
                r#"aria-label="Edge latency: median 150 ms, fastest 50 ms, slowest 200 ms""#
            ),
            "{svg}"
        );
        assert!(svg.contains(r#"role="img""#));
        // The slowest point touches the top padding; time spans the full width.
        assert!(svg.contains("150.0,4.0"), "{svg}");
        assert!(svg.contains("600.0,"), "{svg}");
    }

    #[test]
    fn lone_points_and_empty_series() {
        let svg =
            sparkline_svg(&[(0, None), (5, Some(80)), (9, None)], "x", "spark").expect("one point");
        assert_eq!(
            (
                svg.matches("<line").count(),
                svg.matches("<polyline").count()
            ),
            (1, 0)
        );
        assert_eq!(sparkline_svg(&[], "x", "spark"), None);
        assert_eq!(sparkline_svg(&[(0, None), (1, None)], "x", "spark"), None);
    }
}
