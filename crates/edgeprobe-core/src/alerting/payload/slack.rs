//! The Slack incoming-webhook body: Block Kit blocks (header, summary with the headline facts,
//! per-region evidence as fields, checklist, links in a context block: the monitor's page
//! first, the API last) plus the top-level `text` Slack shows in notifications and where
//! blocks cannot render. The first-seen time is a `<!date^…>` token, shown in each reader's
//! time zone (UTC as the fallback). A channel's mention (`@here`, `@channel`, or a user
//! group id `S…` as `<!subteam^S…>`) leads the text and the summary of alerts that ask for
//! action. Pure; respects Slack's block limits (header 150 chars, section text 3000, at most
//! 10 fields of 2000) by truncating at char boundaries.

use serde_json::{json, Value};

use super::{
    edge_words, headline_facts, kind_label, link_target, mentions, origin_words, primary_link,
    region_title, to_canonical_json, truncate, unix_secs, utc_minutes,
};
use crate::alerting::alert::Alert;

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
        Flapping | FlappingEnded | CertExpiring => ":large_yellow_circle:",
        CertRenewed => ":large_green_circle:",
        Test => ":large_blue_circle:",
    }
}

/// Slack's markup for a validated mention: `@here`, `@channel`, or a user group id.
fn mention_markup(m: &str) -> String {
    match m {
        "@here" => "<!here>".to_string(),
        "@channel" => "<!channel>".to_string(),
        group => format!("<!subteam^{}>", esc(group)),
    }
}

/// The JSON body POSTed to a Slack incoming webhook; `mention` is the channel's (validated).
pub fn slack_body(a: &Alert, mention: Option<&str>) -> String {
    let ping = mention
        .filter(|_| mentions(a))
        .map(|m| format!("{} ", mention_markup(m)))
        .unwrap_or_default();
    let title = truncate(
        &format!("{}: {}", kind_label(a), a.monitor_name),
        HEADER_MAX,
    );
    let facts = headline_facts(a);
    let fallback = truncate(
        &format!(
            "{ping}{} {}: {}{}",
            kind_label(a),
            esc(&a.monitor_name),
            if facts.is_empty() {
                String::new()
            } else {
                format!("{} · ", esc(&facts))
            },
            esc(&a.summary)
        ),
        TEXT_MAX,
    );
    let mut blocks: Vec<Value> = vec![json!({
        "type": "header",
        "text": {"type": "plain_text", "text": title, "emoji": true},
    })];
    let facts_line = if facts.is_empty() {
        String::new()
    } else {
        format!("\n*{}*", esc(&facts))
    };
    let overview = format!(
        "{ping}{} {}{facts_line}\n*Cause:* `{}`   *Severity:* {}   *State:* {}\n<{}|{}>",
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
    let mut links = Vec::new();
    if let Some(page) = primary_link(a) {
        links.push(format!("*<{}|Open the monitor page>*", link_target(page)));
    }
    links.push(format!(
        "<{}|What `{}` means>",
        link_target(&a.links.docs),
        a.verdict.as_str()
    ));
    if let Some(id) = &a.incident_id {
        links.push(format!("incident `{}`", esc(id)));
    }
    if let Some(t) = a.first_seen_at {
        links.push(format!(
            "first seen <!date^{}^{{date_short_pretty}} at {{time}}|{}>",
            unix_secs(t),
            utc_minutes(t)
        ));
    }
    // Not a link: the API answers only with a bearer token; it is there to copy.
    links.push(format!("API: `{}`", esc(&a.links.api)));
    blocks.push(json!({"type": "context", "elements": [{"type": "mrkdwn", "text": truncate(&links.join(" · "), TEXT_MAX)}]}));
    to_canonical_json(&json!({"text": fallback, "blocks": blocks}))
}
