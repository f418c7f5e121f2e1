//! Status badges: `/badge/{slug}.svg` (shields.io look) and `/badge/{slug}.json` (the
//! shields.io endpoint schema), with their caching headers.
//!
//! This module decides what a badge says and how it looks: query parsing ([`parse_badge_query`]),
//! content ([`badge_for`]), rendering ([`render_svg`], [`shields_endpoint_json`]) and the ETag
//! rules ([`etag_for`], [`if_none_match_matches`]). It must not read storage or the clock: the
//! platform loads the monitor's current status and rollups into a [`BadgeInput`] and sends
//! what comes back.

mod content;
mod http;
mod query;
mod svg;
mod width;

pub use content::{
    badge_for, format_latency, format_uptime, invalid_badge, latency_color, region_health,
    short_verdict, uptime_color, BadgeInput,
};
pub use http::{etag_for, if_none_match_matches, shields_endpoint_json, CACHE_CONTROL};
pub use query::{parse_badge_query, BadgeQuery, Metric, Stat, Window};
pub use svg::render_svg;
pub use width::{preferred_width, text_width};

/// What a badge shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadgeSpec {
    /// Left side (grey). Empty: a message-only badge.
    pub label: String,
    /// Right side (coloured).
    pub message: String,
    pub color: Color,
    pub style: Style,
}

/// Shields' look names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Style {
    /// Rounded corners, a soft gradient, shadowed text.
    #[default]
    Flat,
    /// Square corners, no gradient, no shadow.
    FlatSquare,
}

impl Style {
    pub fn as_str(self) -> &'static str {
        match self {
            Style::Flat => "flat",
            Style::FlatSquare => "flat-square",
        }
    }
}

/// The named shields.io colours a badge can take (a closed set: every badge colour means
/// something here).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Color {
    BrightGreen,
    Green,
    Yellow,
    Orange,
    Red,
    LightGrey,
}

impl Color {
    /// The shields.io colour name (the endpoint JSON's `color`).
    pub fn name(self) -> &'static str {
        match self {
            Color::BrightGreen => "brightgreen",
            Color::Green => "green",
            Color::Yellow => "yellow",
            Color::Orange => "orange",
            Color::Red => "red",
            Color::LightGrey => "lightgrey",
        }
    }

    /// The hex value shields.io uses for the name.
    pub fn hex(self) -> &'static str {
        match self {
            Color::BrightGreen => "#4c1",
            Color::Green => "#97ca00",
            Color::Yellow => "#dfb317",
            Color::Orange => "#fe7d37",
            Color::Red => "#e05d44",
            Color::LightGrey => "#9f9f9f",
        }
    }

    fn rgb(self) -> (u8, u8, u8) {
        match self {
            Color::BrightGreen => (0x44, 0xcc, 0x11),
            Color::Green => (0x97, 0xca, 0x00),
            Color::Yellow => (0xdf, 0xb3, 0x17),
            Color::Orange => (0xfe, 0x7d, 0x37),
            Color::Red => (0xe0, 0x5d, 0x44),
            Color::LightGrey => (0x9f, 0x9f, 0x9f),
        }
    }
}

#[cfg(test)]
mod tests;
