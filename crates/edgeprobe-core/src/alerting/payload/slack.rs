//! The Slack incoming-webhook body: Block Kit blocks (header, summary, per-region evidence as
//! fields, checklist, links in a context block) plus the top-level `text` Slack shows in
//! notifications and where blocks cannot render. Pure; respects Slack's block limits (header
//! 150 chars, section text 3000, at most 10 fields of 2000) by truncating at char boundaries.

use serde_json::{json, Value};

use super::{
    edge_words, kind_label, link_target, origin_words, region_title, to_canonical_json, truncate,
};
use crate::alerting::alert::Alert;
use crate::time::format_rfc3339;

const HEADER_MAX: usize = 150;
const TEXT_MAX: usize = 3000;
const FIELDS_MAX: usize = 10;
const FIELD_MAX: usize = 2000;

/// Slack's mrkdwn treats `&`, `<` and `>` as control characters; everything from outside
/// (summaries, runtime error texts, monitor names) is escaped.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn emoji(a: &Alert) -> &'static str {
    use crate::alerting::alert::AlertKind::*;
    match a.kind {
        Down | Updated | Reminder => ":red_circle:",
        Resolved => ":large_green_circle:",
        Flapping | FlappingEnded => ":large_yellow_circle:",
        Test => ":large_blue_circle:",
    }
}

/// The JSON body POSTed to a Slack incoming webhook.
pub fn slack_body(a: &Alert) -> String {
    let title = truncate(
        &format!("{}: {}", kind_label(a), a.monitor_name),
        HEADER_MAX,
    );
    let fallback = truncate(
        &format!(
            "{} {}: {}",
            kind_label(a),
            esc(&a.monitor_name),
            esc(&a.summary)
        ),
        TEXT_MAX,
    );
    let mut blocks: Vec<Value> = vec![json!({
        "type": "header",
        "text": {"type": "plain_text", "text": title, "emoji": true},
    })];
    let overview = format!(
        "{} {}\n*Cause:* `{}`   *Severity:* {}   *State:* {}\n<{}|{}>",
        emoji(a),
        esc(&a.summary),
        a.verdict.as_str(),
        serde_json::to_value(a.severity)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default(),
        esc(&a.state_change),
        link_target(&a.monitor_url),
        esc(&a.monitor_url),
    );
    blocks.push(json!({"type": "section", "text": {"type": "mrkdwn", "text": truncate(&overview, TEXT_MAX)}}));
    if !a.regions.is_empty() {
        let fields: Vec<Value> = a
            .regions
            .iter()
            .take(FIELDS_MAX)
            .map(|r| {
                let text = format!(
                    "*{}*\nedge: {}\norigin: {}",
                    esc(&region_title(r)),
                    esc(&edge_words(r)),
                    esc(&origin_words(r))
                );
                json!({"type": "mrkdwn", "text": truncate(&text, FIELD_MAX)})
            })
            .collect();
        blocks.push(json!({"type": "section", "fields": fields}));
    }
    if !a.checklist.is_empty() {
        let mut text = String::from("*What to check*");
        for (i, item) in a.checklist.iter().enumerate() {
            text.push_str(&format!("\n{}. {}", i + 1, esc(item)));
        }
        blocks.push(json!({"type": "section", "text": {"type": "mrkdwn", "text": truncate(&text, TEXT_MAX)}}));
    }
    let mut links = vec![format!(
        "<{}|What `{}` means>",
        link_target(&a.links.docs),
        a.verdict.as_str()
    )];
    if let Some(page) = &a.links.status_page {
        links.push(format!("<{}|Status page>", link_target(page)));
    }
    links.push(format!("<{}|API>", link_target(&a.links.api)));
    if let Some(id) = &a.incident_id {
        links.push(format!("incident `{}`", esc(id)));
    }
    if let Some(t) = a.first_seen_at {
        links.push(format!("first seen {}", format_rfc3339(t)));
    }
    blocks.push(json!({"type": "context", "elements": [{"type": "mrkdwn", "text": truncate(&links.join(" · "), TEXT_MAX)}]}));
    to_canonical_json(&json!({"text": fallback, "blocks": blocks}))
}
