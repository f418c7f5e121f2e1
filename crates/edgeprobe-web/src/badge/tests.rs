//! Badge tests: SVGs compared byte for byte with their snapshots in tests/fixtures/badge/
//! (edgeprobe_testkit::snapshots; accept a deliberate change as docs/testing.md says, and look at
//! the SVGs in a browser), shields.io geometry, and well-formed, accessible XML for any text.

use edgeprobe_testkit::assert_fixture_snapshot;

use super::*;

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
        (
            "build_passing.svg",
            spec("build", "passing", Color::BrightGreen, Style::Flat),
        ),
        (
            "status_up.svg",
            spec("shop", "up", Color::BrightGreen, Style::Flat),
        ),
        (
            "status_down_square.svg",
            spec(
                "shop",
                "down: origin refused",
                Color::Red,
                Style::FlatSquare,
            ),
        ),
        (
            "uptime_7d.svg",
            spec("api (weur)", "99.95%", Color::BrightGreen, Style::Flat),
        ),
        (
            "latency_slow.svg",
            spec("api", "1500 ms", Color::Orange, Style::Flat),
        ),
        (
            "escaped_name.svg",
            spec(
                r#"<script>&"'</script>"#,
                "degraded",
                Color::Yellow,
                Style::Flat,
            ),
        ),
        (
            "message_only.svg",
            spec("", "unknown", Color::LightGrey, Style::FlatSquare),
        ),
    ]
}

#[test]
fn badges_match_their_snapshots() {
    for (file, spec) in cases() {
        assert_fixture_snapshot!("badge", file, render_svg(&spec), "");
    }
}

#[test]
fn build_passing_has_shields_geometry() {
    // shields.io's own badge for build|passing: 88 px wide, 37 + 51, texts 27 and 41 px.
    let svg = render_svg(&spec("build", "passing", Color::BrightGreen, Style::Flat));
    let doc = roxmltree::Document::parse(&svg).expect("well-formed");
    let root = doc.root_element();
    assert_eq!(root.attribute("width"), Some("88"));
    let rects: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("rect"))
        .collect();
    assert_eq!(rects[1].attribute("width"), Some("37"));
    assert_eq!(rects[2].attribute("width"), Some("51"));
    let texts: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("text"))
        .collect();
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
        assert!(
            !doc.descendants().any(|n| n.has_tag_name("script")),
            "{svg}"
        );
        let total: u32 = root
            .attribute("width")
            .and_then(|w| w.parse().ok())
            .expect("width");
        let widths: u32 = doc
            .descendants()
            .filter(|n| {
                n.has_tag_name("rect")
                    && n.attribute("fill").is_some_and(|f| f.starts_with('#'))
                    && n.parent().is_some_and(|p| p.has_tag_name("g"))
            })
            .filter_map(|n| n.attribute("width")?.parse::<u32>().ok())
            .sum();
        assert_eq!(
            total, widths,
            "label and message rects fill the badge: {svg}"
        );
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
