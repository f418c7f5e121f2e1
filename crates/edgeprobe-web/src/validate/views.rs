//! The API's output shapes for monitors and channels.
//!
//! A monitor view is exactly the create body (every member present, defaults filled in) plus
//! `id`, `created_at` and `updated_at`, so a GET body sent back as a PATCH changes nothing.
//! A channel view comes from [`Channel::redacted`]: its URL and secret are write-only and
//! must never appear here.

use serde_json::{json, Map, Value};

use super::query::{encode_cursor, Cursor};
use edgeprobe_core::monitor::{Channel, ChannelKind, Monitor, Scheme};
use edgeprobe_core::time::{format_rfc3339, MINUTE, SECOND};

pub fn monitor_view(m: &Monitor) -> Value {
    let origin = match &m.origin {
        None => Value::Null,
        Some(o) => json!({
            "host": o.host,
            "port": o.port,
            "scheme": match o.scheme { Scheme::Http => "http", Scheme::Https => "https" },
        }),
    };
    let statuses: Vec<Value> = m
        .expect
        .statuses
        .iter()
        .map(|&(lo, hi)| if lo == hi { json!(lo) } else { json!(format!("{lo}-{hi}")) })
        .collect();
    let c = &m.confirmation;
    let maintenance: Vec<Value> = m
        .maintenance
        .iter()
        .map(|w| {
            json!({
                "starts_at": format_rfc3339(w.starts_at),
                "ends_at": format_rfc3339(w.ends_at),
                "reason": w.reason,
            })
        })
        .collect();
    let headers: Map<String, Value> = m.headers.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
    json!({
        "id": m.id,
        "name": m.name,
        "url": m.url,
        "origin": origin,
        "method": m.method,
        "headers": headers,
        "expect": {
            "statuses": statuses,
            "keyword": m.expect.keyword,
            "cert_warning_days": m.expect.cert_warning_days,
            "latency_factor": m.expect.latency_factor,
        },
        "interval_seconds": m.interval_ms / SECOND as u64,
        "timeout_ms": m.timeout_ms,
        "regions": m.regions,
        "confirmation": {
            "regions_to_agree": c.regions_to_agree,
            "recheck_delay_seconds": c.recheck_delay_ms / SECOND as u32,
            "recovery_rounds": c.recovery_rounds,
            "reminder_interval_minutes": c.reminder_interval_ms / MINUTE as u64,
            "flap_threshold": c.flap_threshold,
            "flap_window_minutes": c.flap_window_ms / MINUTE as u64,
            "sustained_down_rounds": c.sustained_down_rounds,
        },
        "channels": m.channels,
        "public": m.public,
        "slug": m.slug,
        "maintenance": maintenance,
        "tags": m.tags,
        "paused": m.paused,
        "created_at": format_rfc3339(m.created_at),
        "updated_at": format_rfc3339(m.updated_at),
    })
}

pub fn kind_name(k: ChannelKind) -> &'static str {
    match k {
        ChannelKind::Webhook => "webhook",
        ChannelKind::Slack => "slack",
        ChannelKind::Discord => "discord",
        ChannelKind::Pagerduty => "pagerduty",
    }
}

/// Built from [`Channel::redacted`] only, so no code path here can reach `url` or `secret`.
pub fn channel_view(c: &Channel) -> Value {
    let r = c.redacted();
    json!({
        "id": r.id,
        "name": r.name,
        "kind": kind_name(r.kind),
        "url_hint": r.url_hint,
        "has_secret": r.has_secret,
        "enabled": r.enabled,
        "created_at": format_rfc3339(r.created_at),
        "updated_at": format_rfc3339(r.updated_at),
    })
}

/// The body of every paged list: `{"items": [...], "next_cursor": "..." | null}`.
pub fn list_view(items: Vec<Value>, next: Option<&Cursor>) -> Value {
    json!({"items": items, "next_cursor": next.map(encode_cursor)})
}
