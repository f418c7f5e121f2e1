//! The Discord webhook body: one embed coloured by alert kind, with the verdict, the state
//! change, a field per region and the links. Pure; respects Discord's embed limits (title 256,
//! description 4096, 25 fields, field name 256 and value 1024, 6000 in total) by truncating at
//! char boundaries. Alert text never pings anyone: only the channel's configured mention
//! (a role id as `<@&id>`, or `@here`/`@everyone`), in `content` of alerts that ask for
//! action, and `allowed_mentions` names exactly that one. The title links the monitor's page;
//! the first-seen time is a `<t:…>` token (each reader's own time zone and "12 minutes ago").

use serde_json::{json, Value};

use super::{
    edge_words, headline_facts, kind_label, link_target, mentions, origin_words, primary_link,
    region_title, to_canonical_json, truncate, unix_secs,
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
        AlertKind::Flapping | AlertKind::FlappingEnded | AlertKind::CertExpiring => 0xD4_A7_2C,
        AlertKind::CertRenewed => 0x2E_A0_43,
        AlertKind::Test => 0x58_65_F2,
    }
}

fn field(name: &str, value: &str, inline: bool) -> Value {
    let value = if value.is_empty() { "-" } else { value };
    json!({"name": truncate(name, FIELD_NAME_MAX), "value": truncate(value, FIELD_VALUE_MAX), "inline": inline})
}

/// The ping and the `allowed_mentions` that permits exactly it (none without a mention).
fn ping(a: &Alert, mention: Option<&str>) -> (Option<String>, Value) {
    match mention.filter(|_| mentions(a)) {
        None => (None, json!({"parse": []})),
        Some(m @ ("@here" | "@everyone")) => (Some(m.to_string()), json!({"parse": ["everyone"]})),
        Some(role) => (
            Some(format!("<@&{role}>")),
            json!({"parse": [], "roles": [role]}),
        ),
    }
}

/// The JSON body POSTed to a Discord webhook; `mention` is the channel's (validated).
pub fn discord_body(a: &Alert, mention: Option<&str>) -> String {
    let facts = headline_facts(a);
    let mut description = if facts.is_empty() {
        a.summary.clone()
    } else {
        format!("**{facts}**\n{}", a.summary)
    };
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
    if let Some(t) = a.first_seen_at {
        let secs = unix_secs(t);
        fields.push(field(
            "First seen",
            &format!("<t:{secs}:f> (<t:{secs}:R>)"),
            false,
        ));
    }
    let fixed = fields.len() + 1;
    let region_room = FIELDS_MAX - fixed;
    let shown = a.regions.len().min(region_room);
    for r in &a.regions[..shown] {
        fields.push(field(
            &region_title(r),
            &format!("edge: {}\norigin: {}", edge_words(r), origin_words(r)),
            false,
        ));
    }
    let mut links = Vec::new();
    if let Some(page) = primary_link(a) {
        links.push(format!(
            "**[Open the monitor page]({})**",
            link_target(page)
        ));
    }
    links.push(format!(
        "[What `{}` means]({})",
        a.verdict.as_str(),
        link_target(&a.links.docs)
    ));
    links.push(format!("API: `{}`", a.links.api));
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
        "url": primary_link(a).unwrap_or(&a.monitor_url),
        "description": truncate(&description, DESCRIPTION_MAX),
        "color": colour(a.kind),
        "timestamp": format_rfc3339(a.at),
        "fields": fields,
        "footer": {"text": truncate(&footer, FOOTER_MAX)},
    });
    let (content, allowed) = ping(a, mention);
    let mut body = json!({"username": "edgeprobe", "allowed_mentions": allowed, "embeds": [embed]});
    if let Some(content) = content {
        body["content"] = Value::String(content);
    }
    to_canonical_json(&shrink_to_total(body, fixed))
}

/// Discord rejects embeds whose texts add up to more than 6000 characters: drop region fields
/// (from the end) until it fits, keeping the fixed fields and links.
fn shrink_to_total(mut body: Value, fixed: usize) -> Value {
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
        if fields.len() <= fixed {
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
