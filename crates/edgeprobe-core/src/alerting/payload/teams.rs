//! The Microsoft Teams body for a workflow webhook ("Post to a channel when a webhook request
//! is received", the replacement of Office 365 connectors): a `message` with one Adaptive Card
//! (schema 1.4). The card has the title coloured by kind, the headline facts, the summary,
//! first seen, a fact set (cause, severity, state, incident, site, API), the regions, the
//! checklist, and buttons: the monitor's page first. First seen uses the card's
//! `{{DATE()}}`/`{{TIME()}}` functions, which Teams shows in the reader's time zone. Pure; keeps the card well under
//! Teams' 28 KB message limit (at most 15 regions, 10 checklist items, texts truncated).

use serde_json::{json, Value};

use super::{
    edge_words, headline_facts, kind_label, origin_words, primary_link, region_title,
    to_canonical_json, truncate,
};
use crate::alerting::alert::{Alert, AlertKind};
use crate::time::format_rfc3339;

const TEXT_MAX: usize = 1500;
const REGIONS_MAX: usize = 15;
const CHECKLIST_MAX: usize = 10;
const ITEM_MAX: usize = 200;

fn colour(kind: AlertKind) -> &'static str {
    match kind {
        AlertKind::Down | AlertKind::Updated | AlertKind::Reminder => "Attention",
        AlertKind::Resolved => "Good",
        AlertKind::Flapping | AlertKind::FlappingEnded => "Warning",
        AlertKind::Test => "Accent",
        AlertKind::CertExpiring => "Warning",
        AlertKind::CertRenewed => "Good",
    }
}

fn text(t: &str) -> Value {
    json!({"type": "TextBlock", "text": truncate(t, TEXT_MAX), "wrap": true})
}

fn fact(title: &str, value: &str) -> Value {
    json!({"title": title, "value": truncate(value, ITEM_MAX)})
}

/// `2026-11-30T20:08:24Z`: the form Adaptive Card date functions accept (no fraction).
fn card_time(t: i64) -> String {
    let full = format_rfc3339(t);
    format!("{}Z", full.get(..19).unwrap_or_default())
}

/// The JSON body POSTed to a Teams workflow webhook.
pub fn teams_body(a: &Alert) -> String {
    let mut body = vec![json!({
        "type": "TextBlock",
        "size": "Large",
        "weight": "Bolder",
        "color": colour(a.kind),
        "text": truncate(&format!("{}: {}", kind_label(a), a.monitor_name), ITEM_MAX),
        "wrap": true,
    })];
    let facts = headline_facts(a);
    if !facts.is_empty() {
        body.push(json!({"type": "TextBlock", "weight": "Bolder", "text": facts, "wrap": true}));
    }
    body.push(text(&a.summary));
    if let Some(t) = a.first_seen_at {
        // DATE()/TIME() are TextBlock features (not documented for facts): the reader's zone.
        let t = card_time(t);
        body.push(json!({
            "type": "TextBlock",
            "isSubtle": true,
            "text": format!("First seen {{{{DATE({t}, SHORT)}}}} at {{{{TIME({t})}}}}"),
            "wrap": true,
        }));
    }
    let severity = serde_json::to_value(a.severity)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    let mut fact_set = vec![
        fact("Cause", a.verdict.as_str()),
        fact("Severity", &severity),
        fact("State", &a.state_change),
    ];
    if let Some(id) = &a.incident_id {
        fact_set.push(fact("Incident", id));
    }
    fact_set.push(fact("Site", &a.monitor_url));
    fact_set.push(fact("API", &a.links.api));
    body.push(json!({"type": "FactSet", "facts": fact_set}));
    if !a.regions.is_empty() {
        body.push(
            json!({"type": "TextBlock", "weight": "Bolder", "text": "Regions", "wrap": true}),
        );
        let mut regions: Vec<Value> = a
            .regions
            .iter()
            .take(REGIONS_MAX)
            .map(|r| {
                fact(
                    &region_title(r),
                    &format!("edge: {}; origin: {}", edge_words(r), origin_words(r)),
                )
            })
            .collect();
        if a.regions.len() > REGIONS_MAX {
            regions.push(fact(
                "…",
                &format!("{} more regions", a.regions.len() - REGIONS_MAX),
            ));
        }
        body.push(json!({"type": "FactSet", "facts": regions}));
    }
    if !a.checklist.is_empty() {
        let items: Vec<String> = a
            .checklist
            .iter()
            .take(CHECKLIST_MAX)
            .enumerate()
            .map(|(i, item)| format!("{}. {}", i + 1, truncate(item, ITEM_MAX)))
            .collect();
        body.push(
            json!({"type": "TextBlock", "weight": "Bolder", "text": "What to check", "wrap": true}),
        );
        body.push(text(&items.join("\r")));
    }
    let mut actions = Vec::new();
    if let Some(page) = primary_link(a) {
        actions
            .push(json!({"type": "Action.OpenUrl", "title": "Open the monitor page", "url": page}));
    }
    actions.push(json!({"type": "Action.OpenUrl", "title": format!("What {} means", a.verdict.as_str()), "url": a.links.docs}));
    let card = json!({
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "msteams": {"width": "Full"},
        "body": body,
        "actions": actions,
    });
    to_canonical_json(&json!({
        "type": "message",
        "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "contentUrl": null,
            "content": card,
        }],
    }))
}
