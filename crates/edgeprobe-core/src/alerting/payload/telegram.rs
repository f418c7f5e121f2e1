//! The Telegram Bot API `sendMessage` request (<https://core.telegram.org/bots/api#sendmessage>):
//! POSTed to `{base}/bot{token}/sendMessage`, where `base` is the channel's URL
//! (`https://api.telegram.org` unless set: a self-hosted Bot API server, or a local receiver
//! in tests) and the token is the channel's secret. The body is JSON with an HTML-formatted
//! text (title, headline facts, summary, regions, checklist, links with the monitor's page
//! first) and link previews off. Telegram cannot show a time in the reader's zone, so first
//! seen is in UTC. Pure; the text stays under Telegram's 4096-character limit (regions and
//! checklist items are added while they fit, every piece escaped and cut separately so no
//! tag is ever split).

use serde_json::json;

use super::{
    edge_words, headline_facts, kind_label, link_target, origin_words, primary_link, region_title,
    to_canonical_json, truncate, utc_minutes,
};
use crate::alerting::alert::{Alert, AlertKind};

/// Where the Bot API lives (the channel URL's default).
pub const TELEGRAM_API_BASE: &str = "https://api.telegram.org";

/// Well below the 4096 characters Telegram counts after parsing entities.
const TEXT_BUDGET: usize = 3800;
const PIECE_MAX: usize = 600;

/// `{base}/bot{token}/sendMessage`. The result carries the token: never log it.
pub fn send_message_url(base: &str, token: &str) -> String {
    let base = if base.is_empty() {
        TELEGRAM_API_BASE
    } else {
        base
    };
    format!("{}/bot{token}/sendMessage", base.trim_end_matches('/'))
}

/// Telegram's HTML mode needs `&`, `<`, `>` (and `"` inside attributes) escaped.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn emoji(kind: AlertKind) -> &'static str {
    match kind {
        AlertKind::Down | AlertKind::Updated | AlertKind::Reminder => "🔴",
        AlertKind::Resolved => "🟢",
        AlertKind::Flapping | AlertKind::FlappingEnded | AlertKind::CertExpiring => "🟡",
        AlertKind::CertRenewed => "🟢",
        AlertKind::Test => "🔵",
    }
}

/// The JSON body for `sendMessage` to `chat_id`.
pub fn telegram_body(a: &Alert, chat_id: &str) -> String {
    let mut head = vec![format!(
        "{} <b>{}: {}</b>",
        emoji(a.kind),
        kind_label(a),
        esc(&truncate(&a.monitor_name, PIECE_MAX))
    )];
    let facts = headline_facts(a);
    if !facts.is_empty() {
        head.push(format!("<b>{}</b>", esc(&facts)));
    }
    head.push(esc(&truncate(&a.summary, PIECE_MAX * 2)));
    let severity = serde_json::to_value(a.severity)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    let mut meta = format!(
        "\nCause: <code>{}</code> · Severity: {} · State: {}",
        a.verdict.as_str(),
        severity,
        esc(&a.state_change)
    );
    if let Some(t) = a.first_seen_at {
        meta.push_str(&format!("\nFirst seen: {}", utc_minutes(t)));
    }
    head.push(meta);

    let mut links = Vec::new();
    if let Some(page) = primary_link(a) {
        links.push(format!(
            "<a href=\"{}\">Open the monitor page</a>",
            esc(&link_target(page))
        ));
    }
    links.push(format!(
        "<a href=\"{}\">What {} means</a>",
        esc(&link_target(&a.links.docs)),
        a.verdict.as_str()
    ));
    let tail = format!(
        "\n{}\nAPI: <code>{}</code>",
        links.join(" · "),
        esc(&truncate(&a.links.api, PIECE_MAX))
    );

    let mut text = head.join("\n");
    let room = |text: &str, extra: &str| {
        text.chars().count() + extra.chars().count() + tail.chars().count() <= TEXT_BUDGET
    };
    let mut sections: Vec<String> = Vec::new();
    if !a.regions.is_empty() {
        sections.push("\n<b>Regions</b>".to_string());
        for r in &a.regions {
            sections.push(format!(
                "• {}: edge {}; origin {}",
                esc(&truncate(&region_title(r), 100)),
                esc(&truncate(&edge_words(r), 200)),
                esc(&truncate(&origin_words(r), 200))
            ));
        }
    }
    if !a.checklist.is_empty() {
        sections.push("\n<b>What to check</b>".to_string());
        for (i, item) in a.checklist.iter().enumerate() {
            sections.push(format!("{}. {}", i + 1, esc(&truncate(item, 300))));
        }
    }
    for line in sections {
        let piece = format!("\n{line}");
        if !room(&text, &piece) {
            text.push_str("\n…");
            break;
        }
        text.push_str(&piece);
    }
    text.push_str(&tail);
    to_canonical_json(&json!({
        "chat_id": chat_id,
        "text": text,
        "parse_mode": "HTML",
        "link_preview_options": {"is_disabled": true},
    }))
}
