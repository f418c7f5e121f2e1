//! The ntfy request (<https://docs.ntfy.sh/publish/#publish-as-json>): the channel's URL is the
//! topic URL (`https://ntfy.sh/mytopic`, or a self-hosted server, under a path prefix too);
//! the alert is published as JSON to the server's root (the URL without its last segment)
//! with the topic in the body, so titles and messages in any script need no header encoding.
//! The title is the kind and monitor, the message the headline facts, summary and regions in
//! plain words; `click` and a "view" action open the monitor's page; priority follows
//! severity (urgent for critical incidents); tags are emoji short codes. An optional access
//! token (the channel's secret) goes in `Authorization: Bearer`. Pure; the message stays under
//! ntfy's 4096-byte limit (beyond it ntfy would turn it into an attachment).

use serde_json::{json, Value};

use super::{
    edge_words, headline_facts, kind_label, origin_words, primary_link, region_title,
    to_canonical_json, truncate, utc_minutes,
};
use crate::alerting::alert::{Alert, AlertKind};
use crate::diagnosis::Severity;

const MESSAGE_MAX_BYTES: usize = 4000;

/// ntfy priorities: 5 urgent … 1 min.
fn priority(a: &Alert) -> u8 {
    match a.kind {
        AlertKind::Down | AlertKind::Updated | AlertKind::Reminder => match a.severity {
            Severity::Critical => 5,
            Severity::Warning => 4,
            Severity::Info | Severity::Ok => 3,
        },
        AlertKind::Flapping => 4,
        AlertKind::Resolved | AlertKind::FlappingEnded | AlertKind::CertExpiring => 3,
        AlertKind::CertRenewed => 2,
        AlertKind::Test => 2,
    }
}

fn tag(kind: AlertKind) -> &'static str {
    match kind {
        AlertKind::Down | AlertKind::Updated | AlertKind::Reminder => "rotating_light",
        AlertKind::Resolved => "white_check_mark",
        AlertKind::Flapping | AlertKind::FlappingEnded | AlertKind::CertExpiring => "warning",
        AlertKind::CertRenewed => "white_check_mark",
        AlertKind::Test => "information_source",
    }
}

/// Splits a topic URL into the server root (with a trailing slash) and the topic.
fn split_topic(topic_url: &str) -> (String, String) {
    let trimmed = topic_url.trim_end_matches('/');
    match trimmed.rsplit_once('/') {
        Some((root, topic)) if root.contains("://") && !root.ends_with('/') => {
            (format!("{root}/"), topic.to_string())
        }
        _ => (topic_url.to_string(), String::new()),
    }
}

/// At most `max` bytes of `s`, cut at a character boundary (ending in `…` when cut).
fn truncate_bytes(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max.saturating_sub('…'.len_utf8());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

/// The request URL (the server root) and JSON body for `alert`.
pub fn ntfy_request(topic_url: &str, a: &Alert) -> (String, String) {
    let (root, topic) = split_topic(topic_url);
    let mut lines = Vec::new();
    let facts = headline_facts(a);
    if !facts.is_empty() {
        lines.push(facts);
    }
    lines.push(a.summary.clone());
    if let Some(t) = a.first_seen_at {
        lines.push(format!("First seen {}.", utc_minutes(t)));
    }
    for r in &a.regions {
        lines.push(format!(
            "{}: edge {}; origin {}",
            region_title(r),
            edge_words(r),
            origin_words(r)
        ));
    }
    let mut body = json!({
        "topic": topic,
        "title": truncate(&format!("{}: {}", kind_label(a), a.monitor_name), 250),
        "message": truncate_bytes(&lines.join("\n"), MESSAGE_MAX_BYTES),
        "priority": priority(a),
        "tags": [tag(a.kind), a.verdict.as_str()],
    });
    if let Some(page) = primary_link(a) {
        body["click"] = Value::String(page.to_string());
        body["actions"] =
            json!([{"action": "view", "label": "Open the monitor page", "url": page}]);
    }
    (root, to_canonical_json(&body))
}

#[cfg(test)]
mod tests {
    use super::{split_topic, truncate_bytes};

    #[test]
    fn topic_urls_split_into_server_root_and_topic() {
        let cases = [
            ("https://ntfy.sh/alerts", ("https://ntfy.sh/", "alerts")),
            ("https://ntfy.sh/alerts/", ("https://ntfy.sh/", "alerts")),
            (
                "https://example.com/ntfy/ops",
                ("https://example.com/ntfy/", "ops"),
            ),
            ("http://127.0.0.1:9/hook", ("http://127.0.0.1:9/", "hook")),
        ];
        for (url, (root, topic)) in cases {
            assert_eq!(
                split_topic(url),
                (root.to_string(), topic.to_string()),
                "{url}"
            );
        }
    }

    #[test]
    fn byte_truncation_never_splits_a_character() {
        let s = "é".repeat(10);
        let t = truncate_bytes(&s, 8);
        assert!(t.len() <= 8, "{t}");
        assert!(t.ends_with('…'));
        assert_eq!(truncate_bytes("abc", 8), "abc");
    }
}
