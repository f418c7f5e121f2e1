//! The Discord webhook body: one embed coloured by alert kind, with the verdict, the state
//! change, a field per region and the links. Pure; respects Discord's embed limits (title 256,
//! description 4096, 25 fields, field name 256 and value 1024, 6000 in total) by truncating at
//! char boundaries and never lets alert text ping anyone (`allowed_mentions` is empty).

use serde_json::{json, Value};

use super::{
    edge_words, kind_label, link_target, origin_words, region_title, to_canonical_json, truncate,
};
use crate::alerting::alert::{Alert, AlertKind};
use crate::time::format_rfc3339;

const TITLE_MAX: usize = 256;
const DESCRIPTION_MAX: usize = 4096;
const FIELDS_MAX: usize = 25;
const FIELD_NAME_MAX: usize = 256;
const FIELD_VALUE_MAX: usize = 1024;
const FOOTER_MAX: usize = 2048;

fn colour(kind: AlertKind) -> u32 {
    match kind {
        AlertKind::Down => 0xD9_2D_20,
        AlertKind::Updated | AlertKind::Reminder => 0xE8_6A_17,
        AlertKind::Resolved => 0x2E_A0_43,
        AlertKind::Flapping | AlertKind::FlappingEnded => 0xD4_A7_2C,
        AlertKind::Test => 0x58_65_F2,
    }
}

fn field(name: &str, value: &str, inline: bool) -> Value {
    let value = if value.is_empty() { "-" } else { value };
    json!({"name": truncate(name, FIELD_NAME_MAX), "value": truncate(value, FIELD_VALUE_MAX), "inline": inline})
}

/// The JSON body POSTed to a Discord webhook.
pub fn discord_body(a: &Alert) -> String {
    let mut description = a.summary.clone();
    if !a.checklist.is_empty() {
        description.push_str("\n\n**What to check**");
        for (i, item) in a.checklist.iter().enumerate() {
            description.push_str(&format!("\n{}. {item}", i + 1));
        }
    }
    // Three fixed fields, then regions, then links: regions get what is left of the 25.
    let mut fields = vec![
        field("Cause", &format!("`{}`", a.verdict.as_str()), true),
        field(
            "Severity",
            serde_json::to_value(a.severity)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .as_deref()
                .unwrap_or(""),
            true,
        ),
        field("State", &a.state_change, true),
    ];
    let region_room = FIELDS_MAX - fields.len() - 1;
    let shown = a.regions.len().min(region_room);
    for r in &a.regions[..shown] {
        fields.push(field(
            &region_title(r),
            &format!("edge: {}\norigin: {}", edge_words(r), origin_words(r)),
            false,
        ));
    }
    let mut links = vec![format!(
        "[What `{}` means]({})",
        a.verdict.as_str(),
        link_target(&a.links.docs)
    )];
    if let Some(page) = &a.links.status_page {
        links.push(format!("[Status page]({})", link_target(page)));
    }
    links.push(format!("[API]({})", link_target(&a.links.api)));
    if a.regions.len() > shown {
        links.push(format!(
            "{} more regions not shown",
            a.regions.len() - shown
        ));
    }
    fields.push(field("Links", &links.join(" · "), false));
    let footer = match &a.incident_id {
        Some(id) => format!("edgeprobe · incident {id}"),
        None => "edgeprobe".to_string(),
    };
    let embed = json!({
        "title": truncate(&format!("{}: {}", kind_label(a), a.monitor_name), TITLE_MAX),
        "url": a.monitor_url,
        "description": truncate(&description, DESCRIPTION_MAX),
        "color": colour(a.kind),
        "timestamp": format_rfc3339(a.at),
        "fields": fields,
        "footer": {"text": truncate(&footer, FOOTER_MAX)},
    });
    let body =
        json!({"username": "edgeprobe", "allowed_mentions": {"parse": []}, "embeds": [embed]});
    to_canonical_json(&shrink_to_total(body))
}

/// Discord rejects embeds whose texts add up to more than 6000 characters: drop region fields
/// (from the end) until it fits, keeping the fixed fields and links.
fn shrink_to_total(mut body: Value) -> Value {
    const TOTAL_MAX: usize = 6000;
    loop {
        let Some(embed) = body.pointer_mut("/embeds/0") else {
            return body;
        };
        if embed_chars(embed) <= TOTAL_MAX {
            return body;
        }
        let Some(fields) = embed.get_mut("fields").and_then(Value::as_array_mut) else {
            return body;
        };
        if fields.len() <= 4 {
            // Only the fixed fields and links are left: shorten the description instead.
            let over = embed_chars(embed) - TOTAL_MAX;
            if let Some(desc) = embed.get_mut("description") {
                let text = desc.as_str().unwrap_or_default().to_string();
                let keep = text.chars().count().saturating_sub(over);
                *desc = Value::String(truncate(&text, keep));
            }
            return body;
        }
        let last_region = fields.len() - 2;
        fields.remove(last_region);
    }
}

fn embed_chars(embed: &Value) -> usize {
    let len = |p: &str| {
        embed
            .pointer(p)
            .and_then(Value::as_str)
            .map_or(0, |s| s.chars().count())
    };
    let fields = embed
        .get("fields")
        .and_then(Value::as_array)
        .map_or(0, |fs| {
            fs.iter()
                .map(|f| len_of(f, "name") + len_of(f, "value"))
                .sum()
        });
    len("/title") + len("/description") + len("/footer/text") + fields
}

fn len_of(v: &Value, key: &str) -> usize {
    v.get(key)
        .and_then(Value::as_str)
        .map_or(0, |s| s.chars().count())
}
