//! The badge as SVG: shields.io's "flat" and "flat-square" look, rendered from a [`BadgeSpec`].
//!
//! Owns the geometry and the markup only (what the badge says is decided in `content`). Pure:
//! a spec in, a string out, tested byte for byte against tests/fixtures/badge/.

use std::fmt::Write;

use super::width::preferred_width;
use super::{BadgeSpec, Color, Style};

/// Horizontal padding on each side of a text, as in shields.
const PADDING: u32 = 5;
/// Longest label or message rendered; longer texts end with an ellipsis so a badge stays a badge.
const MAX_CHARS: usize = 64;
const LABEL_BACKGROUND: &str = "#555";
const FONT: &str = "Verdana,Geneva,DejaVu Sans,sans-serif";

/// Renders the badge. Any text is accepted: it is cleaned of characters XML cannot carry,
/// shortened to 64 characters, and escaped.
pub fn render_svg(spec: &BadgeSpec) -> String {
    let label = clean_text(&spec.label);
    let message = clean_text(&spec.message);
    let accessible = if label.is_empty() {
        message.clone()
    } else {
        format!("{label}: {message}")
    };

    let label_text_width = preferred_width(&label);
    let message_text_width = preferred_width(&message);
    let left = if label.is_empty() { 0 } else { label_text_width + 2 * PADDING };
    let right = message_text_width + 2 * PADDING;
    let total = left + right;
    let flat = spec.style == Style::Flat;

    let mut svg = String::with_capacity(1200);
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{total}" height="20" role="img" aria-label="{a}"><title>{a}</title>"#,
        a = escape_xml(&accessible)
    );
    if flat {
        let _ = write!(
            svg,
            r##"<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient><clipPath id="r"><rect width="{total}" height="20" rx="3" fill="#fff"/></clipPath><g clip-path="url(#r)">"##
        );
    } else {
        svg.push_str(r#"<g shape-rendering="crispEdges">"#);
    }
    if left > 0 {
        let _ = write!(svg, r#"<rect width="{left}" height="20" fill="{LABEL_BACKGROUND}"/>"#);
    }
    let _ = write!(svg, r#"<rect x="{left}" width="{right}" height="20" fill="{}"/>"#, spec.color.hex());
    if flat {
        let _ = write!(svg, r#"<rect width="{total}" height="20" fill="url(#s)"/>"#);
    }
    let _ = write!(
        svg,
        r##"</g><g fill="#fff" text-anchor="middle" font-family="{FONT}" text-rendering="geometricPrecision" font-size="110">"##
    );
    if left > 0 {
        // Shields leaves one pixel before the label text and lets the message start one pixel
        // early; keeping the same offsets keeps the text where people expect it.
        text(&mut svg, &label, label_text_width, 1, Background::Label, flat);
    }
    let message_margin = left.saturating_sub(1);
    text(
        &mut svg,
        &message,
        message_text_width,
        message_margin,
        Background::Message(spec.color),
        flat,
    );
    svg.push_str("</g></svg>");
    svg
}

enum Background {
    Label,
    Message(Color),
}

fn text(svg: &mut String, content: &str, width: u32, margin: u32, background: Background, shadow: bool) {
    let (fill, shadow_fill) = match background {
        Background::Label => ("#fff", "#010101"),
        Background::Message(c) => text_colors(c),
    };
    // Coordinates are in tenths of a pixel (the group is scaled by .1), as shields does, so
    // that half-pixel centres need no decimals.
    let x = 10 * (margin + PADDING) + 5 * width;
    let length = 10 * width;
    let content = escape_xml(content);
    if shadow {
        let _ = write!(
            svg,
            r#"<text aria-hidden="true" x="{x}" y="150" fill="{shadow_fill}" fill-opacity=".3" transform="scale(.1)" textLength="{length}">{content}</text>"#
        );
    }
    let _ = write!(
        svg,
        r#"<text x="{x}" y="140" transform="scale(.1)" fill="{fill}" textLength="{length}">{content}</text>"#
    );
}

/// Dark text on light backgrounds, white on dark ones (shields' brightness rule, threshold .69).
fn text_colors(color: Color) -> (&'static str, &'static str) {
    let (r, g, b) = color.rgb();
    let brightness = (f64::from(r) * 299.0 + f64::from(g) * 587.0 + f64::from(b) * 114.0) / 255_000.0;
    if brightness >= 0.69 {
        ("#333", "#ccc")
    } else {
        ("#fff", "#010101")
    }
}

/// Drops characters XML 1.0 cannot carry (control characters, noncharacters) and shortens.
fn clean_text(s: &str) -> String {
    let kept: Vec<char> = s
        .chars()
        .filter(|&c| !c.is_control() && c != '\u{fffe}' && c != '\u{ffff}')
        .collect();
    if kept.len() <= MAX_CHARS {
        return kept.into_iter().collect::<String>().trim().to_string();
    }
    let mut short: String = kept[..MAX_CHARS - 1].iter().collect::<String>().trim_end().to_string();
    short.push('…');
    short
}

/// Escapes text for XML element content and attribute values.
pub fn escape_xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_every_markup_character() {
        assert_eq!(
            escape_xml(r#"<a href="x">&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&amp;&apos;&lt;/a&gt;"
        );
    }

    #[test]
    fn cleans_control_characters_and_shortens_long_text() {
        assert_eq!(clean_text("a\u{0}b\u{1b}c\n"), "abc");
        let long = "x".repeat(100);
        let cleaned = clean_text(&long);
        assert_eq!(cleaned.chars().count(), MAX_CHARS);
        assert!(cleaned.ends_with('…'));
    }

    #[test]
    fn palette_colours_are_dark_enough_for_white_text() {
        assert_eq!(text_colors(Color::BrightGreen), ("#fff", "#010101"));
        assert_eq!(text_colors(Color::Yellow), ("#fff", "#010101"));
        assert_eq!(text_colors(Color::LightGrey), ("#fff", "#010101"));
    }
}
