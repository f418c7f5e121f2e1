//! The PagerDuty Events API v2 body (<https://developer.pagerduty.com/docs/events-api-v2/trigger-events/>).
//! Pure. The dedup key is the incident id (or the flapping episode's key), so `Down`,
//! `Updated` and `Reminder` update one PagerDuty alert and `Resolved` closes it. The "view in
//! edgeprobe" link (`client_url`) and the first link are the monitor's page, not the API.

use serde_json::{json, Value};

use super::{headline_facts, kind_label, primary_link, to_canonical_json, truncate};
use crate::alerting::alert::{Alert, AlertKind};
use crate::diagnosis::Severity;
use crate::time::format_rfc3339;

/// Where Events API v2 events go (for the platform's channel default).
pub const PAGERDUTY_EVENTS_URL: &str = "https://events.pagerduty.com/v2/enqueue";

const SUMMARY_MAX: usize = 1024;

fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "critical",
        Severity::Warning => "warning",
        Severity::Info | Severity::Ok => "info",
    }
}

/// The JSON body for PagerDuty. `Resolved` and `FlappingEnded` resolve their dedup key;
/// every other kind triggers (re-triggering an open key only updates it).
pub fn pagerduty_body(a: &Alert, routing_key: &str) -> String {
    let resolve = matches!(a.kind, AlertKind::Resolved | AlertKind::FlappingEnded);
    if resolve {
        return to_canonical_json(&json!({
            "routing_key": routing_key,
            "event_action": "resolve",
            "dedup_key": a.dedup_key,
        }));
    }
    let regions: Vec<Value> = a
        .regions
        .iter()
        .map(|r| serde_json::to_value(r).unwrap_or(Value::Null))
        .collect();
    let mut links = Vec::new();
    if let Some(page) = primary_link(a) {
        links.push(json!({"href": page, "text": "Monitor page"}));
    }
    links.push(json!({"href": a.links.docs, "text": format!("What {} means", a.verdict.as_str())}));
    links.push(json!({"href": a.links.api, "text": "Monitor in the edgeprobe API (token)"}));
    let facts = headline_facts(a);
    let summary = if facts.is_empty() {
        format!("{}: {}: {}", kind_label(a), a.monitor_name, a.summary)
    } else {
        format!(
            "{}: {}: {facts}: {}",
            kind_label(a),
            a.monitor_name,
            a.summary
        )
    };
    to_canonical_json(&json!({
        "routing_key": routing_key,
        "event_action": "trigger",
        "dedup_key": a.dedup_key,
        "payload": {
            "summary": truncate(&summary, SUMMARY_MAX),
            "source": a.monitor_url,
            "severity": severity(a.severity),
            "timestamp": format_rfc3339(a.at),
            "component": a.monitor_name,
            "group": a.monitor_id,
            "class": a.verdict.as_str(),
            "custom_details": {
                "alert_id": a.id,
                "kind": a.kind.as_str(),
                "state_change": a.state_change,
                "verdict": a.verdict.as_str(),
                "summary": a.summary,
                "incident_id": a.incident_id,
                "first_seen_at": a.first_seen_at.map(format_rfc3339),
                "confirmed_at": a.confirmed_at.map(format_rfc3339),
                "checklist": a.checklist,
                "regions": regions,
            },
        },
        "links": links,
        "client": "edgeprobe",
        "client_url": primary_link(a).unwrap_or(&a.links.api),
    }))
}
