//! The Opsgenie Alerts API requests (<https://docs.opsgenie.com/docs/alert-api>), sent with
//! `Authorization: GenieKey <key>` (the channel's secret) to the channel's URL, the API base:
//! `https://api.opsgenie.com` (US, the default) or `https://api.eu.opsgenie.com` (EU).
//!
//! `Down`, `Updated`, `Reminder`, `Flapping` and `Test` create an alert (`POST /v2/alerts`)
//! whose `alias` is the dedup key (the incident id, or the flapping episode's key): Opsgenie
//! de-duplicates repeats of an open alias into one alert. `Resolved` and `FlappingEnded` close
//! it (`POST /v2/alerts/{alias}/close?identifierType=alias`). The description is plain words;
//! the runtime's raw texts are evidence, in `details`. Pure; respects the API's limits
//! (message 130, alias 512, description 15000, detail values kept short).

use std::collections::BTreeMap;

use serde_json::json;

use super::{
    edge_words, headline_facts, kind_label, origin_words, primary_link, region_title,
    to_canonical_json, truncate,
};
use crate::alerting::alert::{Alert, AlertKind};
use crate::diagnosis::Severity;
use crate::time::format_rfc3339;

/// The US API base (the channel URL's default); EU accounts use `https://api.eu.opsgenie.com`.
pub const OPSGENIE_API_BASE: &str = "https://api.opsgenie.com";

const MESSAGE_MAX: usize = 130;
const ALIAS_MAX: usize = 512;
const DESCRIPTION_MAX: usize = 15_000;
const NOTE_MAX: usize = 25_000;
const DETAIL_MAX: usize = 1000;

fn priority(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "P1",
        Severity::Warning => "P3",
        Severity::Info | Severity::Ok => "P5",
    }
}

/// Percent-encodes everything but RFC 3986's unreserved characters (for the alias in a path).
fn path_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The request URL and JSON body for `alert`, given the API base (empty: the US default).
pub fn opsgenie_request(base: &str, a: &Alert) -> (String, String) {
    let base = if base.is_empty() {
        OPSGENIE_API_BASE
    } else {
        base.trim_end_matches('/')
    };
    let alias = truncate(&a.dedup_key, ALIAS_MAX);
    if matches!(a.kind, AlertKind::Resolved | AlertKind::FlappingEnded) {
        let url = format!(
            "{base}/v2/alerts/{}/close?identifierType=alias",
            path_segment(&alias)
        );
        let body = json!({
            "source": "edgeprobe",
            "user": "edgeprobe",
            "note": truncate(&format!("{}: {}", kind_label(a), a.summary), NOTE_MAX),
        });
        return (url, to_canonical_json(&body));
    }
    let mut description = a.summary.clone();
    let facts = headline_facts(a);
    if !facts.is_empty() {
        description = format!("{facts}\n\n{description}");
    }
    for r in &a.regions {
        description.push_str(&format!(
            "\n- {}: edge {}; origin {}",
            region_title(r),
            edge_words(r),
            origin_words(r)
        ));
    }
    if !a.checklist.is_empty() {
        description.push_str("\n\nWhat to check:");
        for (i, item) in a.checklist.iter().enumerate() {
            description.push_str(&format!("\n{}. {item}", i + 1));
        }
    }
    if let Some(page) = primary_link(a) {
        description.push_str(&format!("\n\nMonitor page: {page}"));
    }
    let mut details: BTreeMap<String, String> = BTreeMap::new();
    let mut put = |k: &str, v: &str| {
        details.insert(k.to_string(), truncate(v, DETAIL_MAX));
    };
    put("kind", a.kind.as_str());
    put("verdict", a.verdict.as_str());
    put("state_change", &a.state_change);
    put("monitor_id", &a.monitor_id);
    put("monitor_url", &a.monitor_url);
    if let Some(page) = primary_link(a) {
        put("monitor_page", page);
    }
    put("docs", &a.links.docs);
    put("api", &a.links.api);
    if let Some(id) = &a.incident_id {
        put("incident_id", id);
    }
    if let Some(t) = a.first_seen_at {
        put("first_seen_at", &format_rfc3339(t));
    }
    // The evidence, raw texts included.
    for r in &a.regions {
        let mut parts = Vec::new();
        if let Some(s) = r.edge_status {
            parts.push(format!("edge HTTP {s}"));
        }
        if let Some(f) = &r.edge_failure {
            parts.push(format!("edge {f}"));
        }
        if let Some(d) = &r.origin_detail {
            parts.push(format!(
                "origin {}{d}",
                r.origin_failed_step
                    .as_deref()
                    .map(|s| format!("{s}: "))
                    .unwrap_or_default()
            ));
        }
        put(&format!("region {}", region_title(r)), &parts.join("; "));
    }
    let body = json!({
        "message": truncate(&format!("{}: {}", kind_label(a), a.monitor_name), MESSAGE_MAX),
        "alias": alias,
        "description": truncate(&description, DESCRIPTION_MAX),
        "details": details,
        "entity": truncate(&a.monitor_name, 512),
        "source": "edgeprobe",
        "priority": priority(a.severity),
        "tags": ["edgeprobe", a.kind.as_str(), a.verdict.as_str()],
    });
    (format!("{base}/v2/alerts"), to_canonical_json(&body))
}
