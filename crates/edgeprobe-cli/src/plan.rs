//! The plan `apply` shows and carries out: declared state against the server's, as a list of
//! changes (create / update with field-level diffs / delete with `--prune`). Pure: the server's
//! monitors and channels come in as the API's JSON, nothing here does I/O.
//!
//! A monitor's desired state is its body run through the API's own validator and view
//! (`edgeprobe_web`), so defaults, units and spellings are the server's and a file that
//! matches the server plans nothing. A member left out of the file means its default (as
//! when creating), with one exception: `regions`, whose default is the deployment's, is then
//! left as the server has it. Channels are compared on what the API shows of them (name, kind,
//! enabled, the URL's scheme and host); their URL and secret are write-only, so a URL or
//! secret whose environment variable is unset is left as it is.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::file::{DeclaredChannel, DeclaredMonitor};
use edgeprobe_web::problem::FieldError;
use edgeprobe_web::validate::{validate_new_channel, validate_new_monitor, ValidationContext};
use edgeprobe_web::views::{channel_view, monitor_view};

/// Members of a monitor as listed that are not configuration.
const NOT_CONFIG: &[&str] = &[
    "id",
    "created_at",
    "updated_at",
    "health",
    "verdict",
    "status_updated_at",
];

/// One member that differs.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldDiff {
    pub field: String,
    pub before: Value,
    pub after: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    CreateChannel {
        name: String,
        body: Value,
    },
    UpdateChannel {
        id: String,
        name: String,
        patch: Value,
        diffs: Vec<FieldDiff>,
    },
    /// `body.channels` holds channel names; apply maps them to ids.
    CreateMonitor {
        slug: String,
        body: Value,
    },
    UpdateMonitor {
        id: String,
        slug: String,
        patch: Value,
        diffs: Vec<FieldDiff>,
    },
    DeleteMonitor {
        id: String,
        slug: String,
    },
    DeleteChannel {
        id: String,
        name: String,
    },
}

/// Where an API validation error belongs in the file.
#[derive(Debug, Clone, PartialEq)]
pub struct Invalid {
    pub kind: &'static str,
    pub index: usize,
    pub errors: Vec<FieldError>,
}

/// A stand-in id for a channel the plan creates (valid for the validator, matches nothing).
fn pending_id(name: &str) -> String {
    let clean: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .take(40)
        .collect();
    format!("ch_pending-{clean}")
}

/// A valid secret used only to validate a webhook whose real secret is not at hand.
const PLACEHOLDER_SECRET: &str = "whsec_cGxhY2Vob2xkZXItcGxhY2Vob2xkZXItcGxhY2Vo";

fn channel_body(c: &DeclaredChannel) -> Value {
    let mut b = json!({"name": c.name, "kind": c.kind, "enabled": c.enabled});
    if let Some(u) = &c.url {
        b["url"] = json!(u);
    }
    if let Some(s) = &c.secret {
        b["secret"] = json!(s);
    }
    b
}

/// Checks a channel as the API would (with stand-ins for a URL or secret not at hand).
fn channel_desired(c: &DeclaredChannel, ctx: &ValidationContext) -> Result<Value, Vec<FieldError>> {
    let mut b = channel_body(c);
    if c.url.is_none() {
        b["url"] = json!("https://unset.invalid/");
    }
    if c.secret.is_none() && c.kind == "webhook" {
        b["secret"] = json!(PLACEHOLDER_SECRET);
    }
    if c.secret.is_none() && c.kind == "pagerduty" {
        b["secret"] = json!("0123456789abcdef0123456789abcdef");
    }
    let ch = validate_new_channel(&b, "ch_x".into(), ctx)?;
    Ok(channel_view(&ch))
}

/// A monitor's desired view (the API's), its `channels` as ids (`ids`: name -> id).
fn monitor_desired(
    m: &DeclaredMonitor,
    ids: &BTreeMap<String, String>,
    current: Option<&Value>,
    ctx: &ValidationContext,
) -> Result<Value, Vec<FieldError>> {
    let mut body = m.body.clone();
    if let Some(chs) = body.get_mut("channels").and_then(Value::as_array_mut) {
        for c in chs.iter_mut() {
            let name = c.as_str().unwrap_or_default().to_string();
            *c = json!(ids.get(&name).cloned().unwrap_or_else(|| pending_id(&name)));
        }
    }
    if body.get("regions").is_none() {
        if let Some(r) = current.map(|c| c["regions"].clone()) {
            body["regions"] = r;
        }
    }
    let checked = validate_new_monitor(&body, "mon_x".into(), ctx)?;
    let mut view = monitor_view(&checked);
    if let Value::Object(o) = &mut view {
        o.retain(|k, _| !NOT_CONFIG.contains(&k.as_str()));
    }
    Ok(view)
}

/// Validates every declared monitor and channel offline; the errors of each, by position.
pub fn validate_all(
    monitors: &[DeclaredMonitor],
    channels: &[DeclaredChannel],
    ctx: &ValidationContext,
) -> Vec<Invalid> {
    let ids: BTreeMap<String, String> = channels
        .iter()
        .map(|c| (c.name.clone(), pending_id(&c.name)))
        .collect();
    let mut out = Vec::new();
    for c in channels {
        if let Err(errors) = channel_desired(c, ctx) {
            out.push(Invalid {
                kind: "channel",
                index: c.index,
                errors,
            });
        }
    }
    for m in monitors {
        if let Err(errors) = monitor_desired(m, &ids, None, ctx) {
            out.push(Invalid {
                kind: "monitor",
                index: m.index,
                errors,
            });
        }
    }
    out
}

/// The changes that make the server match the file.
pub fn plan(
    monitors: &[DeclaredMonitor],
    channels: &[DeclaredChannel],
    server_monitors: &[Value],
    server_channels: &[Value],
    prune: bool,
    ctx: &ValidationContext,
) -> Result<Vec<Change>, Vec<Invalid>> {
    let mut changes = Vec::new();
    let mut invalid = Vec::new();
    let by_name = |name: &str| server_channels.iter().find(|c| c["name"] == name);
    let mut ids: BTreeMap<String, String> = BTreeMap::new();
    for c in server_channels {
        if let (Some(n), Some(i)) = (c["name"].as_str(), c["id"].as_str()) {
            ids.insert(n.to_string(), i.to_string());
        }
    }
    for c in channels {
        let desired = match channel_desired(c, ctx) {
            Ok(d) => d,
            Err(errors) => {
                invalid.push(Invalid {
                    kind: "channel",
                    index: c.index,
                    errors,
                });
                continue;
            }
        };
        match by_name(&c.name) {
            None => {
                // Creating needs what an existing channel may go without.
                let mut missing = Vec::new();
                for (var, value, ptr) in [
                    (&c.url_env, &c.url, "/url_env"),
                    (&c.secret_env, &c.secret, "/secret_env"),
                ] {
                    if let (Some(var), None) = (var, value) {
                        missing.push(FieldError::new(
                            ptr,
                            format!("environment variable {var} is not set; creating the channel needs it"),
                        ));
                    }
                }
                if c.url.is_none() && c.url_env.is_none() {
                    missing.push(FieldError::new(
                        "/url",
                        "a new channel needs url or url_env",
                    ));
                }
                if missing.is_empty() {
                    changes.push(Change::CreateChannel {
                        name: c.name.clone(),
                        body: channel_body(c),
                    });
                } else {
                    invalid.push(Invalid {
                        kind: "channel",
                        index: c.index,
                        errors: missing,
                    });
                }
            }
            Some(cur) => {
                let mut diffs = Vec::new();
                let mut patch = json!({});
                for field in ["kind", "enabled"] {
                    if desired[field] != cur[field] {
                        diffs.push(FieldDiff {
                            field: field.into(),
                            before: cur[field].clone(),
                            after: desired[field].clone(),
                        });
                        patch[field] = desired[field].clone();
                    }
                }
                if c.url.is_some() && desired["url_hint"] != cur["url_hint"] {
                    diffs.push(FieldDiff {
                        field: "url".into(),
                        before: cur["url_hint"].clone(),
                        after: desired["url_hint"].clone(),
                    });
                    patch["url"] = json!(c.url);
                }
                if c.secret.is_some() && cur["has_secret"] == false {
                    diffs.push(FieldDiff {
                        field: "secret".into(),
                        before: json!("(none)"),
                        after: json!("(from environment)"),
                    });
                    patch["secret"] = json!(c.secret);
                }
                if !diffs.is_empty() {
                    changes.push(Change::UpdateChannel {
                        id: cur["id"].as_str().unwrap_or_default().into(),
                        name: c.name.clone(),
                        patch,
                        diffs,
                    });
                }
            }
        }
    }
    let names: BTreeMap<String, String> = ids.iter().map(|(n, i)| (i.clone(), n.clone())).collect();
    let named = |v: &Value| -> Value {
        match v.as_array() {
            Some(a) => Value::Array(
                a.iter()
                    .map(|id| {
                        id.as_str()
                            .and_then(|i| names.get(i))
                            .map_or(id.clone(), |n| json!(n))
                    })
                    .collect(),
            ),
            None => v.clone(),
        }
    };
    for m in monitors {
        let current = server_monitors
            .iter()
            .find(|s| s["slug"] == m.slug.as_str());
        let desired = match monitor_desired(m, &ids, current, ctx) {
            Ok(d) => d,
            Err(errors) => {
                invalid.push(Invalid {
                    kind: "monitor",
                    index: m.index,
                    errors,
                });
                continue;
            }
        };
        let Some(cur) = current else {
            changes.push(Change::CreateMonitor {
                slug: m.slug.clone(),
                body: m.body.clone(),
            });
            continue;
        };
        let mut diffs = Vec::new();
        let mut patch = json!({});
        for (field, want) in desired.as_object().into_iter().flatten() {
            if *want != cur[field] {
                if field == "channels" {
                    // Sent as names; apply maps them to ids once channels exist.
                    patch[field] = m.body.get("channels").cloned().unwrap_or(json!([]));
                    diffs.push(FieldDiff {
                        field: field.clone(),
                        before: named(&cur[field]),
                        after: patch[field].clone(),
                    });
                } else {
                    patch[field] = want.clone();
                    diffs.push(FieldDiff {
                        field: field.clone(),
                        before: cur[field].clone(),
                        after: want.clone(),
                    });
                }
            }
        }
        if !diffs.is_empty() {
            changes.push(Change::UpdateMonitor {
                id: cur["id"].as_str().unwrap_or_default().into(),
                slug: m.slug.clone(),
                patch,
                diffs,
            });
        }
    }
    if prune {
        for s in server_monitors {
            if !monitors.iter().any(|m| s["slug"] == m.slug.as_str()) {
                changes.push(Change::DeleteMonitor {
                    id: s["id"].as_str().unwrap_or_default().into(),
                    slug: s["slug"].as_str().unwrap_or_default().into(),
                });
            }
        }
        for s in server_channels {
            if !channels.iter().any(|c| s["name"] == c.name.as_str()) {
                changes.push(Change::DeleteChannel {
                    id: s["id"].as_str().unwrap_or_default().into(),
                    name: s["name"].as_str().unwrap_or_default().into(),
                });
            }
        }
    }
    if invalid.is_empty() {
        Ok(changes)
    } else {
        Err(invalid)
    }
}

/// The plan as text, like terraform's: `+` create, `~` update (one line per member), `-`
/// delete, and a summary line.
pub fn render(changes: &[Change]) -> String {
    let mut out = String::new();
    let (mut add, mut change, mut destroy) = (0, 0, 0);
    let short = |v: &Value| -> String {
        let s = v.to_string();
        if s.chars().count() > 80 {
            format!("{}…", s.chars().take(79).collect::<String>())
        } else {
            s
        }
    };
    for c in changes {
        match c {
            Change::CreateChannel { name, .. } => {
                add += 1;
                out += &format!("  + channel {name}\n");
            }
            Change::CreateMonitor { slug, .. } => {
                add += 1;
                out += &format!("  + monitor {slug}\n");
            }
            Change::UpdateChannel { name, diffs, .. }
            | Change::UpdateMonitor {
                slug: name, diffs, ..
            } => {
                change += 1;
                let kind = if matches!(c, Change::UpdateChannel { .. }) {
                    "channel"
                } else {
                    "monitor"
                };
                out += &format!("  ~ {kind} {name}\n");
                for d in diffs {
                    out += &format!(
                        "      ~ {}: {} -> {}\n",
                        d.field,
                        short(&d.before),
                        short(&d.after)
                    );
                }
            }
            Change::DeleteMonitor { slug, .. } => {
                destroy += 1;
                out += &format!("  - monitor {slug}\n");
            }
            Change::DeleteChannel { name, .. } => {
                destroy += 1;
                out += &format!("  - channel {name}\n");
            }
        }
    }
    if changes.is_empty() {
        out += "No changes. The server matches the file.\n";
    } else {
        out += &format!("Plan: {add} to add, {change} to change, {destroy} to destroy.\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> ValidationContext {
        ValidationContext {
            allowed_regions: vec!["weur".into(), "enam".into()],
            default_regions: vec!["weur".into()],
            allow_private_targets: false,
            tick_seconds: 5,
            now: 1_795_000_000_000,
        }
    }

    fn declared(body: Value) -> DeclaredMonitor {
        DeclaredMonitor {
            index: 0,
            slug: body["slug"].as_str().unwrap().into(),
            body,
        }
    }

    #[test]
    fn matching_monitor_plans_nothing_and_one_edit_plans_one_field() {
        let body = json!({"slug": "shop", "name": "Shop", "url": "https://shop.example.com/", "interval_seconds": 60});
        let server = {
            let m = validate_new_monitor(&body, "mon_1".into(), &ctx()).unwrap();
            let mut v = monitor_view(&m);
            v["health"] = json!("up");
            v
        };
        let same = plan(
            &[declared(body.clone())],
            &[],
            std::slice::from_ref(&server),
            &[],
            false,
            &ctx(),
        )
        .unwrap();
        assert_eq!(same, vec![]);
        let mut edited = body.clone();
        edited["interval_seconds"] = json!(120);
        let one = plan(
            &[declared(edited)],
            &[],
            std::slice::from_ref(&server),
            &[],
            true,
            &ctx(),
        )
        .unwrap();
        assert_eq!(one.len(), 1, "{one:?}");
        let Change::UpdateMonitor { diffs, patch, .. } = &one[0] else {
            panic!("{one:?}")
        };
        assert_eq!(
            diffs,
            &vec![FieldDiff {
                field: "interval_seconds".into(),
                before: json!(60),
                after: json!(120)
            }]
        );
        assert_eq!(patch, &json!({"interval_seconds": 120}));
        let text = render(&one);
        assert!(
            text.contains("~ monitor shop\n      ~ interval_seconds: 60 -> 120"),
            "{text}"
        );
        let pruned = plan(&[], &[], &[server], &[], true, &ctx()).unwrap();
        assert!(matches!(&pruned[0], Change::DeleteMonitor { slug, .. } if slug == "shop"));
    }

    #[test]
    fn api_validation_errors_come_back_by_position() {
        let bad =
            declared(json!({"slug": "x", "name": "", "url": "ftp://x", "interval_seconds": 5}));
        let errs = validate_all(&[bad], &[], &ctx());
        let pointers: Vec<&str> = errs[0].errors.iter().map(|e| e.pointer.as_str()).collect();
        assert!(
            pointers.contains(&"/name")
                && pointers.contains(&"/url")
                && pointers.contains(&"/interval_seconds"),
            "{pointers:?}"
        );
    }
}
