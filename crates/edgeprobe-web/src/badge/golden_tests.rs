//! Badge SVGs checked byte for byte against tests/fixtures/badge/, and parsed as XML.
//!
//! To accept a deliberate change, run with `EDGEPROBE_BLESS=1` and review the diff of the
//! fixture files (and look at them in a browser) before committing.

use std::path::PathBuf;

use super::*;

/// Compares `actual` with the fixture file; on mismatch prints where they first differ.
pub(crate) fn assert_golden(relative: &str, actual: &str) {
    let path = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).join("tests/fixtures").join(relative);
    if std::env::var_os("EDGEPROBE_BLESS").is_some() {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).expect("create fixture dir");
        }
        std::fs::write(&path, actual).expect("write fixture");
        return;
    }
    let expected =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e} (run with EDGEPROBE_BLESS=1 to create it)", path.display()));
    if expected != actual {
        let at = expected
            .bytes()
            .zip(actual.bytes())
            .position(|(a, b)| a != b)
            .unwrap_or(expected.len().min(actual.len()));
        let window = |s: &str| {
            let start = s.floor_char_boundary(at.saturating_sub(80));
            let end = s.ceil_char_boundary((at + 80).min(s.len()));
            s[start..end].to_string()
        };
        panic!(
            "{} differs at byte {at} (expected {} bytes, got {}):\n  expected: …{}…\n  actual:   …{}…",
            path.display(),
            expected.len(),
            actual.len(),
            window(&expected),
            window(actual)
        );
    }
}

fn spec(label: &str, message: &str, color: Color, style: Style) -> BadgeSpec {
    BadgeSpec {
        label: label.into(),
        message: message.into(),
        color,
        style,
    }
}

fn cases() -> Vec<(&'static str, BadgeSpec)> {
    vec![
        ("build_passing.svg", spec("build", "passing", Color::BrightGreen, Style::Flat)),
        ("status_up.svg", spec("shop", "up", Color::BrightGreen, Style::Flat)),
        (
            "status_down_square.svg",
            spec("shop", "down: origin refused", Color::Red, Style::FlatSquare),
        ),
        ("uptime_7d.svg", spec("api (weur)", "99.95%", Color::BrightGreen, Style::Flat)),
        ("latency_slow.svg", spec("api", "1500 ms", Color::Orange, Style::Flat)),
        (
            "escaped_name.svg",
            spec(r#"<script>&"'</script>"#, "degraded", Color::Yellow, Style::Flat),
        ),
        ("message_only.svg", spec("", "unknown", Color::LightGrey, Style::FlatSquare)),
    ]
}

#[test]
fn badges_match_golden_files() {
    for (file, spec) in cases() {
        assert_golden(&format!("badge/{file}"), &render_svg(&spec));
    }
}

#[test]
fn build_passing_has_shields_geometry() {
    // shields.io's own badge for build|passing: 88 px wide, 37 + 51, texts 27 and 41 px.
    let svg = render_svg(&spec("build", "passing", Color::BrightGreen, Style::Flat));
    let doc = roxmltree::Document::parse(&svg).expect("well-formed");
    let root = doc.root_element();
    assert_eq!(root.attribute("width"), Some("88"));
    let rects: Vec<_> = doc.descendants().filter(|n| n.has_tag_name("rect")).collect();
    assert_eq!(rects[1].attribute("width"), Some("37"));
    assert_eq!(rects[2].attribute("width"), Some("51"));
    let texts: Vec<_> = doc.descendants().filter(|n| n.has_tag_name("text")).collect();
    let lengths: Vec<_> = texts
        .iter()
        .map(|t| (t.text(), t.attribute("x"), t.attribute("textLength")))
        .collect();
    assert_eq!(
        lengths,
        vec![
            (Some("build"), Some("195"), Some("270")),
            (Some("build"), Some("195"), Some("270")),
            (Some("passing"), Some("615"), Some("410")),
            (Some("passing"), Some("615"), Some("410")),
        ]
    );
}

#[test]
fn every_badge_is_valid_accessible_xml() {
    let hostile = [
        "<script>alert(1)</script>",
        "a&b",
        "\"quoted\" 'single'",
        "tab\tand\u{0}nul",
        "]]>",
        "监视器 ✓",
    ];
    let mut specs: Vec<BadgeSpec> = cases().into_iter().map(|(_, s)| s).collect();
    for name in hostile {
        for style in [Style::Flat, Style::FlatSquare] {
            specs.push(spec(name, name, Color::Red, style));
        }
    }
    for s in specs {
        let svg = render_svg(&s);
        let doc = roxmltree::Document::parse(&svg).unwrap_or_else(|e| panic!("{e}: {svg}"));
        let root = doc.root_element();
        assert_eq!(root.attribute("role"), Some("img"));
        let aria = root.attribute("aria-label").expect("aria-label");
        let title = doc
            .descendants()
            .find(|n| n.has_tag_name("title"))
            .and_then(|n| n.text())
            .expect("title");
        assert_eq!(aria, title);
        assert!(!doc.descendants().any(|n| n.has_tag_name("script")), "{svg}");
        let total: u32 = root.attribute("width").and_then(|w| w.parse().ok()).expect("width");
        let widths: u32 = doc
            .descendants()
            .filter(|n| {
                n.has_tag_name("rect")
                    && n.attribute("fill").is_some_and(|f| f.starts_with('#'))
                    && n.parent().is_some_and(|p| p.has_tag_name("g"))
            })
            .filter_map(|n| n.attribute("width")?.parse::<u32>().ok())
            .sum();
        assert_eq!(total, widths, "label and message rects fill the badge: {svg}");
    }
}

proptest::proptest! {
    #[test]
    fn any_text_renders_to_well_formed_svg(label in "\\PC{0,80}", message in ".{0,80}", square in proptest::bool::ANY) {
        let style = if square { Style::FlatSquare } else { Style::Flat };
        let svg = render_svg(&spec(&label, &message, Color::Yellow, style));
        proptest::prop_assert!(roxmltree::Document::parse(&svg).is_ok(), "{}", svg);
    }

    #[test]
    fn any_query_parses_or_explains(query in ".{0,120}") {
        if let Err(e) = parse_badge_query(&query) {
            proptest::prop_assert!(!e.is_empty());
        }
    }
}
