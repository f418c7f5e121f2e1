//! The page shell every status page shares (templates/status_page/layout.html: document head,
//! inline stylesheet, header, footer), the look of each health state, and the not-found page.
//! Owns the look; the content is built by `index` and `monitor`.

use askama::Template;

use edgeprobe_core::status::Health;

/// How a health state is shown: the CSS class suffix (`h-up`…), the icon and the word. Every
/// state carries all three, so colour is never the only cue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Look {
    pub class: &'static str,
    /// The icon glyph (hidden from screen readers: the word next to it says the same).
    pub glyph: &'static str,
    pub word: &'static str,
}

pub(crate) fn look(health: Health) -> Look {
    let (glyph, word) = match health {
        Health::Up => ("✓", "Operational"),
        Health::Degraded => ("!", "Degraded"),
        Health::Down => ("✕", "Down"),
        Health::Unknown => ("?", "Unknown"),
    };
    Look {
        class: health.as_str(),
        glyph,
        word,
    }
}

/// The icon of the status pages (`/favicon.svg`): a green check in a circle.
pub const FAVICON_SVG: &str = concat!(
    r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">"##,
    r##"<circle cx="16" cy="16" r="15" fill="#1a7f37"/>"##,
    r##"<path d="M9 16.5l4.5 4.5L23 11.5" fill="none" stroke="#fff" stroke-width="3.5" "##,
    r##"stroke-linecap="round" stroke-linejoin="round"/></svg>"##,
);

/// `/status/{slug}` for a slug the platform may not have checked: unsafe characters are
/// percent-encoded so the link stays a link to our page.
pub(crate) fn monitor_href(slug: &str) -> String {
    let mut href = String::from("/status/");
    for b in slug.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            href.push(char::from(b));
        } else {
            href.push_str(&format!("%{b:02X}"));
        }
    }
    href
}

#[derive(Template)]
#[template(path = "status_page/not_found.html")]
struct NotFoundPage<'a> {
    site_title: &'a str,
    page_title: &'a str,
}

/// The page for an unknown or non-public slug (served with status 404).
pub fn render_not_found(site_title: &str) -> String {
    crate::markup::render(&NotFoundPage {
        site_title,
        page_title: "Not found",
    })
}
