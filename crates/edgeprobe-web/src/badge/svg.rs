//! The badge as SVG: shields.io's "flat" and "flat-square" look, rendered from a [`BadgeSpec`].
//!
//! Owns the geometry (what the badge says is decided in `content`); the markup is the askama
//! template templates/badge/badge.svg, which escapes every text (see [`crate::markup`]). Pure:
//! a spec in, a string out, tested byte for byte against tests/fixtures/badge/.

use askama::Template;

use super::width::preferred_width;
use super::{BadgeSpec, Color, Style};

/// Horizontal padding on each side of a text, as in shields.
const PADDING: u32 = 5;
/// Longest label or message rendered; longer texts end with an ellipsis so a badge stays a badge.
const MAX_CHARS: usize = 64;

/// The filled-in badge template. Coordinates are in pixels, text positions in tenths of a pixel.
#[derive(Template)]
#[template(path = "badge/badge.svg")]
struct BadgeSvg<'a> {
    total: u32,
    /// The accessible name (`aria-label` and `<title>`): "label: message".
    accessible: &'a str,
    /// Flat: rounded corners, gradient and text shadows; otherwise flat-square.
    flat: bool,
    /// Width of the grey label side (0 without a label).
    left: u32,
    /// Width of the coloured message side.
    right: u32,
    color: &'static str,
    label: Option<TextRun<'a>>,
    message: TextRun<'a>,
}

/// One text of the badge, centred in its side.
struct TextRun<'a> {
    x: u32,
    length: u32,
    fill: &'static str,
    shadow_fill: &'static str,
    content: &'a str,
}

/// Renders the badge. Any text is accepted: it is cleaned of characters XML cannot carry,
/// shortened to 64 characters, and escaped by the template.
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
    let left = if label.is_empty() {
        0
    } else {
        label_text_width + 2 * PADDING
    };
    let right = message_text_width + 2 * PADDING;
    // Shields leaves one pixel before the label text and lets the message start one pixel
    // early; keeping the same offsets keeps the text where people expect it.
    let label_run = (left > 0).then(|| text_run(&label, label_text_width, 1, Background::Label));
    let message_run = text_run(
        &message,
        message_text_width,
        left.saturating_sub(1),
        Background::Message(spec.color),
    );
    crate::markup::render(&BadgeSvg {
        total: left + right,
        accessible: &accessible,
        flat: spec.style == Style::Flat,
        left,
        right,
        color: spec.color.hex(),
        label: label_run,
        message: message_run,
    })
}

enum Background {
    Label,
    Message(Color),
}

fn text_run(content: &str, width: u32, margin: u32, background: Background) -> TextRun<'_> {
    let (fill, shadow_fill) = match background {
        Background::Label => ("#fff", "#010101"),
        Background::Message(c) => text_colors(c),
    };
    // Coordinates are in tenths of a pixel (the group is scaled by .1), as shields does, so
    // that half-pixel centres need no decimals.
    TextRun {
        x: 10 * (margin + PADDING) + 5 * width,
        length: 10 * width,
        fill,
        shadow_fill,
        content,
    }
}

/// Dark text on light backgrounds, white on dark ones (shields' brightness rule, threshold .69).
fn text_colors(color: Color) -> (&'static str, &'static str) {
    let (r, g, b) = color.rgb();
    let brightness =
        (f64::from(r) * 299.0 + f64::from(g) * 587.0 + f64::from(b) * 114.0) / 255_000.0;
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
    let mut short: String = kept[..MAX_CHARS - 1]
        .iter()
        .collect::<String>()
        .trim_end()
        .to_string();
    short.push('…');
    short
}

#[cfg(test)]
mod tests {
    use super::*;

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
